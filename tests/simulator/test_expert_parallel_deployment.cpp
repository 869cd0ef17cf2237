// Data-parallel attention + expert parallelism in experiment files (simulator/experiment/
// experiment_sections.cpp read_expert_parallel): vLLM's key names, strict validation at file:line,
// one simulated engine per DP rank, the manifest's parallelism block.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// Qwen3-30B-A3B on two H100s as two DP ranks with expert parallelism (line 15: model, 17: DP).
const char* kDpEp = R"(simulation:
  seed: 3
hardware:
  gpu0: {preset: H100-SXM, count: 2}
workload:
  arrival: {process: poisson, rate_per_s: 10}
  num_requests: 60
  prompt_tokens: {distribution: uniform, min: 64, max: 512}
  output_tokens: {distribution: uniform, min: 8, max: 64}
frameworks_to_test:
  - name: "dp2_ep2"
    type: "VLLM"
    config:
      gpu_id: "gpu0"
      model_profile_id: "Qwen3-30B-A3B"
      max_model_len: 8192
      data_parallel_size: 2
      enable_expert_parallel: true
)";

}  // namespace

TEST_CASE("expert parallel deployment: each DP rank is an engine, the manifest records the layout",
          "[expert-parallel]") {
  const Checked ok = validate_text(kDpEp, "ep-ok");
  INFO(ok.run.err);
  REQUIRE(ok.run.code == 0);
  const ExperimentPlan plan = plan_experiment(read_experiment(ok.file, {}), Libraries::load());
  REQUIRE(plan.runs.size() == 1);
  const RunSpec& run = plan.runs[0];
  CHECK(run.replicas == 2);  // two engine cores behind vLLM's DP load balancer
  CHECK(run.parallel.data_parallel == 2);
  CHECK(run.parallel.expert_parallel);
  CHECK(run.parallel.expert_parallel_size() == 2);
  CHECK(run.parallel.all2all_backend == All2AllBackend::allgather_reducescatter);

  const std::string out = fresh_dir("ep-run");
  const CliRun ran = run_cli_args({"run", ok.file, "--out", out, "--quiet"});
  INFO(ran.err);
  REQUIRE(ran.code == 0);
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  const auto& parallelism = manifest["runs"][0]["parallelism"];
  CHECK(parallelism["data_parallel_size"] == 2);
  CHECK(parallelism["enable_expert_parallel"] == true);
  CHECK(parallelism["expert_parallel_size"] == 2);
  CHECK(parallelism["all2all_backend"] == "allgather_reducescatter");
  CHECK(parallelism["expert_load"]["distribution"] == "uniform");
  CHECK(manifest["runs"][0]["num_replicas"] == 2);
}

TEST_CASE("expert parallel deployment: bad keys stop at file:line with what is valid", "[expert-parallel]") {
  // Two DP ranks of one GPU each need two GPUs.
  const Checked too_few = validate_text(with_edits(kDpEp, {{"count: 2", "count: 1"}}), "ep-gpus");
  CHECK(too_few.run.code == 2);
  CHECK_THAT(too_few.run.err, Contains("2 GPUs") && Contains("DP ranks included"));
  // A dense model has no experts to shard: the error is at enable_expert_parallel (line 18).
  const Checked dense = validate_text(with_edits(kDpEp, {{"Qwen3-30B-A3B", "Llama3-8B"}}), "ep-dense");
  CHECK(dense.run.code == 2);
  CHECK_THAT(dense.run.err, Contains("exp.yaml:18") && Contains("enable_expert_parallel") && Contains("MoE model"));
  // Backends: an unmodelled one lists the valid ones; DeepEP without expert parallelism is refused.
  const Checked pplx = validate_text(std::string(kDpEp) + "      all2all_backend: pplx\n", "ep-pplx");
  CHECK(pplx.run.code == 2);
  CHECK_THAT(pplx.run.err, Contains("exp.yaml:19") && Contains("deepep_low_latency") && Contains("allgather_reducescatter"));
  const Checked no_ep = validate_text(with_edits(kDpEp, {{"enable_expert_parallel: true", "all2all_backend: deepep_high_throughput"}}),
                                      "ep-no-ep");
  CHECK(no_ep.run.code == 2);
  CHECK_THAT(no_ep.run.err, Contains("exp.yaml:18") && Contains("enable_expert_parallel: true"));
  // expert_load: zipf needs its exponent; uniform takes none; unknown keys are named.
  const Checked zipf = validate_text(std::string(kDpEp) + "      expert_load: {distribution: zipf}\n", "ep-zipf");
  CHECK(zipf.run.code == 2);
  CHECK_THAT(zipf.run.err, Contains("exp.yaml:19") && Contains("exponent"));
  const Checked uniform =
      validate_text(std::string(kDpEp) + "      expert_load: {distribution: uniform, exponent: 1}\n", "ep-uniform");
  CHECK(uniform.run.code == 2);
  CHECK_THAT(uniform.run.err, Contains("exponent") && Contains("zipf only"));
  const Checked zipf_ok =
      validate_text(std::string(kDpEp) + "      expert_load: {distribution: zipf, exponent: 1.2}\n", "ep-zipf-ok");
  CHECK(zipf_ok.run.code == 0);
  // data_parallel_size out of range.
  const Checked zero = validate_text(with_edits(kDpEp, {{"data_parallel_size: 2", "data_parallel_size: 0"}}), "ep-zero");
  CHECK(zero.run.code == 2);
  CHECK_THAT(zero.run.err, Contains("exp.yaml:17") && Contains("data_parallel_size"));
}

