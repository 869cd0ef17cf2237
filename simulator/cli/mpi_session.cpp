#include "mpi_session.hpp"

#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "mpi_backend.hpp"
#ifdef LLMPO_WITH_MPI
#include "mpi_plugin_loader.hpp"
#endif
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// The live session's backend, for MpiRunSender and MpiRunReceiver, which callers create without
// a session: MPI_COMM_WORLD is one per process, and so is the session that initialised it.
MpiBackend* session_backend = nullptr;

MpiBackend& current_backend() {
  if (session_backend == nullptr) throw InternalError("mpi: no MPI session is open");
  return *session_backend;
}

}  // namespace

bool MpiSession::launched() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

bool MpiSession::available() {
#ifdef LLMPO_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::string MpiSession::version_note() {
#ifdef LLMPO_WITH_MPI
  return find_mpi_plugin() ? "with MPI" : "with MPI, but " + missing_mpi_plugin_message();
#else
  return "without MPI";
#endif
}

MpiSession::MpiSession() {
  if (session_backend != nullptr) throw InternalError("mpi: a second MPI session in one process");
#ifdef LLMPO_WITH_MPI
  backend_ = load_mpi_backend();
#else
  throw InputError({}, "mpirun",
                   "this llmperforacle was built without MPI (install Debian's libopenmpi-dev and rebuild); "
                   "use --shard I/N and `llmperforacle merge` to split a sweep instead");
#endif
  const MpiThreadSupport threads = backend_->init_thread_multiple();
  if (!threads.multiple)
    throw InputError({}, "mpirun",
                     fmt::format("this MPI library does not allow calls from several threads (MPI_THREAD_MULTIPLE; "
                                 "it provides level {}), which rank 0 needs to receive runs while it simulates; use "
                                 "--shard I/N and `llmperforacle merge` to split a sweep instead",
                                 threads.provided_level));
  rank_ = backend_->rank();
  size_ = backend_->size();
  session_backend = backend_.get();
}

MpiSession::~MpiSession() {
  session_backend = nullptr;
  backend_->finalize();
}

void MpiSession::broadcast(std::string& bytes) const { backend_->broadcast(bytes); }

void MpiSession::abort(int code) const {
  backend_->abort(code);
  std::exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

void MpiRunSender::send(RunMessageKind kind, std::string_view bytes) {
  // Rows come in chunks of about 1 MiB and a run's JSON is a few kilobytes: far below MPI's int counts.
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw InternalError(fmt::format("mpi: a message of {} bytes is too long for one MPI_Send", bytes.size()));
  current_backend().send_to_rank0(static_cast<int>(kind), bytes);
}

void MpiRunReceiver::receive(int source, RunMessage& message) {
  static_assert(RunReceiver::kAnySource == MpiBackend::kAnySource, "one value means any sender on both sides");
  const MpiEnvelope envelope = current_backend().receive(source, message.bytes);
  message.source = envelope.source;
  message.kind = static_cast<RunMessageKind>(envelope.tag);
}

}  // namespace llmpo
