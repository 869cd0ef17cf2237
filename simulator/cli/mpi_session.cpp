#include "mpi_session.hpp"

#include <chrono>
#include <cstdlib>
#include <limits>
#include <thread>

#include <fmt/format.h>

#ifdef LLMPO_WITH_MPI
#include <mpi.h>
#endif

#include "simulator/util/error.hpp"

namespace llmpo {

bool MpiSession::launched() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

#ifdef LLMPO_WITH_MPI

bool MpiSession::available() { return true; }

MpiSession::MpiSession() {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    throw InputError({}, "mpirun",
                     fmt::format("this MPI library does not allow calls from several threads (MPI_THREAD_MULTIPLE; "
                                 "it provides level {}), which rank 0 needs to receive runs while it simulates; use "
                                 "--shard I/N and `llmperforacle merge` to split a sweep instead",
                                 provided));
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::broadcast(std::string& bytes) const {
  int64_t length = static_cast<int64_t>(bytes.size());
  MPI_Bcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  bytes.resize(static_cast<std::size_t>(length));
  MPI_Bcast(bytes.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD);
}

void MpiRunSender::send(RunMessageKind kind, std::string_view bytes) {
  // Rows come in chunks of about 1 MiB and a run's JSON is a few kilobytes: far below MPI's int counts.
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw InternalError(fmt::format("mpi: a message of {} bytes is too long for one MPI_Send", bytes.size()));
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_CHAR, 0, static_cast<int>(kind), MPI_COMM_WORLD);
}

void MpiRunReceiver::receive(int source, RunMessage& message) {
  const int from = source == kAnySource ? MPI_ANY_SOURCE : source;
  MPI_Status status;
  for (int ready = 0;;) {
    MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
    if (ready != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  message.bytes.resize(static_cast<std::size_t>(count));
  MPI_Recv(message.bytes.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  message.source = status.MPI_SOURCE;
  message.kind = static_cast<RunMessageKind>(status.MPI_TAG);
}

void MpiSession::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

#else

bool MpiSession::available() { return false; }

MpiSession::MpiSession() {
  throw InputError({}, "mpirun",
                   "this llmperforacle was built without MPI (install Debian's libopenmpi-dev and rebuild); "
                   "use --shard I/N and `llmperforacle merge` to split a sweep instead");
}
MpiSession::~MpiSession() = default;
void MpiSession::broadcast(std::string&) const {}
// Never reached: no MpiSession exists without MPI.
void MpiRunSender::send(RunMessageKind, std::string_view) { throw InternalError("mpi: built without MPI"); }
void MpiRunReceiver::receive(int, RunMessage&) { throw InternalError("mpi: built without MPI"); }
void MpiSession::abort(int code) const { std::exit(code); }

#endif

}  // namespace llmpo
