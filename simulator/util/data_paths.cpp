#include "data_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#ifndef LLMPO_SOURCE_DIR
#error "LLMPO_SOURCE_DIR must be defined by the build"
#endif

namespace llmpo {

namespace fs = std::filesystem;

std::string current_executable() {
  std::error_code error;
  const auto exe = fs::read_symlink("/proc/self/exe", error);
  if (error) throw std::runtime_error("cannot read /proc/self/exe: " + error.message());
  return exe.string();
}

std::string installed_data_root() {
  // An installed binary (PREFIX/bin/llmperforacle) keeps its data in PREFIX/share/llmperforacle.
  fs::path exe;
  try {
    exe = current_executable();
  } catch (const std::runtime_error&) {
    return {};
  }
  std::error_code error;
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
