// `type: SGLANG` deployments: the YAML keys and their errors, SGLang's defaults and KV pool
// sizing worked out by hand for Llama-3-8B on an H100, and an end-to-end run beside vLLM.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../simulator/experiment_helpers.hpp"
#include "framework_config_fixtures.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/sglang/sglang_memory.hpp"
#include "frameworks/sglang/sglang_step_cost.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

constexpr double kH100Bytes = 79.19 * kGiB;  // H100-SXM as the driver reports it (hardware/gpus)

const char* kSglangBesideVllm = R"(simulation: {seed: 3}
hardware:
  gpu0: {preset: H100-SXM, count: 2}
workload:
  arrival: {process: poisson, rate_per_s: 5}
  num_requests: 60
  prompt_tokens: {distribution: uniform, min: 64, max: 512}
  output_tokens: {distribution: uniform, min: 8, max: 64}
frameworks_to_test:
  - name: "vllm"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
  - name: "sglang"
    type: "SGLANG"
    config:
      model_profile_id: "Llama3-8B"
      gpu_id: "gpu0"
      schedule_policy: lpm
)";

}  // namespace

TEST_CASE("sglang config: the keys are read, the caller's unknown-key check sees them as read") {
  StrictMap config = map_of(
      "model_profile_id: m\nmem_fraction_static: 0.8\nchunked_prefill_size: 4096\nmax_prefill_tokens: 8192\n"
      "max_running_requests: 64\nschedule_policy: LPM\nschedule_conservativeness: 0.5\ndisable_radix_cache: true\n"
      "disable_overlap_schedule: true\ndisable_cuda_graph: true\ncuda_graph_max_bs: 32\nmax_model_len: 4096\n");
  config.get_string("model_profile_id");
  const auto s = std::get<SglangSettings>(parse_framework_settings("sglang", config, kH100Bytes));
  CHECK(s.mem_fraction_static == 0.8);
  CHECK(s.chunked_prefill_size == 4096);
  CHECK(s.max_prefill_tokens == 8192);
  CHECK(s.max_running_requests == 64);
  CHECK(s.schedule_policy == "lpm");
  CHECK(s.schedule_conservativeness == 0.5);
  CHECK(s.disable_radix_cache);
  CHECK(s.disable_overlap_schedule);
  CHECK(s.disable_cuda_graph);
  CHECK(s.cuda_graph_max_bs == 32);
  CHECK(s.max_model_len == 4096);
  CHECK(s.block_size == 1);
  CHECK_NOTHROW(config.reject_unknown_keys());
  const nlohmann::json j = settings_to_json(s);
  CHECK(j["type"] == "SGLANG");
  CHECK(j["schedule_policy"] == "lpm");
  CHECK(j["mem_fraction_static"] == 0.8);
}

TEST_CASE("sglang config: defaults are SGLang's for the GPU, and H100 sizing works out by hand") {
  StrictMap empty = map_of("{}\n");
  auto s = std::get<SglangSettings>(parse_framework_settings("SGLANG", empty, kH100Bytes));
  CHECK(s.chunked_prefill_size == 8192);  // 60-90 GiB GPUs
  CHECK(s.max_prefill_tokens == 16384);
  CHECK(s.schedule_policy == "fcfs");
  CHECK_FALSE(s.disable_radix_cache);
  CHECK_FALSE(s.disable_overlap_schedule);
  CHECK_FALSE(s.mem_fraction_static.has_value());  // depends on TP: resolved with the deployment
  // TP 1 on 81,090.56 MiB: cuda_graph_max_bs 256; reserved = 512 + 1.5 x 8192 + 2 x 256 +
  // 1 x 1 / 8 x 1024 = 13,440 MiB; (81,090.56 - 13,440) / 81,090.56 = 0.83426 -> 0.834.
  resolve_sglang_defaults(s, kH100Bytes, 1, 1);
  CHECK(s.cuda_graph_max_bs == 256);
  CHECK(s.mem_fraction_static == Approx(0.834).margin(1e-12));
  // TP 2: reserved 13,568 MiB -> 0.83268 -> 0.833 (cuda_graph_max_bs still 256 below TP 4).
  SglangSettings tp2;
  resolve_sglang_defaults(tp2, kH100Bytes, 2, 1);
  CHECK(tp2.mem_fraction_static == Approx(0.833).margin(1e-12));
  // An L4 (22 GiB): 2048-token chunks, 24 graphs; reserved 512 + 3072 + 48 + 128 = 3,760 MiB of
  // 22,528: 0.833 (the 10 GiB floor is for GPUs above 60 GiB only).
  SglangSettings l4;
  l4.chunked_prefill_size = sglang_gpu_defaults(22 * kGiB, 1).chunked_prefill_size;
  resolve_sglang_defaults(l4, 22 * kGiB, 1, 1);
  CHECK(l4.chunked_prefill_size == 2048);
  CHECK(l4.cuda_graph_max_bs == 24);
  CHECK(l4.mem_fraction_static == Approx(0.833).margin(1e-12));

  // The whole deployment: Llama-3-8B (8,030,261,248 bf16 parameters = 16,060,522,496 bytes) on an
  // H100: rest = 0.834 x 79.19 GiB - weights = 54,853,491,875 bytes; a token's KV is
  // 8 KV heads x 128 x 32 layers x 2 (K, V) x 2 bytes = 131,072 bytes: 418,504 tokens.
  // max_running_requests = min(clamp(418,504 / 8,192 x 512, 2048, 4096), 418,504 / 2) = 4096.
  const ExperimentPlan plan = plan_experiment(read_experiment_text(kSglangBesideVllm, "e.yaml", {}), Libraries::load());
  REQUIRE(plan.runs.size() == 2);
  const RunSpec& run = plan.runs[1];
  const auto& resolved = std::get<SglangSettings>(run.settings);
  CHECK(run.memory.limiting().weight_bytes == 16060522496.0);
  CHECK(run.memory.limiting().kv_bytes_per_token == 131072.0);
  CHECK(resolved.mem_fraction_static == Approx(0.834).margin(1e-12));
  CHECK(run.kv.block_size == 1);
  CHECK(run.kv.num_gpu_blocks == 418504);
  CHECK(resolved.max_running_requests == 4096);
  CHECK(resolved.cuda_graph_max_bs == 256);
}

