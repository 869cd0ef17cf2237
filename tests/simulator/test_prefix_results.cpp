// The prefix-cache columns of the results (summary.csv, requests.csv, timeseries.csv, the run
// table) for a two-turn session run on the real run machinery, with hits set by hand so that
// every cell can be worked out on paper; and the same keys, empty, for runs without lookups.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "scenario.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/experiment/run_executor.hpp"

using namespace llmpo;

namespace {

constexpr SimTime kMs = 1'000'000;

// Llama3-8B on one H100, vLLM with prefix caching on or off; its own workload is never used.
ExperimentPlan plan_with_caching(const Libraries& libraries, bool caching) {
  return plan_experiment(read_experiment_text(fmt::format(R"(name: prefix
simulation: {{seed: 1}}
hardware:
  gpu0: {{preset: H100-SXM, count: 1}}
workload:
  arrival: {{process: poisson, rate_per_s: 1}}
  num_requests: 1
  prompt_tokens: {{distribution: fixed, value: 16}}
  output_tokens: {{distribution: fixed, value: 16}}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {{model_profile_id: Llama3-8B, gpu_id: gpu0, enable_prefix_caching: {}}}
)",
                                                          caching),
                                              "<test>", {}),
                         libraries);
}

// One session of two turns. Turn 0: a 64-token system prompt + 36 tokens (prompt 100), reply
// 20. Turn 1: that history (120) + 30 new tokens (prompt 150), reply 10, sent 5 ms after turn
// 0's last token. A lone request (id 2, prompt 40) outside any session arrives at 0 too.
Workload two_turn_session() {
  auto tree = std::make_shared<PromptTree>();
  const int32_t system = tree->add(kNoPromptNode, 64);
  const int32_t first_message = tree->add(system, 36);
  const int32_t first_reply = tree->add(first_message, 20);
  const int32_t second_message = tree->add(first_reply, 30);
  const int32_t second_reply = tree->add(second_message, 10);
  Workload w = test::open_loop({{0, 100, 20}, {0, 150, 10}, {0, 40, 5}});
  w.requests[0].content_node = first_reply;
  w.requests[1].content_node = second_reply;
  w.requests[1].arrival_ns = kNeverNs;
  w.set_session(0, 7);
  w.set_session(1, 7);
  w.link_turns(0, 1, 5 * kMs);
  w.prompts = tree;
  return w;
}

std::map<std::string, std::string> as_map(const CsvRow& row) {
  std::map<std::string, std::string> out;
  for (const auto& [column, value] : row) out[column] = value;
  return out;
}

// The lines of `text` split into cells (no quoted cells in these rows).
std::vector<std::vector<std::string>> cells_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    rows.emplace_back(1);
    for (char c : line) {
      if (c == ',') rows.back().emplace_back();
      else rows.back().back() += c;
    }
  }
  return rows;
}

std::vector<std::string> header_of(const char* header) { return cells_of(header).front(); }

std::string cell(const std::vector<std::string>& header, const std::vector<std::string>& row, const std::string& name) {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return row.at(c);
  FAIL("no column " << name);
  return "";
}

}  // namespace

TEST_CASE("results: a run's queried prompt tokens are the prompts of its requests") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan on = plan_with_caching(libraries, true);
  RunExecutor executor(on, libraries);
  const Workload w = two_turn_session();
  const RunOutcome looked_up = executor.execute_with(on.runs.front(), w, MetricsOptions{});
  REQUIRE(looked_up.metrics.completed == 3);
  REQUIRE(looked_up.metrics.prefix_cache);
  CHECK(looked_up.metrics.prefix_cache->requests == 3);
  CHECK(looked_up.metrics.prefix_cache->query_tokens == 100 + 150 + 40);
  CHECK(looked_up.metrics.prefix_cache->hit_tokens <= 290);  // whatever the framework found

  // Caching off: vLLM records no lookups, so there are no figures (not a 0% hit rate).
  const ExperimentPlan off = plan_with_caching(libraries, false);
  RunExecutor executor_off(off, libraries);
  CHECK_FALSE(executor_off.execute_with(off.runs.front(), w, MetricsOptions{}).metrics.prefix_cache);
  // Without content identity nothing can match: no figures either.
  Workload plain = w;
  plain.prompts = nullptr;
  for (auto& r : plain.requests) r.content_node = kNoPromptNode;
  CHECK_FALSE(executor.execute_with(on.runs.front(), plain, MetricsOptions{}).metrics.prefix_cache);
}

