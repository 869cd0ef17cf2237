// The saturation verdict (simulator/metrics/saturation.hpp): runs past saturation are flagged in
// summary.csv, the terminal table and one warning; stable runs near capacity are not; capacity
// and search say which probes ran past saturation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "md1_experiment.hpp"
#include "simulator/metrics/saturation.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// A request that arrived at `arrival_ms`, started at `start_ms` and finished at `done_ms`.
RequestState served(int64_t id, double arrival_ms, double start_ms, double done_ms) {
  RequestState r;
  r.request.id = static_cast<int32_t>(id);
  r.request.arrival_ns = instant_to_ns(arrival_ms * 1e-3);
  r.first_scheduled_ns = instant_to_ns(start_ms * 1e-3);
  r.first_token_ns = r.completion_ns = instant_to_ns(done_ms * 1e-3);
  r.outcome = RequestOutcome::completed;
  return r;
}

// One server, requests arriving every `gap_ms` (the first at gap_ms), each taking `service_ms`,
// first come first served.
std::vector<RequestState> single_server(int64_t count, double gap_ms, double service_ms) {
  std::vector<RequestState> out;
  double free_ms = 0;
  for (int64_t k = 1; k <= count; ++k) {
    const double arrival = static_cast<double>(k) * gap_ms;
    const double start = std::max(arrival, free_ms);
    free_ms = start + service_ms;
    out.push_back(served(k - 1, arrival, start, free_ms));
  }
  return out;
}

// The run's summary.csv as (header, rows) plus its stdout.
struct Ran {
  CliRun cli;
  std::vector<std::vector<std::string>> summary;
  std::string cell(std::size_t row, const std::string& name) const { return summary.at(row).at(column(summary, name)); }
};

Ran run_text(const std::string& text, const std::vector<std::string>& extra = {}) {
  const std::string dir = fresh_dir("saturation");
  Ran ran;
  std::vector<std::string> args = {"run", write_file(dir, "exp.yaml", text), "--out", dir + "/out"};
  args.insert(args.end(), extra.begin(), extra.end());
  ran.cli = run_cli_args(args);
  if (ran.cli.code == 0) ran.summary = read_csv(dir + "/out/summary.csv");
  return ran;
}

// M/D/1 with D = 10 ms (a service rate of 100 req/s) at `rate` req/s.
std::string md1_at(double rate, int64_t requests) {
  return md1_experiment("md1_saturation", "{process: poisson, rate_per_s: " + std::to_string(rate) + "}", requests, "");
}

struct Reason {
  double arrivals = 0, completions = 0;
  int64_t queue_from = -1, queue_to = -1;
};
Reason parse_reason(const std::string& text) {
  static const std::regex pattern(R"(^arrivals ([0-9.]+) req/s > completions ([0-9.]+) req/s; queue grew (\d+) -> (\d+)$)");
  std::smatch m;
  REQUIRE(std::regex_match(text, m, pattern));
  return {std::stod(m[1]), std::stod(m[2]), std::stoll(m[3]), std::stoll(m[4])};
}

// Collects what spdlog prints while alive (warnings go to stderr, outside the CLI's streams).
class CapturedLog {
 public:
  CapturedLog() {
    run_cli_args({"version"});  // the CLI installs its logger on first use
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~CapturedLog() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
};

}  // namespace

