// Property: every numeric value of an experiment, replaced by an extreme (0, 1e-300, 1e300, -1,
// the largest int64, 2^31), either passes `validate` (exit 0) or is refused as bad input at
// file:line (exit 2) - never an internal error (exit 1) or a crash. The keys are found in the
// file's text, so a key added to these files is covered without naming it here. `validate`, not
// `run`: an accepted extreme can make a run of simulated centuries, whose time series grows with
// the simulated span (bounded by the time-series work, not by these limits); runs at the limits
// are checked one by one in test_time_limits.cpp, and a run past the clock stops with exit 2.
#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "experiment_helpers.hpp"

using namespace llmpo::test;

namespace {

// Roofline cost model, open-loop arrivals, hardware overrides, SLOs, a measured window.
const char* kRoofline = R"(name: extremes
simulation:
  seed: 11
  warmup_s: 0.2
  cooldown_s: 0.2
  slo: {ttft_ms: 800, tpot_ms: 60}
hardware:
  gpu0: {preset: H100-SXM, count: 2, overrides: {memory_bandwidth_tb_per_s: 3.2, memory_gib: 80}}
workload:
  arrival: {process: gamma, rate_per_s: 25, burstiness: 0.5}
  num_requests: 20
  prompt_tokens: {distribution: uniform, min: 32, max: 256}
  output_tokens: {distribution: fixed, value: 12}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, max_num_seqs: 32, block_size: 16, gpu_memory_utilization: 0.9, tensor_parallel_degree: 1}
)";

// Linear cost model, a closed loop, a static-batching framework. (Not timeseries_interval_s: a
// tiny interval over a long run is bounded by the time-series memory work, not by these limits.)
const char* kLinear = R"(name: extremes-linear
simulation:
  seed: 12
  cost_model: {type: linear, base_ms: 2, per_token_ms: 0.05, per_sequence_ms: 0.1, per_kv_token_ms: 0.0001}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: closed_loop, clients: 3, think_time_s: 0.3}
  num_requests: 20
  prompt_tokens: {distribution: normal, mean: 100, stdev: 20, min: 8}
  output_tokens: {distribution: fixed, value: 10}
frameworks_to_test:
  - name: s
    type: STATIC
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, batch_size: 4, batch_timeout_s: 0.01}
)";

const std::vector<std::string> kExtremes = {"0", "1e-300", "1e300", "-1", "9223372036854775807", "2147483648"};

// Where each number in `text` starts and how long it is: a value after ": " (keys are never numbers).
std::vector<std::pair<std::size_t, std::size_t>> numbers_in(const std::string& text) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  const std::regex number(R"(: (-?[0-9][0-9.e+-]*)(?=[,}\n]))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    out.emplace_back(static_cast<std::size_t>(it->position(1)), static_cast<std::size_t>(it->length(1)));
  return out;
}

void check_every_number(const std::string& base, const std::string& tag) {
  const auto numbers = numbers_in(base);
  REQUIRE(numbers.size() >= 11);  // the pattern found the file's values
  const std::string dir = fresh_dir(tag);
  const std::regex at_line(R"(exp\.yaml:[0-9]+(:[0-9]+)?: )");
  for (const auto& [at, length] : numbers) {
    for (const std::string& extreme : kExtremes) {
      std::string text = base;
      text.replace(at, length, extreme);
      const std::string file = write_file(dir, "exp.yaml", text);
      const CliRun run = run_cli_args({"validate", file});
      INFO("value " << base.substr(at, length) << " at offset " << at << " -> " << extreme << "\n" << run.err);
      REQUIRE((run.code == 0 || run.code == 2));
      CHECK(run.err.find("internal error") == std::string::npos);
      if (run.code == 2) CHECK(std::regex_search(run.err, at_line));
      else CHECK_THAT(run.out, Catch::Matchers::Contains("valid - 1 sweep point(s)"));
    }
  }
}

}  // namespace

TEST_CASE("extreme values: every number of a roofline experiment validates or is refused at its line") {
  check_every_number(kRoofline, "extremes-roofline");
}

TEST_CASE("extreme values: every number of a linear closed-loop experiment validates or is refused at its line") {
  check_every_number(kLinear, "extremes-linear");
}