TEST_CASE("results: summary, requests and time-series rows carry the prefix-cache columns") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_with_caching(libraries, true);
  RunExecutor executor(plan, libraries);
  const Workload w = two_turn_session();
  RunOutcome outcome = executor.execute_with(plan.runs.front(), w, MetricsOptions{});
  REQUIRE(outcome.metrics.completed == 3);
  // Hits by hand: the second turn found its 120-token history minus the last partial block
  // (112 = 7 blocks of 16), 48 of them loaded from host memory; the others found nothing.
  for (auto& r : outcome.result.requests) r.cached_prompt_tokens = r.host_loaded_tokens = 0;
  outcome.result.requests[1].cached_prompt_tokens = 112;
  outcome.result.requests[1].host_loaded_tokens = 48;
  outcome.metrics.prefix_cache = measured_prefix_cache_totals(outcome.result, MetricsOptions{});

  const auto summary = as_map(summary_row(plan, outcome, w));
  CHECK(summary.at("prefix_query_tokens") == "290");
  CHECK(summary.at("cached_prompt_tokens") == "112");
  CHECK(summary.at("host_loaded_tokens") == "48");
  CHECK(std::stod(summary.at("prefix_cache_hit_rate")) == Approx(112.0 / 290.0).epsilon(1e-6));
  CHECK(std::stod(summary.at("mean_cached_tokens_per_request")) == Approx(112.0 / 3.0).epsilon(1e-6));
  CHECK(table_cells(plan, plan.runs.front(), outcome.metrics).at(17) == "38.6%");  // 112 / 290
  CHECK(table_headers().at(17) == "prefix hit");

  const auto requests_header = header_of(kRequestsHeader);
  const auto requests = cells_of(requests_rows(outcome, w));
  REQUIRE(requests.size() == 3);
  for (const auto& row : requests) REQUIRE(row.size() == requests_header.size());
  const auto at = [&](std::size_t r, const char* name) { return cell(requests_header, requests[r], name); };
  CHECK(at(0, "session_id") == "7");
  CHECK(at(0, "turn") == "0");
  CHECK(at(1, "session_id") == "7");
  CHECK(at(1, "turn") == "1");
  CHECK(at(2, "session_id").empty());  // outside any session
  CHECK(at(2, "turn").empty());
  CHECK(at(0, "cached_tokens") == "0");
  CHECK(at(1, "cached_tokens") == "112");
  CHECK(at(1, "host_loaded_tokens") == "48");
  CHECK(at(2, "cached_tokens") == "0");

  // Each request lands in the interval of its first scheduling: the intervals' queries and hits
  // add up to the whole run's, and each interval's rate is its own hits over its queries.
  const auto series_header = header_of(kTimeseriesHeader);
  const auto series = cells_of(timeseries_rows(outcome));
  REQUIRE_FALSE(series.empty());
  int64_t queries = 0, hits = 0;
  int64_t rows_with_rate = 0;
  for (const auto& row : series) {
    REQUIRE(row.size() == series_header.size());
    const int64_t q = std::stoll(cell(series_header, row, "prefix_query_tokens"));
    const int64_t h = std::stoll(cell(series_header, row, "cached_prompt_tokens"));
    queries += q;
    hits += h;
    const std::string rate = cell(series_header, row, "prefix_cache_hit_rate");
    if (q == 0) {
      CHECK(rate.empty());
    } else {
      ++rows_with_rate;
      CHECK(std::stod(rate) == Approx(static_cast<double>(h) / static_cast<double>(q)).epsilon(1e-6));
    }
  }
  CHECK(queries == 290);
  CHECK(hits == 112);
  // Requests 0 and 2 are scheduled at 0 ms, the follow-up well after 5 ms: the 1 s default
  // interval holds all three in the first row.
  CHECK(rows_with_rate == 1);
}

TEST_CASE("results: a run without prefix lookups has the same keys, with empty cells") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_with_caching(libraries, false);
  RunExecutor executor(plan, libraries);
  const Workload w = two_turn_session();
  const RunOutcome outcome = executor.execute_with(plan.runs.front(), w, MetricsOptions{});
  REQUIRE_FALSE(outcome.metrics.prefix_cache);
  const auto summary = as_map(summary_row(plan, outcome, w));
  for (const char* key : {"prefix_cache_hit_rate", "cached_prompt_tokens", "prefix_query_tokens", "host_loaded_tokens",
                          "mean_cached_tokens_per_request"}) {
    REQUIRE(summary.count(key) == 1);
    CHECK(summary.at(key).empty());
  }
  CHECK(table_cells(plan, plan.runs.front(), outcome.metrics).at(17) == "-");
  const auto requests_header = header_of(kRequestsHeader);
  for (const auto& row : cells_of(requests_rows(outcome, w))) {
    REQUIRE(row.size() == requests_header.size());
    CHECK(cell(requests_header, row, "cached_tokens").empty());
    CHECK(cell(requests_header, row, "host_loaded_tokens").empty());
  }
  const auto series_header = header_of(kTimeseriesHeader);
  for (const auto& row : cells_of(timeseries_rows(outcome))) {
    REQUIRE(row.size() == series_header.size());
    CHECK(cell(series_header, row, "prefix_query_tokens").empty());
    CHECK(cell(series_header, row, "prefix_cache_hit_rate").empty());
  }
}
