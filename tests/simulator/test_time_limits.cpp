// Inputs that become simulated times (int64 nanoseconds) or token counts (int32) are bounded at
// validation with the valid range in the message; what each bound allows but the run as a whole
// cannot hold stops with an input error instead of wrapping the clock to a negative time.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// 40 requests of Llama-3-8B on one H100: runs in a fraction of a second.
const char* kSmall = R"(name: limits
simulation:
  seed: 7
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 10}
  num_requests: 40
  prompt_tokens: {distribution: fixed, value: 128}
  output_tokens: {distribution: fixed, value: 16}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
)";

std::string edited(const std::string& from, const std::string& to) { return with_edits(kSmall, {{from, to}}); }

struct Ran {
  std::string file, dir;
  CliRun run;
};

Ran run_text(const std::string& text, const std::string& command = "run") {
  Ran out;
  out.dir = fresh_dir("time-limits");
  out.file = write_file(out.dir, "exp.yaml", text);
  out.run = command == "run" ? run_cli_args({"run", out.file, "--out", out.dir + "/out"})
                             : run_cli_args({command, out.file});
  return out;
}

// Exit 2 with the error at file:line:col of `key_path`.
void check_refused(const Ran& r, const std::string& key_path, const std::string& message) {
  INFO(r.run.err);
  CHECK(r.run.code == 2);
  CHECK_THAT(r.run.err, Contains(r.file + ":") && Contains(key_path + ": ") && Contains(message));
  CHECK(r.run.err.find("internal error") == std::string::npos);
}

}  // namespace

TEST_CASE("time limits: rates, think times and windows beyond the clock are refused with their range") {
  check_refused(run_text(edited("rate_per_s: 10", "rate_per_s: 1e-40")), "workload.arrival.rate_per_s",
                "1e-40 is out of range (must be at least 1e-09)");
  check_refused(run_text(edited("{process: poisson, rate_per_s: 10}", "{process: closed_loop, clients: 2, think_time_s: 4e12}")),
                "workload.arrival.think_time_s", "4e12 is out of range (must be at least 0 and at most 1000000000)");
  check_refused(run_text(edited("seed: 7", "seed: 7\n  warmup_s: 2e15")), "simulation.warmup_s",
                "must be at least 0 and at most 1000000000");
  check_refused(run_text(edited("seed: 7", "seed: 7\n  cooldown_s: 1e300")), "simulation.cooldown_s", "at most 1000000000");
  check_refused(run_text(edited("num_requests: 40", "duration_s: 5e11")), "workload.duration_s", "at most 1000000000");
}

TEST_CASE("time limits: rates each in range but too slow for the number of requests are refused together") {
  // 40 requests at 1e-8/s take 4e9 s to arrive: each key is valid, the pair is not.
  check_refused(run_text(edited("rate_per_s: 10", "rate_per_s: 1e-8")), "workload.arrival",
                "take about 4e+09 s to arrive, more than the 1e+09 s a run may simulate");
  // 40 requests from 2 clients thinking 1e8 s each: 2e9 s.
  check_refused(run_text(edited("{process: poisson, rate_per_s: 10}", "{process: closed_loop, clients: 2, think_time_s: 1e8}")),
                "workload.arrival", "2 clients thinking");
}

TEST_CASE("time limits: step costs and hardware too slow for the clock are refused") {
  check_refused(run_text(edited("seed: 7", "seed: 7\n  cost_model: {type: linear, base_ms: 3e14}")),
                "simulation.cost_model.base_ms", "3e14 is out of range (must be at least 0 and at most 1000000000000)");
  check_refused(run_text(edited("count: 1}", "count: 1, overrides: {memory_bandwidth_tb_per_s: 1e-12}}")),
                "hardware.gpu0.overrides.memory_bandwidth_tb_per_s", "must be at least 1e-06 and at most 1000000");
  check_refused(run_text(edited("count: 1}", "count: 1, overrides: {peak_dense_tflops: {bf16: 1e-30}}}")),
                "hardware.gpu0.overrides.peak_dense_tflops.bf16", "must be at least 1e-06");
  check_refused(run_text(std::string(kSmall) + "capacity:\n  slo: {ttft_p99_ms: 500}\n  low: 1e-100\n  high: 20\n", "capacity"),
                "capacity.low", "must be at least 1e-09");
}