TEST_CASE("sglang config: bad values name the file, line, key and what is valid") {
  StrictMap policy = map_of("schedule_policy: lmp\n");
  CHECK(error_of([&] { parse_framework_settings("SGLANG", policy, kH100Bytes); }) ==
        "exp.yaml:1:1: deployments[0].schedule_policy: 'lmp' is not valid (valid: fcfs, lpm); did you mean 'lpm'?");
  StrictMap utilization = map_of("chunked_prefill_size: 512\ngpu_memory_utilization: 0.9\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("SGLANG", utilization, kH100Bytes); }),
             Catch::StartsWith("exp.yaml:2:1: deployments[0].gpu_memory_utilization: SGLang does not take") &&
                 Catch::Contains("mem_fraction_static"));
  StrictMap pages = map_of("block_size: 16\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("SGLANG", pages, kH100Bytes); }),
             Catch::StartsWith("exp.yaml:1:1: deployments[0].block_size: SGLang is modelled with its default page_size 1"));
  StrictMap fraction = map_of("mem_fraction_static: 1.5\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("SGLANG", fraction, kH100Bytes); }),
             Catch::StartsWith("exp.yaml:1:22: deployments[0].mem_fraction_static: 1.5 is out of range"));
  // A vLLM key in an SGLang deployment: the experiment reader's unknown-key check names it.
  const std::string text = with_edits(kSglangBesideVllm, {{"      schedule_policy: lpm\n", "      max_num_seqs: 64\n"}});
  CHECK_THAT(error_of([&] { plan_experiment(read_experiment_text(text, "e.yaml", {}), Libraries::load()); }),
             Catch::Contains("e.yaml:18:7: ") && Catch::Contains("unknown key 'max_num_seqs'"));
  CHECK_THAT(error_of([&] { parse_framework_settings("SGLANGX", policy, kH100Bytes); }),
             Catch::Contains("unknown framework type 'SGLANGX' (valid: VLLM, STATIC, SGLANG)"));
}

TEST_CASE("sglang config: decode graph batch sizes are SGLang's capture list") {
  const std::vector<int64_t> small = sglang_cuda_graph_batch_sizes(24);
  CHECK(small == std::vector<int64_t>{1, 2, 4, 8, 12, 16, 24});
  const std::vector<int64_t> h100 = sglang_cuda_graph_batch_sizes(256);
  CHECK(h100.size() == 5 + 31);  // 1, 2, 4, 8, 12 and 16, 24, ..., 256
  CHECK(h100.back() == 256);
  const std::vector<int64_t> big = sglang_cuda_graph_batch_sizes(600);
  CHECK(big.back() == 576);  // ..., 496, then 512, 544, 576
  CHECK(big.size() == 5 + 31 + 15 + 3);
}

TEST_CASE("sglang config: an experiment runs SGLang beside vLLM end to end") {
  const std::string dir = fresh_dir("sglang-run");
  const std::string file = write_file(dir, "exp.yaml", kSglangBesideVllm);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out", "--quiet"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/out/summary.csv");
  REQUIRE(summary.size() == 3);
  CHECK(summary[2][column(summary, "framework")] == "sglang");
  CHECK(summary[2][column(summary, "completed_requests")] == "60");
  CHECK(summary[2][column(summary, "kv_capacity_tokens")] == "418504");
  CHECK_THAT(read_file(dir + "/out/manifest.json"), Catch::Contains("\"schedule_policy\": \"lpm\""));
}

TEST_CASE("sglang config: bulk decoding gives byte-identical outputs to stepping one decode at a time") {
  // A pool of 6,000 tokens forces eviction and retraction; two replicas, lpm, and the overlap
  // scheduler on and off.
  const std::string dir = fresh_dir("sglang-bulk");
  const std::string file = write_file(dir, "exp.yaml", R"(simulation: {seed: 9}
hardware:
  gpu0: {preset: H100-SXM, count: 4}
workload:
  arrival: {process: gamma, rate_per_s: 12, burstiness: 0.5}
  num_requests: 400
  prompt_tokens: {distribution: lognormal, mean: 600, stdev: 500, min: 8, max: 3000}
  output_tokens: {distribution: lognormal, mean: 200, stdev: 180, min: 1, max: 1500}
frameworks_to_test:
  - name: "tight"
    type: "SGLANG"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0", num_gpu_blocks: 6000, schedule_policy: lpm}
  - name: "replicas"
    type: "SGLANG"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0", num_replicas: 2, disable_overlap_schedule: true}
)");
  check_bulk_matches_stepping(file, dir);
  const auto summary = read_csv(dir + "/bulk/summary.csv");
  REQUIRE(summary.size() == 3);
  CHECK(std::stoi(summary[1][column(summary, "preemptions")]) > 0);
}