TEST_CASE("saturation: the counts of a hand-made single-server timeline") {
  SECTION("service 0.5 ms per arrival every 1 ms: every request done before the next comes") {
    const SaturationVerdict v = judge_saturation(single_server(1000, 1, 0.5), 0, 0);
    CHECK(v.judged);
    CHECK_FALSE(v.overloaded);
    CHECK(v.reason.empty());
    CHECK(v.window_s == Approx(1.0));  // (0, 1000 ms]
    CHECK(v.arrivals == 1000);
    CHECK(v.completions == 999);  // the last one finishes at 1000.5 ms, after the window
    CHECK(v.queue_at_end == 0);
  }
  SECTION("service 2 ms per arrival every 1 ms: rho = 2") {
    // Request k starts at 1 + 2(k - 1) ms and ends at 1 + 2k ms. By 1000 ms: 1000 arrived,
    // 500 started (1 + 2(k-1) <= 1000), 499 done (1 + 2k <= 1000); 500 wait, over 3 sqrt(1000) = 94.9.
    const SaturationVerdict v = judge_saturation(single_server(1000, 1, 2), 0, 0);
    CHECK(v.overloaded);
    CHECK(v.arrivals == 1000);
    CHECK(v.completions == 499);
    CHECK(v.queue_at_start == 0);
    CHECK(v.queue_at_end == 500);
    CHECK(v.growth_threshold == Approx(3 * std::sqrt(1000.0)));
    CHECK(v.reason == "arrivals 1000 req/s > completions 499 req/s; queue grew 0 -> 500");
  }
  SECTION("a warm-up moves the window's start: the queue there is the start value") {
    // Window (200, 1000] ms: 800 arrivals; by 200 ms 200 arrived, 100 started -> 100 waiting.
    // Completions in the window: k from 100 (201 ms) to 499 -> 400.
    const SaturationVerdict v = judge_saturation(single_server(1000, 1, 2), 0.2, 0);
    CHECK(v.arrivals == 800);
    CHECK(v.completions == 400);
    CHECK(v.queue_at_start == 100);
    CHECK(v.queue_at_end == 500);
    CHECK(v.reason == "arrivals 1000 req/s > completions 500 req/s; queue grew 100 -> 500");
  }
  SECTION("not judged: everything at one instant, or a closed loop") {
    std::vector<RequestState> burst;
    for (int64_t k = 0; k < 100; ++k) burst.push_back(served(k, 0, static_cast<double>(k), static_cast<double>(k + 1)));
    CHECK_FALSE(judge_saturation(burst, 0, 0).judged);
    std::vector<RequestState> closed = single_server(1000, 1, 2);
    for (auto& r : closed) r.request.client_id = 0;
    CHECK_FALSE(judge_saturation(closed, 0, 0).judged);
    CHECK_FALSE(judge_saturation(closed, 0, 0).overloaded);
  }
}

TEST_CASE("saturation: M/D/1 at rho 0.5 and 0.9 is stable, at rho 1.5 overloaded with its rates") {
  // D = 10 ms: the server completes 100 req/s while busy.
  for (double rate : {50.0, 90.0}) {
    const Ran ran = run_text(md1_at(rate, 5000));
    INFO("rate " << rate << "\n" << ran.cli.err);
    REQUIRE(ran.cli.code == 0);
    // The verdict's two columns are the last two of summary.csv.
    const auto& header = ran.summary.front();
    REQUIRE(header.size() >= 2);
    CHECK(header[header.size() - 2] == "overloaded");
    CHECK(header.back() == "overload_reason");
    CHECK(ran.cell(1, "overloaded") == "false");
    CHECK(ran.cell(1, "overload_reason").empty());
    CHECK_THAT(ran.cli.out, !Contains("OVERLOADED"));
  }
  // rho 1.5: about 5000 / 150 = 33.3 s of arrivals, 100 x 33.3 = 3333 served in that time, so
  // 5000 - 3333 - 1 (in service) = 1666 wait at the end.
  const Ran ran = run_text(md1_at(150, 5000));
  REQUIRE(ran.cli.code == 0);
  CHECK(ran.cell(1, "overloaded") == "true");
  const Reason reason = parse_reason(ran.cell(1, "overload_reason"));
  CHECK(reason.arrivals == Approx(150).epsilon(0.05));
  CHECK(reason.completions == Approx(100).epsilon(0.01));
  CHECK(reason.queue_from == 0);
  CHECK(static_cast<double>(reason.queue_to) == Approx(1666).epsilon(0.05));
  CHECK_THAT(ran.cli.out, Contains("OVERLOADED"));
}

TEST_CASE("saturation: a run whose arrivals end with a backlog is flagged though its mean load is below capacity") {
  // 40 s at 50 req/s (rho 0.5), then 300 req/s until 3500 requests (1500 more in 5 s). Over the
  // 45 s the mean rate is 78 req/s < 100, but the last 5 s serve 500 of their 1500: about 1000
  // requests are unfinished when the arrivals end.
  const Ran ran =
      run_text(md1_experiment("md1_surge", "{process: steps, steps: [{until_s: 40, rate_per_s: 50}, {until_s: 45, rate_per_s: 300}]}",
                              3500, ""));
  REQUIRE(ran.cli.code == 0);
  CHECK(ran.cell(1, "overloaded") == "true");
  const Reason reason = parse_reason(ran.cell(1, "overload_reason"));
  CHECK(reason.arrivals == Approx(3500.0 / 45).epsilon(0.05));
  CHECK(reason.completions == Approx(2500.0 / 45).epsilon(0.05));
  CHECK(static_cast<double>(reason.queue_to) == Approx(1000).epsilon(0.1));
}

