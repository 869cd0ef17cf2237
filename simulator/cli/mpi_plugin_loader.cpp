#include "mpi_plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "simulator/util/data_paths.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

// Set by simulator/cli/CMakeLists.txt from the plugin target and the install layout, so the
// names the loader looks for are the names the build and the install write.
#if !defined(LLMPO_MPI_PLUGIN_FILE) || !defined(LLMPO_MPI_PLUGIN_INSTALL_DIR)
#error "LLMPO_MPI_PLUGIN_FILE and LLMPO_MPI_PLUGIN_INSTALL_DIR must be defined by the build"
#endif

namespace llmpo {

namespace fs = std::filesystem;

namespace {

// The error every failure below reports under, as MpiSession's own errors do.
InputError plugin_error(const std::string& message) { return InputError({}, "mpirun", message); }

// dlerror() as text: it is null when the failure set no message.
std::string last_dl_error() {
  const char* text = ::dlerror();
  return text != nullptr ? text : "no message from the dynamic loader";
}

// A symbol the plugin must export, as a pointer to a function of type Function.
template <typename Function>
Function plugin_symbol(void* handle, const char* name, const std::string& path) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr)
    throw plugin_error(fmt::format("{} is not an llmperforacle MPI plugin: {}", path, last_dl_error()));
  return reinterpret_cast<Function>(symbol);
}

}  // namespace

std::vector<std::string> mpi_plugin_candidates(const std::string& executable) {
  const fs::path bin_dir = fs::path(executable).parent_path();
  // An absolute CMAKE_INSTALL_LIBDIR replaces the prefix: operator/ with an absolute right side.
  return {(bin_dir / LLMPO_MPI_PLUGIN_FILE).string(),
          (bin_dir.parent_path() / LLMPO_MPI_PLUGIN_INSTALL_DIR / LLMPO_MPI_PLUGIN_FILE).string()};
}

std::optional<std::string> find_mpi_plugin() {
  // From /proc/self/exe, not the working directory or argv[0]: mpirun starts ranks anywhere.
  for (const std::string& path : mpi_plugin_candidates(current_executable())) {
    std::error_code error;
    if (fs::exists(path, error)) return path;
  }
  return std::nullopt;
}

std::string missing_mpi_plugin_message() {
  return fmt::format("the MPI plugin {} is missing (looked for {})", LLMPO_MPI_PLUGIN_FILE,
                     join(mpi_plugin_candidates(current_executable()), " and "));
}

std::unique_ptr<MpiBackend> load_mpi_backend() {
  const std::optional<std::string> found = find_mpi_plugin();
  if (!found)
    throw plugin_error(missing_mpi_plugin_message() +
                       "; install it with this binary, or rebuild llmperforacle with OpenMPI installed");
  const std::string& path = *found;
  // RTLD_NOW: a plugin that lacks a symbol fails here, with dlerror() naming it, not in mid-run.
  // RTLD_LOCAL: nothing else binds to the plugin's symbols (it makes libmpi global itself, as
  // Open MPI asks: mpi_plugin.cpp).
  // The handle is never closed: MPI cannot be initialised twice in one process, and libmpi's
  // exit handlers must find its code still mapped when the process ends.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw plugin_error(fmt::format("cannot load the MPI plugin {}: {}", path, last_dl_error()));

  // The version first: its signature never changes, so asking is safe whatever the plugin's age.
  const auto interface_version = plugin_symbol<int (*)()>(handle, "llmpo_mpi_backend_interface_version", path)();
  if (interface_version != kMpiBackendInterfaceVersion)
    throw plugin_error(fmt::format("the MPI plugin {} comes from another llmperforacle build (interface version {}, "
                                   "this binary needs {}); install the binary and its plugin from one build",
                                   path, interface_version, kMpiBackendInterfaceVersion));
  std::unique_ptr<MpiBackend> backend(plugin_symbol<MpiBackend* (*)()>(handle, "llmpo_mpi_backend_create", path)());
  if (!backend) throw plugin_error(fmt::format("the MPI plugin {} created no backend", path));
  spdlog::debug("MPI plugin loaded from {}", path);
  return backend;
}

}  // namespace llmpo