TEST_CASE("expert parallel deployment: `step` shows the MoE dispatch / combine of a DP + EP layout", "[expert-parallel]") {
  const std::vector<std::string> base = {"step", "--model", "Qwen3-30B-A3B", "--gpu", "H100-SXM", "--batch", "64",
                                         "--format", "json"};
  std::vector<std::string> ep = base;
  for (const char* c : {"data_parallel_size=4", "enable_expert_parallel=true"}) {
    ep.push_back("--config");
    ep.push_back(c);
  }
  const CliRun with = run_cli_args(ep);
  INFO(with.err);
  REQUIRE(with.code == 0);
  const auto j = nlohmann::json::parse(with.out);
  // 4 DP ranks, default all-gather: (4 - 1) x 64 x 2048 x 2 = 786,432 bytes each way per layer, over
  // 48 layers; each exchange is at least the LL protocol's fixed 4.65 + 1.91 x 3 = 10.38 us.
  REQUIRE(j.contains("moe_all_to_all_s"));
  CHECK(j["moe_all_to_all_s"].get<double>() > 2 * 48 * 10.38e-6);
  CHECK(j["all_reduce_s"].get<double>() == 0.0);  // TP 1: no all-reduce
  // A plain TP 1 step has no such record.
  const CliRun without = run_cli_args(base);
  REQUIRE(without.code == 0);
  CHECK_FALSE(nlohmann::json::parse(without.out).contains("moe_all_to_all_s"));
}

TEST_CASE("expert parallel deployment: `memory --dp 2 --enable-expert-parallel` plans one rank's GPU", "[expert-parallel]") {
  const auto weights = [](std::vector<std::string> extra) {
    std::vector<std::string> args = {"memory", "--model", "Qwen3-30B-A3B", "--gpu", "H100-SXM", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun run = run_cli_args(args);
    INFO(run.err);
    REQUIRE(run.code == 0);
    return nlohmann::json::parse(run.out)["weight_bytes_per_gpu"].get<double>();
  };
  // As worked in tests/hardware/test_expert_parallel.cpp: DP2 + EP2 holds 1,528,299,520 bytes more
  // than TP2 (attention, embedding and LM head whole; the same expert bytes).
  CHECK(weights({"--dp", "2", "--enable-expert-parallel"}) - weights({"--tp", "2"}) == 1528299520.0);
  CHECK(weights({"--data-parallel-size", "2", "--enable-expert-parallel"}) == weights({"--dp", "2", "--enable-expert-parallel"}));
  // A dense model: exit 2 naming the flag.
  const CliRun dense = run_cli_args({"memory", "--model", "Llama3-8B", "--gpu", "H100-SXM", "--enable-expert-parallel"});
  CHECK(dense.code == 2);
  CHECK_THAT(dense.err, Contains("--enable-expert-parallel") && Contains("MoE model"));
}

TEST_CASE("expert parallel deployment: `roofline` lists dispatch and combine with --dp and --enable-expert-parallel",
          "[expert-parallel]") {
  const CliRun ep = run_cli_args({"roofline", "Qwen3-30B-A3B", "--dp", "4", "--enable-expert-parallel", "--all2all-backend",
                                  "deepep_high_throughput", "--batch", "32", "--format", "csv"});
  INFO(ep.err);
  REQUIRE(ep.code == 0);
  CHECK_THAT(ep.out, Contains("Moe - Dispatch") && Contains("Moe - Combine"));
  const CliRun tp = run_cli_args({"roofline", "Qwen3-30B-A3B", "--tp", "4", "--batch", "32", "--format", "csv"});
  REQUIRE(tp.code == 0);
  CHECK_THAT(tp.out, !Contains("Moe - Dispatch"));
  const CliRun no_ep = run_cli_args({"roofline", "Qwen3-30B-A3B", "--dp", "4", "--all2all-backend", "deepep_low_latency"});
  CHECK(no_ep.code == 2);
  CHECK_THAT(no_ep.err, Contains("--all2all-backend") && Contains("--enable-expert-parallel"));
  const CliRun dense = run_cli_args({"roofline", "Llama3-8B", "--enable-expert-parallel"});
  CHECK(dense.code == 2);
  CHECK_THAT(dense.err, Contains("--enable-expert-parallel") && Contains("MoE model"));
}
