// `replay` of a per-request timestamp run: the real vLLM 0.19 RTX 4090 run shipped in
// hardware/profiles/measured. The measured side is checked against values computed from its
// requests.jsonl outside this program (Python, the README's definitions, numpy-style linear
// percentiles); the simulated side against the run's own engine settings.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "simulator/experiment/timestamp_run.hpp"
#include "simulator/experiment_helpers.hpp"
#include "simulator/util/data_paths.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

std::string real_run() {
  return data_root() + "/hardware/profiles/measured/serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/requests.jsonl";
}

}  // namespace

TEST_CASE("timestamp run: the real RTX 4090 run's measured metrics as its README defines them") {
  const TimestampRun run = read_timestamp_run(real_run());
  REQUIRE(run.requests.size() == 300);
  CHECK(run.requests[0].input_tokens == 2358);
  CHECK(run.requests[0].output_tokens == 531);
  REQUIRE(run.meta);
  CHECK(run.meta->model == "meta-llama/Llama-3.1-8B");
  CHECK(run.meta->device_name == "NVIDIA GeForce RTX 4090");
  CHECK(run.meta->max_num_seqs == 256);
  CHECK(run.meta->max_num_batched_tokens == 2048);
  CHECK(run.meta->max_model_len == 32768);
  CHECK(run.meta->num_gpu_blocks == 2588);
  CHECK(run.meta->async_scheduling == true);
  const TimestampRunMetrics m = measured_metrics(run);
  // Python over the same file: TTFT mean 65.4566 s, TPOT mean 32.4 ms, E2E mean 86.5783 s,
  // duration 183.567 s, 1066.38 output tokens/s.
  double ttft = 0, e2e = 0, tpot = 0;
  for (double v : m.ttft_s) ttft += v;
  for (double v : m.e2e_s) e2e += v;
  for (double v : m.tpot_s) tpot += v;
  CHECK(ttft / 300 == Approx(65.4566).epsilon(1e-5));
  CHECK(e2e / 300 == Approx(86.5783).epsilon(1e-5));
  CHECK(tpot / 300 == Approx(0.0324).epsilon(3e-3));
  CHECK(m.duration_s == Approx(183.5675).epsilon(1e-5));
  CHECK(m.output_throughput == Approx(1066.3818).epsilon(1e-5));
}

TEST_CASE("replay: a timestamp run replays on its own engine settings and prints every error") {
  const CliRun run = run_cli_args({"replay", real_run(), "--format", "json"});
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(run.out);
  CHECK(j["requests"] == 300);
  CHECK(j["rejected_in_simulation"] == 0);
  const auto& metrics = j["metrics"];
  for (const char* key : {"mean_ttft_ms", "p50_ttft_ms", "p90_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "p99_tpot_ms",
                          "mean_e2el_ms", "mean_itl_ms", "duration_s", "request_throughput", "output_throughput",
                          "kv_cache_blocks"}) {
    INFO(key);
    REQUIRE(metrics.contains(key));
    const double measured = metrics[key]["measured"], simulated = metrics[key]["simulated"];
    CHECK(metrics[key]["relative_error"].get<double>() == Approx((simulated - measured) / measured));
  }
  CHECK(metrics["kv_cache_blocks"]["measured"] == 2588);
  CHECK(metrics["p50_ttft_ms"]["measured"].get<double>() == Approx(60110.94).epsilon(1e-6));
  CHECK(metrics["p99_tpot_ms"]["measured"].get<double>() == Approx(56.00).epsilon(1e-3));
  // Same requests, same simulation: a second replay prints the same numbers.
  CHECK(run_cli_args({"replay", real_run(), "--format", "json"}).out == run.out);
}

TEST_CASE("replay: a broken timestamp line is an input error naming file:line and the key") {
  const std::string dir = fresh_dir("replay-timestamps");
  const std::string path = dir + "/run.jsonl";
  std::ofstream(path) << R"({"input_toks": 10, "output_toks": 5, "arrival_time": 1.0, "queued_ts": 2.0, "scheduled_ts": 2.1, "first_token_ts": 2.5, "last_token_ts": 3.0})"
                      << "\n"
                      << R"({"input_toks": 10, "output_toks": 5, "arrival_time": 1.5, "queued_ts": 2.0, "scheduled_ts": 2.1, "first_token_ts": 2.5})"
                      << "\n";
  CliRun run = run_cli_args({"replay", path, "--model", "Llama-3.1-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("run.jsonl:2") && Contains("last_token_ts") && Contains("missing"));
  std::ofstream(path) << R"({"input_toks": 10, "output_toks": 5, "arrival_time": 1.0, "queued_ts": 2.0, "scheduled_ts": 2.1, "first_token_ts": 1.5, "last_token_ts": 3.0})"
                      << "\n";
  run = run_cli_args({"replay", path, "--model", "Llama-3.1-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("run.jsonl:1") && Contains("out of order"));
  // No meta.json beside it: the model must be given.
  std::ofstream(path) << R"({"input_toks": 10, "output_toks": 5, "arrival_time": 1.0, "queued_ts": 2.0, "scheduled_ts": 2.1, "first_token_ts": 2.5, "last_token_ts": 3.0})"
                      << "\n";
  run = run_cli_args({"replay", path});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--model"));
}

TEST_CASE("step: the parts add up to the step, and a decode step is the TPOT") {
  const CliRun run = run_cli_args({"step", "--model", "Llama-3.1-8B", "--gpu", "H100-SXM", "--batch", "3", "--context",
                                   "1000", "--format", "json"});
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(run.out);
  const double kernels = j["gemm_s"].get<double>() + j["attention_s"].get<double>() + j["elementwise_s"].get<double>() +
                         j["all_reduce_s"].get<double>() + j["pp_transfer_s"].get<double>() + j["lm_head_s"].get<double>() +
                         j["sampling_s"].get<double>();
  CHECK(j["kernels_s"].get<double>() == Approx(kernels));
  CHECK(j["gpu_s"].get<double>() == Approx(kernels + j["padding_s"].get<double>() + j["launch_s"].get<double>()));
  // 3 decodes replay the full graph captured for 4 rows: padding costs something.
  CHECK(j["padded_tokens"] == 4);
  CHECK(j["runs_as"] == "full CUDA graph");
  CHECK(j["padding_s"].get<double>() > 0);
  CHECK(j["step_s"].get<double>() >= std::max(j["gpu_s"].get<double>(), j["host_s"].get<double>()));
  // Static batching has no vLLM engine step to price.
  const CliRun bench = run_cli_args({"step", "--model", "Llama-3.1-8B", "--gpu", "H100-SXM", "--framework", "static"});
  CHECK(bench.code == 2);
}
