#include "data_paths.hpp"

#include <cstdlib>

#ifndef LLMPO_SOURCE_DIR
#error "LLMPO_SOURCE_DIR must be defined by the build"
#endif

namespace llmpo {

std::string data_root() {
  if (const char* home = std::getenv("LLMPERFORACLE_HOME"); home != nullptr && *home != '\0')
    return home;
  return LLMPO_SOURCE_DIR;
}

std::string model_library_dir() { return data_root() + "/models/library"; }
std::string gpu_library_dir() { return data_root() + "/hardware/gpus"; }
std::string interconnect_dir() { return data_root() + "/hardware/interconnects"; }

}  // namespace llmpo
