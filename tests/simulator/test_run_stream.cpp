// A finished run streamed from an MPI rank to the leader (run_stream.hpp), here over an in-memory
// channel: the rows go in chunks that never split a row, each file ends with an empty message,
// and the leader, appending chunks as they come (wherever the transport cuts them), saves the run
// exactly as a run made in its own process, so the assembled outputs are byte-identical. A chunk
// changed on the way, or a stream out of order, is refused and nothing of the run is kept.
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "scenario.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/experiment/results_writer.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using llmpo::test::fresh_dir;
using llmpo::test::read_file;
namespace fs = std::filesystem;

namespace {

// Senders' messages held in memory, one queue per sender. A message from any sender is taken
// from each sender in turn (so a receiver that read the rest of a run from "any" sender would
// get another sender's run mixed in); rows may be cut into `cut_bytes` pieces on the way, as a
// transport could (cuts inside rows).
class MemoryChannel : public RunReceiver {
 public:
  class Sender : public RunSender {
   public:
    Sender(MemoryChannel& channel, int source) : channel_(channel), source_(source) {}
    void send(RunMessageKind kind, std::string_view bytes) override {
      channel_.queues_[source_].push_back({source_, kind, std::string(bytes)});
    }

   private:
    MemoryChannel& channel_;
    int source_;
  };

  explicit MemoryChannel(std::size_t cut_bytes = 0) : cut_bytes_(cut_bytes) {}

  Sender sender(int source) { return Sender(*this, source); }
  std::deque<RunMessage>& sent_by(int source) { return queues_[source]; }

  void receive(int source, RunMessage& message) override {
    if (source == kAnySource) {
      auto next = queues_.upper_bound(last_any_);
      if (next == queues_.end() || next->second.empty()) next = queues_.begin();
      while (next != queues_.end() && next->second.empty()) ++next;
      REQUIRE(next != queues_.end());  // a receiver waiting for a message no one sends would hang
      source = last_any_ = next->first;
    }
    auto& queue = queues_[source];
    REQUIRE_FALSE(queue.empty());
    message = queue.front();
    if (cut_bytes_ > 0 && message.kind == RunMessageKind::rows && message.bytes.size() > cut_bytes_) {
      queue.front().bytes.erase(0, cut_bytes_);
      message.bytes.resize(cut_bytes_);
    } else {
      queue.pop_front();
    }
  }

 private:
  std::size_t cut_bytes_;
  std::map<int, std::deque<RunMessage>> queues_;
  int last_any_ = -1;
};

// Two runs (two frameworks) of 300 requests: about 45 kB of requests.csv rows each.
struct TwoRuns {
  Libraries libraries = Libraries::load();
  ExperimentPlan plan = plan_experiment(
      read_experiment_text(test::with_edits(test::kTwoFrameworks, {{"num_requests: 400", "num_requests: 300"}}),
                           "<test>", {}),
      libraries);
  RunExecutor executor{plan, libraries};
  std::vector<RunOutcome> outcomes;
  TwoRuns() {
    for (const auto& run : plan.runs) outcomes.push_back(executor.execute(run));
  }
  const Workload& workload(std::size_t run) { return executor.workload(plan.runs[run].workload_index); }
};

// The rows a sender sent for each of a run's files, as the chunks it sent them in (the empty
// message that ends a file not included).
std::vector<std::vector<std::string>> rows_chunks(const std::deque<RunMessage>& messages) {
  std::vector<std::vector<std::string>> files(1);
  for (const auto& message : messages) {
    if (message.kind != RunMessageKind::rows) continue;
    if (message.bytes.empty()) files.emplace_back();
    else files.back().push_back(message.bytes);
  }
  files.pop_back();  // after the last file's end
  return files;
}

std::string concatenated(const std::vector<std::string>& chunks) {
  std::string text;
  for (const auto& chunk : chunks) text += chunk;
  return text;
}

}  // namespace

TEST_CASE("run stream: rows go in chunks of whole rows, each file ended by an empty message") {
  TwoRuns runs;
  constexpr std::size_t kChunkBytes = 4000;  // about 27 rows of requests.csv
  MemoryChannel channel;
  auto to_leader = channel.sender(1);
  ResultsWriter::send_run(runs.plan, runs.outcomes[0], runs.workload(0), true, to_leader, kChunkBytes);
  const auto& messages = channel.sent_by(1);
  REQUIRE(messages.size() >= 4);
  CHECK(messages.front().kind == RunMessageKind::run);
  CHECK(messages.front().bytes == "0");
  CHECK(messages.back().kind == RunMessageKind::json);

  const auto files = rows_chunks(messages);
  REQUIRE(files.size() == 2);  // requests.csv's header and rows, then timeseries.csv's
  const std::string requests = kRequestsHeader + requests_rows(runs.outcomes[0], runs.workload(0));
  REQUIRE(requests.size() > 10 * kChunkBytes);
  CHECK(concatenated(files[0]) == requests);
  CHECK(concatenated(files[1]) == kTimeseriesHeader + timeseries_rows(runs.outcomes[0]));
  for (const auto& chunks : files)
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      INFO("chunk " << i << " of " << chunks.size());
      CHECK(chunks[i].back() == '\n');  // never a row split between two chunks
      // Sent as soon as a chunk's worth has gathered: full ones but the last, which has the rest.
      if (i + 1 < chunks.size()) CHECK(chunks[i].size() >= kChunkBytes);
      CHECK(chunks[i].size() < kChunkBytes + 400);  // one row at most past the chunk
    }

  // The JSON's sizes and SHA-256 are those of the file as sent.
  const auto json = nlohmann::json::parse(messages.back().bytes);
  CHECK(json.at("files").at(".requests.csv").at("size") == requests.size());
  CHECK(json.at("files").at(".requests.csv").at("sha256") == sha256_hex(requests));
}