TEST_CASE("saturation: a closed loop is never overloaded, however many clients wait") {
  // 50 clients on a one-at-a-time server: 49 always wait, but each sends only when answered.
  const Ran ran = run_text(md1_experiment("md1_closed", "{process: closed_loop, clients: 50}", 2000, ""));
  REQUIRE(ran.cli.code == 0);
  CHECK(ran.cell(1, "overloaded") == "false");
}

TEST_CASE("saturation: the terminal table marks overloaded runs and one warning names them with what to change") {
  const std::string sweep = "sweep:\n  workload.arrival.rate_per_s: [50, 150]\n";
  const CapturedLog log;
  const Ran ran = run_text(md1_at(50, 3000) + sweep);
  REQUIRE(ran.cli.code == 0);
  CHECK(ran.cell(1, "overloaded") == "false");
  CHECK(ran.cell(2, "overloaded") == "true");
  // The table's last column: "ok" on run 0's line, "OVERLOADED" on run 1's.
  std::istringstream lines(ran.cli.out);
  std::string line, run0, run1;
  while (std::getline(lines, line)) {
    if (line.find("rate_per_s=50") != std::string::npos) run0 = line;
    if (line.find("rate_per_s=150") != std::string::npos) run1 = line;
  }
  CHECK_THAT(run0, Contains(" ok"));
  CHECK_THAT(run1, Contains("OVERLOADED"));
  const std::string warning = log.text();
  CHECK_THAT(warning, Contains("1 of 2 run(s) past saturation: 1 (one_at_a_time @ workload.arrival.rate_per_s=150)"));
  CHECK_THAT(warning, Contains("Lower the request rate") && Contains("num_replicas") && Contains("max_num_seqs"));
  CHECK_THAT(warning, !Contains("rate_per_s=50)"));

  // --format json carries the verdict too, as a boolean and the reason.
  const CliRun json = run_cli_args({"run", write_file(fresh_dir("saturation-json"), "exp.yaml", md1_at(150, 3000)), "--out",
                                    fresh_dir("saturation-json-out"), "--format", "json", "--quiet"});
  REQUIRE(json.code == 0);
  CHECK(json.out.empty());  // --quiet: nothing
  const CliRun json_rows = run_cli_args({"run", write_file(fresh_dir("saturation-json"), "exp.yaml", md1_at(150, 3000)),
                                         "--out", fresh_dir("saturation-json-out"), "--format", "json"});
  REQUIRE(json_rows.code == 0);
  CHECK_THAT(json_rows.out, Contains("\"overloaded\": true") && Contains("\"overload_reason\": \"arrivals 1"));
}

TEST_CASE("saturation: the Azure conversation trace at its own rate is flagged on four A100s") {
  // experiments/azure_trace_replay.yaml: 2867 requests in 600 s (4.78 req/s) of Llama-2-70B at
  // TP 4; the file's sweep also runs twice the rate.
  const std::string dir = fresh_dir("saturation-azure");
  const CliRun run = run_cli_args({"run", traces_dir() + "/../azure_trace_replay.yaml", "--out", dir, "--no-requests", "--quiet"});
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/summary.csv");
  REQUIRE(summary.size() == 3);
  for (std::size_t row = 1; row <= 2; ++row) {
    INFO("row " << row);
    CHECK(summary[row][column(summary, "overloaded")] == "true");
    const Reason reason = parse_reason(summary[row][column(summary, "overload_reason")]);
    CHECK(reason.arrivals == Approx(4.78 * static_cast<double>(row)).epsilon(0.02));
    CHECK(reason.completions < 0.8 * reason.arrivals);
  }
}

