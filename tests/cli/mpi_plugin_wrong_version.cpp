// A stand-in for the MPI plugin of another build (test_mpi_plugin_errors.cpp): it reports the next
// interface version, so the loader must refuse it without calling its factory, which aborts.
#include <cstdlib>

#include "simulator/cli/mpi_backend.hpp"

extern "C" {

__attribute__((visibility("default"))) int llmpo_mpi_backend_interface_version(void) {
  return llmpo::kMpiBackendInterfaceVersion + 1;
}

__attribute__((visibility("default"))) llmpo::MpiBackend* llmpo_mpi_backend_create(void) { std::abort(); }

}