TEST_CASE("run stream: runs from two senders, cut anywhere on the way, give the outputs of one process") {
  TwoRuns runs;
  const std::string dir = fresh_dir("run-stream");
  const bool write_requests = GENERATE(true, false);
  INFO("requests written: " << write_requests);

  ResultsWriter here(runs.plan, dir + "/here", write_requests, PartialRuns::refuse);
  for (std::size_t run = 0; run < 2; ++run) here.add(runs.outcomes[run], runs.workload(run));
  here.finish("test");

  // Rows cut into 7-byte pieces: the leader's files grow by pieces that end inside rows.
  MemoryChannel channel(7);
  for (int rank = 1; rank <= 2; ++rank) {
    auto to_leader = channel.sender(rank);
    const auto run = static_cast<std::size_t>(rank - 1);
    ResultsWriter::send_run(runs.plan, runs.outcomes[run], runs.workload(run), write_requests, to_leader, 1000);
    to_leader.send(RunMessageKind::done, {});
  }
  ResultsWriter leader(runs.plan, dir + "/streamed", write_requests, PartialRuns::refuse);
  leader.receive_runs(channel, 2);
  CHECK(leader.finished_count() == 2);
  leader.finish("test");

  for (const char* name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    CHECK(fs::exists(dir + "/here/" + name) == fs::exists(dir + "/streamed/" + name));
    if (fs::exists(dir + "/here/" + name)) CHECK(read_file(dir + "/here/" + name) == read_file(dir + "/streamed/" + name));
  }
  auto files_of = [](const std::string& folder) {
    return nlohmann::json::parse(read_file(folder + "/manifest.json")).at("files");
  };
  CHECK(files_of(dir + "/here") == files_of(dir + "/streamed"));
}

TEST_CASE("run stream: a run without rows sends its two files' headers alone, then its JSON") {
  TwoRuns runs;
  const std::string dir = fresh_dir("run-stream-empty");
  // No requests: no requests.csv rows and no time-series samples.
  const Workload none = test::open_loop({});
  const RunOutcome empty = runs.executor.execute_with(runs.plan.runs[1], none, MetricsOptions{});
  MemoryChannel channel;
  auto to_leader = channel.sender(3);
  ResultsWriter::send_run(runs.plan, empty, none, true, to_leader);
  to_leader.send(RunMessageKind::done, {});
  const auto& messages = channel.sent_by(3);
  REQUIRE(messages.size() == 7);
  CHECK(messages[0].kind == RunMessageKind::run);
  CHECK(messages[0].bytes == "1");
  for (const std::size_t i : {1, 2, 3, 4}) CHECK(messages[i].kind == RunMessageKind::rows);
  CHECK(messages[1].bytes == kRequestsHeader);
  CHECK(messages[2].bytes.empty());  // the end of requests.csv
  CHECK(messages[3].bytes == kTimeseriesHeader);
  CHECK(messages[4].bytes.empty());
  CHECK(messages[5].kind == RunMessageKind::json);
  CHECK(messages[6].kind == RunMessageKind::done);

  ResultsWriter leader(runs.plan, dir, true, PartialRuns::refuse);
  leader.receive_runs(channel, 1);
  CHECK(leader.finished(1));
  CHECK_FALSE(leader.finished(0));
  CHECK(read_file(dir + "/partial/run-000001.requests.csv") == kRequestsHeader);
  CHECK(read_file(dir + "/partial/run-000001.timeseries.csv") == kTimeseriesHeader);
  const auto json = nlohmann::json::parse(read_file(dir + "/partial/run-000001.json"));
  CHECK(json.at("files").at(".requests.csv").at("size") == std::string(kRequestsHeader).size());
  CHECK(json.at("files").at(".requests.csv").at("sha256") == sha256_hex(kRequestsHeader));
}

TEST_CASE("run stream: a run changed on the way or sent out of order is refused, nothing of it kept") {
  TwoRuns runs;
  const std::string dir = fresh_dir("run-stream-damaged");
  MemoryChannel channel;
  auto to_leader = channel.sender(1);
  ResultsWriter::send_run(runs.plan, runs.outcomes[0], runs.workload(0), true, to_leader, 2000);
  to_leader.send(RunMessageKind::done, {});
  auto& messages = channel.sent_by(1);
  std::string expected;

  SECTION("a byte of a middle chunk changed") {
    auto& chunk = messages[3].bytes;
    REQUIRE(messages[3].kind == RunMessageKind::rows);
    REQUIRE(chunk.size() > 10);
    chunk[5] = chunk[5] == '1' ? '2' : '1';
    expected = "the SHA-256 of .requests.csv differs from its JSON's";
  }
  SECTION("the last chunk of the requests lost") {
    std::size_t end = 1;
    while (!messages[end].bytes.empty()) ++end;  // the empty message that ends requests.csv's rows
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(end) - 1);
    expected = ".requests.csv is";
  }
  SECTION("the JSON before the rows' end") {
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(messages.size()) - 3);  // timeseries' end
    expected = "sent a message of kind 103 where rows belongs";
  }
  ResultsWriter leader(runs.plan, dir, true, PartialRuns::refuse);
  REQUIRE_THROWS_WITH(leader.receive_runs(channel, 1), Catch::Matchers::Contains(expected));
  CHECK_FALSE(leader.finished(0));
  // Nothing of the run stays under partial/: no JSON, no rows, no temporary files.
  std::vector<std::string> left;
  if (fs::exists(dir + "/partial"))
    for (const auto& entry : fs::directory_iterator(dir + "/partial")) left.push_back(entry.path().filename().string());
  CHECK(left.empty());
}
