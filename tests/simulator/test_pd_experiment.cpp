// Prefill/decode disaggregation in experiment files: the deployment's keys (read, validated with
// file:line), the KV link it prices (worked out from the preset by hand), the results' columns.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "experiment_helpers.hpp"
#include "models/memory_plan.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/pd_deployment.hpp"
#include "simulator/experiment/run_executor.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// Llama-3-70B, 2 prefill + 2 decode TP8 instances on 32 H100s, KV over 400G InfiniBand.
const std::string kPd = R"(name: pd
simulation: {seed: 3}
hardware:
  h100: {preset: H100-SXM, count: 32}
workload:
  arrival: {process: poisson, rate_per_s: 2}
  num_requests: 40
  prompt_tokens: {distribution: uniform, min: 500, max: 3000}
  output_tokens: {distribution: uniform, min: 20, max: 100}
frameworks_to_test:
  - name: pd
    type: VLLM
    config:
      model_profile_id: Llama3-70B
      prefill: {gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2, max_num_batched_tokens: 16384}
      decode: {gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2}
      kv_transfer: {link: infiniband-400g, connector: nixl}
)";

// DeepSeek-V3 on 16 H200s: one TP 8 prefill engine and the decode pool `decode` (a flow
// mapping), KV over 400G InfiniBand; prompts and outputs uniform from the "MIN, max: MAX" given.
std::string deepseek_pd(const std::string& name, const std::string& arrival, int requests, const std::string& prompt_range,
                        const std::string& output_range, const std::string& decode) {
  return "name: " + name + R"(
simulation: {seed: 3}
hardware:
  h200: {preset: H200, count: 16}
workload:
  arrival: )" + arrival + R"(
  num_requests: )" + std::to_string(requests) + R"(
  prompt_tokens: {distribution: uniform, min: )" + prompt_range + R"(}
  output_tokens: {distribution: uniform, min: )" + output_range + R"(}
frameworks_to_test:
  - name: pd
    type: VLLM
    config:
      model_profile_id: DeepSeek-V3
      prefill: {gpu_id: h200, tensor_parallel_degree: 8, max_model_len: 16384}
      decode: )" + decode + R"(
      kv_transfer: {link: infiniband-400g}
)";
}

std::string pd_error(const std::vector<std::pair<std::string, std::string>>& edits) {
  const Checked checked = validate_text(with_edits(kPd, edits), "pd-error");
  CHECK(checked.run.code == 2);
  return checked.run.err;
}

}  // namespace

TEST_CASE("P/D experiment: Llama-3-70B moves 327,680 KV bytes per token, read over 8 InfiniBand NICs") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_experiment(read_experiment_text(kPd, "pd.yaml", {}), libraries);
  REQUIRE(plan.runs.size() == 1);
  const RunSpec& run = plan.runs[0];
  REQUIRE(run.pd != nullptr);
  CHECK(run.replicas == 2);
  CHECK(run.pd->decode.replicas == 2);
  CHECK(run.parallel.tensor_parallel == 8);
  CHECK(run.pd->decode.parallel.tensor_parallel == 8);
  CHECK(deployment_gpus(run) == 32);
  // 80 layers x 8 KV heads x 128 dims x 2 (K and V) x 2 bytes (bf16).
  CHECK(run.pd->link.kv_bytes_per_token == 80 * 8 * 128 * 2 * 2);
  CHECK(run.pd->link.kv_bytes_per_token == 327'680);
  // infiniband-400g.yaml: 50 GB/s per GPU at efficiency 0.8, 32.14 us; 8 lanes (TP 8 on both sides).
  CHECK(run.pd->link_lanes == 8);
  CHECK(run.pd->link.bandwidth_bytes_per_s == Approx(8 * 50e9 * 0.8));
  CHECK(run.pd->link.latency_s == Approx(32.14e-6));
  // A 1000-token prompt: 327.68 MB / 320 GB/s = 1.024 ms, + 32.14 us = 1.05614 ms.
  CHECK(run.pd->link.transfer_ns(1000) == 1'056'140);
  // Each pool's settings are its own: the prefill pool's token budget stays there, the decode pool
  // has vLLM's default on an H100 (8192).
  CHECK(std::get<VllmSettings>(run.settings).max_num_batched_tokens == 16384);
  CHECK(std::get<VllmSettings>(run.pd->decode.settings).max_num_batched_tokens == 8192);
}

