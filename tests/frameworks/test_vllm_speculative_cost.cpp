// The step cost of speculative decoding: a verification step with an EAGLE drafter against a
// plain decode step on Llama-3.1-8B / H100, with the expectations worked out from bytes and FLOPs.
#include <catch2/catch.hpp>

#include "frameworks/vllm/speculative_config.hpp"
#include "frameworks/vllm/vllm_step_cost.hpp"
#include "frameworks/vllm/vllm_version.hpp"
#include "hardware/library_fixtures.hpp"

using namespace llmpo;

namespace {

CostModelOptions vllm_options() {
  CostModelOptions options;
  options.fused_add_norm = true;
  options.include_host_overhead = false;
  return options;
}

VllmStepCost vllm_cost(int64_t k) {
  const ModelSpec& target = test::models().find("Llama-3.1-8B");
  const GpuSpec& gpu = test::gpus().find("H100-SXM");
  VllmStepTimingConfig timing;
  timing.capture_sizes = cudagraph_capture_sizes(1024, vllm_behaviour(default_vllm_version()), 8192);
  if (k > 0) {
    SpeculativeSettings spec;
    spec.method = "eagle";
    spec.num_speculative_tokens = k;
    spec.acceptance_rates.assign(static_cast<std::size_t>(k), 0.6);
    timing.speculative.num_speculative_tokens = k;
    timing.speculative.target_vocab_shard = static_cast<double>(target.vocab_size);
    timing.speculative.drafter.emplace(drafter_model_spec(target, spec), gpu, vllm_options());
  }
  return VllmStepCost(CostModel(target, gpu, vllm_options()), timing);
}

StepShape batch_of(int n, int64_t cached, int64_t k) {
  StepShape s;
  for (int i = 0; i < n; ++i) s.add_verification(cached, k);
  return s;
}

}  // namespace

TEST_CASE("vllm speculative cost: at batch 1 a 1 + 3 verification with EAGLE drafting costs ~1.3 decode steps") {
  // Memory-bound: the target's 16 GB of weights dominate a decode (~4.8 ms at 3.35 TB/s). The
  // 3 extra rows add no weight traffic. The EAGLE head (one 0.22 B-parameter layer, 0.44 GB) plus
  // the target's LM head it uses (128,256 x 4,096, 1.05 GB) is read on each of the 3 draft
  // passes: 3 x 1.5 GB / 3.35 TB/s = 1.3 ms, about 0.28 of a decode. So ~1.28 x, between 1.15
  // and 1.45 allowing for the model's kernel efficiencies.
  const VllmStepCost plain = vllm_cost(0);
  const VllmStepCost spec = vllm_cost(3);
  const double decode_s = plain.gpu_time_s(batch_of(1, 512, 0));
  const double verify_s = spec.gpu_time_s(batch_of(1, 512, 3));
  CHECK(verify_s / decode_s > 1.15);
  CHECK(verify_s / decode_s < 1.45);
  // A uniform 1 + k batch replays a FULL graph, as vLLM's uniform_decode_query_len allows.
  CHECK(spec.plan(batch_of(8, 512, 3)).runs_as == CudaGraphMode::full_and_piecewise);
  StepShape mixed = batch_of(8, 512, 3);
  mixed.add_sequence(512, 1);  // one decode without drafts: not uniform
  CHECK(spec.plan(mixed).runs_as == CudaGraphMode::piecewise);
}

TEST_CASE("vllm speculative cost: at batch 256 verification rows are compute and speculation yields fewer tokens per second") {
  // 256 sequences x 4 rows = 1,024 GEMM rows x 16 GFLOP (2 x 8 B parameters) = 16.4 TFLOP against
  // 4.1 TFLOP for the plain decode: the verify step is compute-bound and costs well over 2 x the
  // decode, so with an expected 1 + 0.6 + 0.36 + 0.216 = 2.18 tokens per verification the
  // speculating engine emits fewer tokens per second than the plain one.
  const VllmStepCost plain = vllm_cost(0);
  const VllmStepCost spec = vllm_cost(3);
  const double decode_s = plain.step_time_s(batch_of(256, 512, 0));
  const double verify_s = spec.step_time_s(batch_of(256, 512, 3));
  const double tokens_per_verification = 1 + 0.6 + 0.36 + 0.216;
  CHECK(tokens_per_verification / verify_s < 1.0 / decode_s);
  // ... while at batch 1 it yields more.
  CHECK(tokens_per_verification / spec.step_time_s(batch_of(1, 512, 3)) > 1.5 / plain.step_time_s(batch_of(1, 512, 0)));
}
