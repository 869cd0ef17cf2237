#pragma once
// `mpirun -np N llmperforacle run FILE`: every rank plans the same file, simulates its share of
// the runs (Shard index = rank, count = size) and streams each finished run to rank 0 as it is
// formatted (run_stream.hpp), which writes the outputs exactly as a single process would. MPI is
// loaded (the plugin llmperforacle-mpi.so, mpi_backend.hpp) and initialised only when the process
// was started by an MPI launcher, so the same binary runs plain too, without libmpi's start-up cost.
#include <memory>
#include <string>
#include <vector>

#include "simulator/experiment/run_stream.hpp"

namespace llmpo {

class MpiBackend;

class MpiSession {
 public:
  // True when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK set).
  static bool launched();
  // Whether this binary was built with MPI (Debian's OpenMPI, found by CMake): its plugin was built.
  static bool available();
  // What `version` says about MPI: "with MPI", "without MPI", or, when the plugin this build made
  // is not where the binary looks for it, "with MPI, but the MPI plugin ... is missing (...)".
  static std::string version_note();

  // Loads the MPI plugin and calls MPI_Init_thread: rank 0 receives the other ranks' runs on a
  // thread of its own while it simulates, so the MPI library must allow calls from several threads.
  // InputError when it does not, when built without MPI, or when the plugin is missing, cannot be
  // loaded or comes from another build. One session at a time (MPI_COMM_WORLD is per process).
  MpiSession();
  ~MpiSession();  // MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Rank 0's `bytes` become every rank's.
  void broadcast(std::string& bytes) const;
  // Ends every rank (a failure on one rank would leave the others waiting).
  [[noreturn]] void abort(int code) const;

 private:
  std::unique_ptr<MpiBackend> backend_;
  int rank_ = 0;
  int size_ = 1;
};

// A rank's runs on their way to rank 0: each message one blocking MPI_Send, so the rank waits
// until rank 0 takes it and never holds more than the chunk in hand.
class MpiRunSender : public RunSender {
 public:
  void send(RunMessageKind kind, std::string_view bytes) override;
};

// Rank 0's side. Waiting polls (MPI_Iprobe, then a millisecond's sleep) rather than blocking in
// MPI_Recv, which spins: the wait would take a core from rank 0's own runs.
class MpiRunReceiver : public RunReceiver {
 public:
  void receive(int source, RunMessage& message) override;
};

}  // namespace llmpo