TEST_CASE("P/D experiment: DeepSeek-V3's MLA latent is read once per decode rank, each over its own lane") {
  // MLA keeps one 576-value latent per token and layer, whole on every TP rank (vLLM
  // MLAAttentionSpec): each of the 8 decode GPUs reads 61 x 576 x 2 B = 70,272 B a token, so the
  // pool reads 8 x 70,272 = 562,176 B over 8 lanes: a lane's time is one rank's cache / its rate.
  const std::string text = deepseek_pd("pd-mla", "{process: poisson, rate_per_s: 1}", 10, "500, max: 1000", "20, max: 40",
                                        "{gpu_id: h200, tensor_parallel_degree: 8, max_model_len: 16384}");
  const ExperimentPlan plan = plan_experiment(read_experiment_text(text, "pd-mla.yaml", {}), Libraries::load());
  REQUIRE(plan.runs.size() == 1);
  const RunSpec& run = plan.runs[0];
  REQUIRE(run.pd != nullptr);
  CHECK(run.memory.kv_bytes_per_token_model == 61 * 576 * 2);
  CHECK(run.pd->link.kv_bytes_per_token == 8 * 61 * 576 * 2);
  CHECK(run.pd->link.bandwidth_bytes_per_s == Approx(8 * 50e9 * 0.8));
  // 1000 tokens: 562.176 MB / 320 GB/s = 1.7568 ms, + 32.14 us = 1.78894 ms.
  CHECK(run.pd->link.transfer_ns(1000) == 1'788'940);
}

TEST_CASE("P/D experiment: the TTFT stages in requests.csv add up to each request's TTFT") {
  const std::string dir = fresh_dir("pd-run");
  const std::string file = write_file(dir, "pd.yaml", kPd);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out"});
  REQUIRE(run.code == 0);
  const auto requests = read_csv(dir + "/out/requests.csv");
  REQUIRE(requests.size() == 41);
  const std::size_t ttft = column(requests, "ttft_ms"), replica = column(requests, "replica");
  const std::size_t prefill_replica = column(requests, "prefill_replica");
  for (std::size_t i = 1; i < requests.size(); ++i) {
    const auto& row = requests[i];
    double sum = 0;
    for (const char* stage : {"prefill_queue_ms", "prefill_ms", "decode_queue_ms", "kv_transfer_ms", "first_decode_ms"})
      sum += std::stod(row[column(requests, stage)]);
    CHECK(sum == Approx(std::stod(row[ttft])).epsilon(1e-9));
    // Replicas 0-1 prefill, 2-3 decode.
    CHECK(std::stoi(row[prefill_replica]) < 2);
    CHECK(std::stoi(row[replica]) >= 2);
    // At least the link's 32 us + 500 tokens x 327,680 B / 320 GB/s = 0.544 ms.
    CHECK(std::stod(row[column(requests, "kv_transfer_ms")]) >= 0.544);
  }
  const auto summary = read_csv(dir + "/out/summary.csv");
  CHECK(summary[1][column(summary, "num_gpus")] == "32");
  CHECK(summary[1][column(summary, "pd_decode_replicas")] == "2");
  CHECK_FALSE(summary[1][column(summary, "mean_kv_transfer_ms")].empty());
  const std::string manifest = read_file(dir + "/out/manifest.json");
  CHECK_THAT(manifest, Contains("\"prefill_decode\""));
  CHECK_THAT(manifest, Contains("\"link\": \"infiniband-400g\""));
}

TEST_CASE("P/D experiment: compare sets the TTFT stages side by side where both runs are disaggregated") {
  const std::string dir = fresh_dir("pd-compare");
  const std::string text = std::string(kPd) + R"(  - name: aggregated
    type: VLLM
    config: {model_profile_id: Llama3-70B, gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2}
)";
  const std::string file = write_file(dir, "pd.yaml", text);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/a", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/b", "--quiet", "--set", "workload.arrival.rate_per_s=4"}).code == 0);
  const CliRun compare = run_cli_args({"compare", dir + "/a/summary.csv", dir + "/b/summary.csv", "--format", "csv"});
  INFO(compare.err);
  REQUIRE(compare.code == 0);
  const std::string csv_path = write_file(dir, "compare.csv", compare.out);
  const auto rows = read_csv(csv_path);
  const auto summary_a = read_csv(dir + "/a/summary.csv"), summary_b = read_csv(dir + "/b/summary.csv");
  int stages = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::string metric = rows[i][column(rows, "metric")];
    const bool stage = metric == "mean_prefill_queue_ms" || metric == "mean_prefill_ms" ||
                       metric == "mean_decode_queue_ms" || metric == "mean_kv_transfer_ms" ||
                       metric == "mean_first_decode_ms";
    if (!stage) continue;
    // Only the disaggregated run has stages; each side's value is its summary.csv's.
    CHECK(rows[i][column(rows, "framework")] == "pd");
    CHECK(std::stod(rows[i][column(rows, "a")]) == Approx(std::stod(summary_a[1][column(summary_a, metric)])));
    CHECK(std::stod(rows[i][column(rows, "b")]) == Approx(std::stod(summary_b[1][column(summary_b, metric)])));
    ++stages;
  }
  CHECK(stages == 5);
}