TEST_CASE("time limits: a run whose valid inputs add up past the clock stops with an input error") {
  // Every term is in range (at most 1e12 ms), but the first step reads 128 KV tokens at 1e11 ms
  // each, 1.3e10 s, past the clock's 146 years: exit 2 naming the file and the run, not a
  // wrapped negative time. Shown at the workload, whose length is half the cause.
  const Ran r = run_text(edited("seed: 7", "seed: 7\n  cost_model: {type: linear, base_ms: 1, per_kv_token_ms: 1e11}"));
  INFO(r.run.err);
  CHECK(r.run.code == 2);
  CHECK_THAT(r.run.err, Contains(r.file + ":7:1: run 'v': the simulated run would last more than 146 years"));
  CHECK(r.run.err.find("internal error") == std::string::npos);
}

TEST_CASE("time limits: a linear step of zero cost takes one nanosecond") {
  // base_ms: 0 is documented as valid (>= 0); every step then lasts the clock's 1 ns tick.
  const Ran r = run_text(edited("seed: 7", "seed: 7\n  cost_model: {type: linear, base_ms: 0}"));
  INFO(r.run.err);
  REQUIRE(r.run.code == 0);
  const auto summary = read_csv(r.dir + "/out/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "measured_requests")] == "40");
  // Requests finish as they arrive: TTFT is a few steps of 1 ns, far below a microsecond.
  CHECK(std::stod(summary[1][column(summary, "mean_ttft_ms")]) < 1e-3);
}

TEST_CASE("time limits: a warm-up past every arrival measures nothing, never a negative duration") {
  // 40 arrivals at 10/s end near 4 s; a warm-up of 1e9 s (the most allowed) excludes them all.
  const Ran r = run_text(edited("seed: 7", "seed: 7\n  warmup_s: 1e9"));
  INFO(r.run.err);
  REQUIRE(r.run.code == 0);
  const auto summary = read_csv(r.dir + "/out/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "measured_requests")] == "0");
  CHECK(std::stod(summary[1][column(summary, "duration_s")]) == 0);
}

TEST_CASE("time limits: replayed token counts and start times are range-checked per entry") {
  const nlohmann::json fixture = nlohmann::json::parse(read_file(data_dir() + "/vllm_results/llama3_8b_h100_rate4.json"));
  const std::string dir = fresh_dir("replay-limits");
  // The fixture with `edit` applied, replayed.
  auto replay = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = fixture;
    edit(j);
    return run_cli_args({"replay", write_file(dir, "bench.json", j.dump()), "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  };
  const CliRun long_prompt = replay([](nlohmann::json& j) { j["input_lens"][3] = 3000000000LL; });
  CHECK(long_prompt.code == 2);
  CHECK_THAT(long_prompt.err, Contains("input_lens[3]: token count 3000000000 is out of range (must be at most 1000000000)"));
  const CliRun long_output = replay([](nlohmann::json& j) { j["output_lens"][0] = INT64_MAX; });
  CHECK(long_output.code == 2);
  CHECK_THAT(long_output.err, Contains("output_lens[0]: token count 9223372036854775807 is out of range"));
  // Send times: each within 1e10 s of 0, and all within 1e9 s of each other.
  auto with_times = [&](double first, double step) {
    return replay([&](nlohmann::json& j) {
      j["start_times"] = nlohmann::json::array();
      for (std::size_t i = 0; i < j["input_lens"].size(); ++i) j["start_times"].push_back(first + step * static_cast<double>(i));
    });
  };
  const CliRun far = with_times(-5e200, 1);
  CHECK(far.code == 2);
  CHECK_THAT(far.err, Contains("start_times[0]: -5e+200 is out of range (must be between -1e+10 and 1e+10 seconds)"));
  const CliRun spread = with_times(0, 1e8);  // 50 requests 1e8 s apart: 4.9e9 s
  CHECK(spread.code == 2);
  CHECK_THAT(spread.err, Contains("start_times: span 4.9e+09 seconds, more than the 1e+09 a replay may simulate"));
  CHECK(with_times(1.7e9, 0.25).code == 0);  // Unix times a quarter second apart
}
