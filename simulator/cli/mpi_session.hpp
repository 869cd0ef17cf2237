#pragma once
// `mpirun -np N llmperforacle run FILE`: every rank plans the same file, simulates its share of
// the runs (Shard index = rank, count = size) and sends the finished runs to rank 0, which
// writes the outputs exactly as a single process would. MPI is initialised only when the
// process was started by an MPI launcher, so the same binary runs plain too.
#include <string>
#include <vector>

#include "simulator/experiment/results_writer.hpp"

namespace llmpo {

class MpiSession {
 public:
  // True when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK set).
  static bool launched();
  // Whether this binary was built with MPI (Debian's OpenMPI, found by CMake).
  static bool available();

  MpiSession();   // MPI_Init; InputError when built without MPI
  ~MpiSession();  // MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Rank 0's `bytes` become every rank's.
  void broadcast(std::string& bytes) const;
  // Every rank but 0 calls send_to_leader once; rank 0 calls receive_from(r) for each other r.
  void send_to_leader(const std::vector<RunFragment>& fragments) const;
  std::vector<RunFragment> receive_from(int rank) const;
  // Ends every rank (a failure on one rank would leave the others waiting).
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace llmpo
