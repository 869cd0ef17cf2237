// llmperforacle-mpi.so: the only code that calls MPI (the C API of Debian's OpenMPI), loaded by
// the binary only under an MPI launcher (mpi_backend.hpp says why). Built with hidden symbols:
// the two extern "C" functions are all it exports.
#include <dlfcn.h>
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "mpi_backend.hpp"

namespace llmpo {
namespace {

// Between two MPI_Iprobe calls while rank 0 waits for a message: short next to a run's
// simulation, long enough that the waiting thread takes no core from rank 0's own runs.
constexpr std::chrono::milliseconds kProbeSleep{1};

// Open MPI loads its components (mca_*.so) with dlopen(), and they may take libmpi's symbols from
// the global scope: its documentation ("Dynamically loading libmpi at runtime") asks a program
// that dlopen()s libmpi to make it RTLD_GLOBAL. The binary opens this plugin RTLD_LOCAL, so the
// libmpi it brought in (whatever its file name) is made global here, before MPI starts.
void make_libmpi_global() {
  Dl_info library{};
  if (::dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &library) != 0 && library.dli_fname != nullptr)
    ::dlopen(library.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);  // already loaded: kept, never closed
}

class OpenMpiBackend final : public MpiBackend {
 public:
  MpiThreadSupport init_thread_multiple() override {
    make_libmpi_global();
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
    if (provided < MPI_THREAD_MULTIPLE) {
      MPI_Finalize();
      return {false, provided};
    }
    return {true, provided};
  }

  int rank() const override {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
  }

  int size() const override {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
  }

  void finalize() override { MPI_Finalize(); }

  void broadcast(std::string& bytes) override {
    int64_t length = static_cast<int64_t>(bytes.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    bytes.resize(static_cast<std::size_t>(length));
    MPI_Bcast(bytes.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD);
  }

  void send_to_rank0(int tag, std::string_view bytes) override {
    MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD);
  }

  MpiEnvelope receive(int source, std::string& bytes) override {
    const int from = source == kAnySource ? MPI_ANY_SOURCE : source;
    MPI_Status status;
    for (int ready = 0;;) {
      MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
      if (ready != 0) break;
      std::this_thread::sleep_for(kProbeSleep);
    }
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    bytes.resize(static_cast<std::size_t>(count));
    MPI_Recv(bytes.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return {status.MPI_SOURCE, status.MPI_TAG};
  }

  void abort(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }
};

}  // namespace
}  // namespace llmpo

extern "C" {

__attribute__((visibility("default"))) int llmpo_mpi_backend_interface_version(void) {
  return llmpo::kMpiBackendInterfaceVersion;
}

__attribute__((visibility("default"))) llmpo::MpiBackend* llmpo_mpi_backend_create(void) {
  return new llmpo::OpenMpiBackend();
}

}