TEST_CASE("saturation: compare reads a summary.csv written before the verdict's columns") {
  const std::string dir = fresh_dir("saturation-compare");
  const CliRun run = run_cli_args({"run", write_file(dir, "exp.yaml", md1_at(150, 2000)), "--out", dir + "/new", "--quiet"});
  REQUIRE(run.code == 0);
  // The same file without its last nineteen columns (the five prefix-cache columns, the twelve
  // prefill/decode columns, then the verdict's two): what an older build wrote.
  std::istringstream in(read_file(dir + "/new/summary.csv"));
  std::string old_text, line;
  while (std::getline(in, line)) {
    for (int drop = 0; drop < 19; ++drop) line.erase(line.rfind(','));
    old_text += line + "\n";
  }
  std::filesystem::create_directories(dir + "/old");
  write_file(dir + "/old", "summary.csv", old_text);
  REQUIRE(read_csv(dir + "/old/summary.csv").front().back() == "littles_throughput_x_e2el");
  for (const auto& [a, b] : {std::pair<std::string, std::string>{"old", "new"}, {"new", "old"}}) {
    const CliRun compared = run_cli_args({"compare", dir + "/" + a + "/summary.csv", dir + "/" + b + "/summary.csv"});
    INFO(compared.err);
    CHECK(compared.code == 0);
    CHECK_THAT(compared.out, Contains("1 matched run(s)") && Contains("mean_ttft_ms"));
    // The new file's run is past saturation (rho 1.5); the old file cannot say.
    const std::string side = a == "new" ? "A" : "B";
    CHECK_THAT(compared.out, Contains("overloaded in " + side + " (past saturation): one_at_a_time @ -"));
    CHECK_THAT(compared.out, !Contains("overloaded in " + std::string(a == "new" ? "B" : "A")));
  }
  const CliRun json = run_cli_args({"compare", dir + "/old/summary.csv", dir + "/new/summary.csv", "--format", "json"});
  REQUIRE(json.code == 0);
  const auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["overloaded_in_a"] == nlohmann::json::array());
  CHECK(parsed["overloaded_in_b"] == nlohmann::json::array({"one_at_a_time @ -"}));
}

TEST_CASE("saturation: capacity marks the bisection's probes past saturation, in its log and a note") {
  // M/D/1, D = 10 ms: saturation at 100 req/s. Mean TTFT <= 30 ms bisects between 10 and 200.
  const std::string dir = fresh_dir("saturation-capacity");
  const std::string text = md1_experiment("md1_capacity", "{process: poisson, rate_per_s: 10}", 5000,
                                          "capacity:\n  slo: {ttft_mean_ms: 30}\n  low: 10\n  high: 200\n");
  const CliRun cli = run_cli_args({"capacity", write_file(dir, "cap.yaml", text), "--out", dir + "/out"});
  INFO(cli.out << cli.err);
  REQUIRE(cli.code == 0);
  const auto log = read_csv(dir + "/out/capacity_log.csv");
  REQUIRE(log.front().back() == "overload_reason");
  int64_t overloaded = 0;
  for (std::size_t i = 1; i < log.size(); ++i) {
    const double load = std::stod(log[i][column(log, "load")]);
    const bool flagged = log[i][column(log, "overloaded")] == "true";
    INFO("load " << load);
    // Below the service rate the queue is stable; 200 req/s is rho 2.
    if (load < 100) CHECK_FALSE(flagged);
    if (load >= 200) CHECK(flagged);
    if (!flagged) continue;
    ++overloaded;
    CHECK(log[i][column(log, "state")] == "overloaded");
    CHECK_THAT(log[i][column(log, "reason")], Contains("overloaded: arrivals "));
    const Reason reason = parse_reason(log[i][column(log, "overload_reason")]);
    CHECK(reason.completions == Approx(100).epsilon(0.01));
  }
  REQUIRE(overloaded >= 1);
  CHECK_THAT(cli.out, Contains(fmt::format("note: {} probe(s) ran past saturation (the lowest at load", overloaded)));
}

TEST_CASE("saturation: search counts each candidate's probes past saturation") {
  // The search of test_search.cpp: per replica the bisection probes 10, 200 (rho 2, past
  // saturation), then loads below 100 req/s as Pollaczek-Khinchine puts the 30 ms mean-TTFT
  // limit at 80 req/s; the target, 150 req/s on two replicas, is 75 each. One probe per candidate.
  const std::string text = md1_search_experiment();
  const std::string dir = fresh_dir("saturation-search");
  const CliRun cli = run_cli_args({"search", write_file(dir, "search.yaml", text), "--out", dir + "/out"});
  INFO(cli.out << cli.err);
  REQUIRE(cli.code == 0);
  const auto csv = read_csv(dir + "/out/search.csv");
  REQUIRE(csv.size() == 7);
  for (std::size_t i = 1; i < csv.size(); ++i) {
    const bool pruned = csv[i][column(csv, "status")] == "pruned";  // TP 3: nothing simulated
    CHECK(csv[i][column(csv, "overloaded_probes")] == (pruned ? "0" : "1"));
  }
  CHECK_THAT(cli.err + cli.out, Contains("note: 3 probe(s) of 3 candidate(s) ran past saturation"));
}