TEST_CASE("P/D experiment: a bad disaggregated deployment is an error at its key, with what is valid") {
  CHECK_THAT(pd_error({{"num_replicas: 2}\n      kv", "num_replicas: 2, max_num_seq: 8}\n      kv"}}),
             Contains("frameworks_to_test[0].config.decode.max_num_seq: unknown key 'max_num_seq'; did you mean "
                      "'max_num_seqs'?"));
  CHECK_THAT(pd_error({{"connector: nixl", "connector: mooncake"}}),
             Contains("frameworks_to_test[0].config.kv_transfer.connector"));
  CHECK_THAT(pd_error({{"connector: nixl", "connector: mooncake"}}), Contains("nixl"));
  const std::string link_error = pd_error({{"link: infiniband-400g", "link: infiniband-800g"}});
  CHECK_THAT(link_error, Contains(":17:"));
  CHECK_THAT(link_error, Contains("frameworks_to_test[0].config.kv_transfer.link"));
  // 3 x 8 prefill + 2 x 8 decode GPUs on a group of 32.
  CHECK_THAT(pd_error({{"tensor_parallel_degree: 8, num_replicas: 2, max", "tensor_parallel_degree: 8, num_replicas: 3, max"}}),
             Contains("frameworks_to_test[0].config.decode.num_replicas: prefill 24 GPUs + decode 16 GPUs = 40, but "
                      "hardware 'h100' has 32"));
  CHECK_THAT(pd_error({{"      decode: {gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2}\n", ""}}),
             Contains("frameworks_to_test[0].config.decode: a disaggregated deployment needs both prefill: and decode: pools"));
  CHECK_THAT(pd_error({{"type: VLLM", "type: SGLANG"}}),
             Contains("frameworks_to_test[0].config.prefill: prefill/decode disaggregation is modelled for type VLLM"));
  CHECK_THAT(pd_error({{"      model_profile_id: Llama3-70B\n", "      model_profile_id: Llama3-70B\n      gpu_id: h100\n"}}),
             Contains("frameworks_to_test[0].config.gpu_id: unknown key 'gpu_id'"));
}

TEST_CASE("P/D experiment: a sweep sets a pool's key by its path") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_experiment(
      read_experiment_text(kPd, "pd.yaml", {"sweep={\"frameworks_to_test[0].config.prefill.num_replicas\": [1, 2]}"}),
      libraries);
  REQUIRE(plan.runs.size() == 2);
  CHECK(plan.runs[0].replicas == 1);
  CHECK(plan.runs[1].replicas == 2);
  CHECK(plan.runs[0].pd->decode.replicas == 2);
  // 1 x 8 + 2 x 8 and 2 x 8 + 2 x 8 GPUs.
  CHECK(deployment_gpus(plan.runs[0]) == 24);
  CHECK(deployment_gpus(plan.runs[1]) == 32);
}

TEST_CASE("P/D experiment: a decode pool with DP-attention + EP and MTP speculation, the three features together") {
  // DeepSeek-V3: one TP 8 prefill engine, eight DP decode engines with experts spread over them
  // and one MTP draft per step (acceptance 0.8). The spec-decode columns come from the decode
  // pool; its measured acceptance lies within 4 sigma of 0.8 (binomial over the drafts).
  const std::string dir = fresh_dir("pd-ep-mtp");
  const std::string text =
      deepseek_pd("pd-ep-mtp", "{process: poisson, rate_per_s: 4}", 120, "500, max: 2000", "20, max: 200",
                  "{gpu_id: h200, data_parallel_size: 8, enable_expert_parallel: true, max_model_len: 16384,\n"
                  "               speculative_config: {method: mtp, num_speculative_tokens: 1, acceptance_rate: 0.8}}");
  const std::string file = write_file(dir, "pd.yaml", text);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out", "--quiet"});
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/out/summary.csv");
  REQUIRE(summary.size() == 2);
  const auto& row = summary[1];
  CHECK(row[column(summary, "num_gpus")] == "16");
  CHECK(row[column(summary, "pd_decode_replicas")] == "8");
  CHECK(row[column(summary, "spec_method")] == "mtp");
  const double drafts = std::stod(row[column(summary, "spec_draft_tokens")]);
  REQUIRE(drafts > 1000);
  const double rate = std::stod(row[column(summary, "spec_acceptance_rate")]);
  CHECK(std::abs(rate - 0.8) < 4 * std::sqrt(0.8 * 0.2 / drafts));
  CHECK(std::stod(row[column(summary, "mean_kv_transfer_ms")]) > 0);
}
