#include "data_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#ifndef LLMPO_SOURCE_DIR
#error "LLMPO_SOURCE_DIR must be defined by the build"
#endif

namespace llmpo {

namespace fs = std::filesystem;

std::string installed_data_root() {
  // An installed binary (PREFIX/bin/llmperforacle) keeps its data in PREFIX/share/llmperforacle.
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const fs::path share = exe.parent_path().parent_path() / "share" / "llmperforacle";
  return fs::is_directory(share / "models" / "library", error) ? share.string() : std::string();
}

std::string data_root() {
  // Beside the binary first, so an installed copy never reads a checkout it was built from;
  // then $LLMPERFORACLE_HOME; then the source tree a build-tree binary was built from.
  static const std::string installed = installed_data_root();
  if (!installed.empty()) return installed;
  if (const char* home = std::getenv("LLMPERFORACLE_HOME"); home != nullptr && *home != '\0')
    return home;
  return LLMPO_SOURCE_DIR;
}

std::string model_library_dir() { return data_root() + "/models/library"; }
std::string gpu_library_dir() { return data_root() + "/hardware/gpus"; }
std::string interconnect_dir() { return data_root() + "/hardware/interconnects"; }

}  // namespace llmpo
