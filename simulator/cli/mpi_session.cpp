#include "mpi_session.hpp"

#include <cstdlib>

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

namespace {

constexpr int kTag = 7;
// MPI counts are ints: long texts (requests.csv rows of a large run) go in chunks.
constexpr int64_t kChunkBytes = int64_t{1} << 30;

void send_text(const std::string& text) {
  int64_t length = static_cast<int64_t>(text.size());
  MPI_Send(&length, 1, MPI_INT64_T, 0, kTag, MPI_COMM_WORLD);
  for (int64_t at = 0; at < length; at += kChunkBytes)
    MPI_Send(text.data() + at, static_cast<int>(std::min(kChunkBytes, length - at)), MPI_CHAR, 0, kTag, MPI_COMM_WORLD);
}

std::string receive_text(int rank) {
  int64_t length = 0;
  MPI_Recv(&length, 1, MPI_INT64_T, rank, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  std::string text(static_cast<std::size_t>(length), '\0');
  for (int64_t at = 0; at < length; at += kChunkBytes)
    MPI_Recv(text.data() + at, static_cast<int>(std::min(kChunkBytes, length - at)), MPI_CHAR, rank, kTag,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return text;
}

}  // namespace

bool MpiSession::available() { return true; }

MpiSession::MpiSession() {
  MPI_Init(nullptr, nullptr);
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

void MpiSession::send_to_leader(const std::vector<RunFragment>& fragments) const {
  int64_t count = static_cast<int64_t>(fragments.size());
  MPI_Send(&count, 1, MPI_INT64_T, 0, kTag, MPI_COMM_WORLD);
  for (const auto& f : fragments) {
    int64_t run = f.run;
    MPI_Send(&run, 1, MPI_INT64_T, 0, kTag, MPI_COMM_WORLD);
    send_text(f.json);
    send_text(f.requests_csv);
    send_text(f.timeseries_csv);
  }
}

std::vector<RunFragment> MpiSession::receive_from(int rank) const {
  int64_t count = 0;
  MPI_Recv(&count, 1, MPI_INT64_T, rank, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  std::vector<RunFragment> fragments(static_cast<std::size_t>(count));
  for (auto& f : fragments) {
    MPI_Recv(&f.run, 1, MPI_INT64_T, rank, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    f.json = receive_text(rank);
    f.requests_csv = receive_text(rank);
    f.timeseries_csv = receive_text(rank);
  }
  return fragments;
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
void MpiSession::send_to_leader(const std::vector<RunFragment>&) const {}
std::vector<RunFragment> MpiSession::receive_from(int) const { return {}; }
void MpiSession::abort(int code) const { std::exit(code); }

#endif

}  // namespace llmpo
