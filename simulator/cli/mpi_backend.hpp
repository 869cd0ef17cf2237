#pragma once
// The boundary between llmperforacle and its MPI plugin (llmperforacle-mpi.so, mpi_plugin.cpp).
// Only `mpirun -np N llmperforacle run` uses MPI, yet linking libmpi made every command load it
// and what it pulls in (libopen-rte, libopen-pal, hwloc, libevent, ...): about 2.5 ms of mmaps,
// relocations and page faults per start. So the MPI calls live in a plugin that the binary
// dlopen()s only when an MPI launcher started it (mpi_plugin_loader.cpp).
//
// Both sides are built together from this header, so the interface is a C++ class; the version
// below guards against a plugin left from another build (an old install, a copied binary).
#include <string>
#include <string_view>

namespace llmpo {

// Bump whenever MpiBackend or the factory's signature changes. The version function's signature
// never changes, so the loader can always ask it safely before calling anything else.
inline constexpr int kMpiBackendInterfaceVersion = 1;

// What MPI_Init_thread gave: whether calls from several threads are allowed, and the level the
// library provides (its own value of MPI_THREAD_*, for the error message).
struct MpiThreadSupport {
  bool multiple = false;
  int provided_level = 0;
};

// The sender and tag of a received message.
struct MpiEnvelope {
  int source = -1;
  int tag = 0;
};

// MPI_COMM_WORLD's operations that MpiSession, MpiRunSender and MpiRunReceiver need. None reports
// MPI failures: they end the job (MPI_ERRORS_ARE_FATAL, MPI's default handler).
class MpiBackend {
 public:
  static constexpr int kAnySource = -1;

  virtual ~MpiBackend() = default;

  // MPI_Init_thread asking for MPI_THREAD_MULTIPLE. When the library provides less, MPI is
  // finalized again before returning and nothing else may be called.
  virtual MpiThreadSupport init_thread_multiple() = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void finalize() = 0;

  // Rank 0's `bytes` become every rank's.
  virtual void broadcast(std::string& bytes) = 0;
  // One blocking MPI_Send of `bytes` (at most INT_MAX of them) to rank 0 under `tag`.
  virtual void send_to_rank0(int tag, std::string_view bytes) = 0;
  // Waits for the next message from `source` (or kAnySource) into `bytes`, polling with a short
  // sleep between probes rather than blocking in MPI_Recv, which spins a core.
  virtual MpiEnvelope receive(int source, std::string& bytes) = 0;
  // MPI_Abort on MPI_COMM_WORLD: ends every rank.
  virtual void abort(int code) = 0;
};

}  // namespace llmpo

// What the plugin exports (extern "C": names without C++ mangling, found with dlsym).
extern "C" {
// kMpiBackendInterfaceVersion as the plugin was built.
int llmpo_mpi_backend_interface_version(void);
// A new backend, owned by the caller (delete it; the plugin stays loaded for the process's life).
llmpo::MpiBackend* llmpo_mpi_backend_create(void);
}
