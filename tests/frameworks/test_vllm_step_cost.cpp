// vLLM V1 step timing: CUDA-graph capture sizes and padding, the way a step runs, and the
// host/GPU overlap of async scheduling, each against a value worked out from vLLM's rules.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "frameworks/vllm/vllm_step_cost.hpp"
#include "frameworks/vllm/vllm_version.hpp"
#include "hardware/library_fixtures.hpp"
#include "simulator/util/data_paths.hpp"

using namespace llmpo;

namespace {

CostModel llama8b_h100(bool host_overhead = false) {
  CostModelOptions options;
  options.fused_add_norm = true;
  options.include_host_overhead = host_overhead;
  return CostModel(test::models().find("Llama-3.1-8B"), test::gpus().find("H100-SXM"), options);
}

StepShape decodes(int n, int64_t cached) {
  StepShape s;
  for (int i = 0; i < n; ++i) s.add_sequence(cached, 1);
  return s;
}

std::vector<int64_t> default_capture_sizes(int64_t max_num_seqs) {
  return cudagraph_capture_sizes(max_num_seqs, vllm_behaviour(default_vllm_version()));
}

}  // namespace

TEST_CASE("vLLM capture sizes: 1, 2, 4, every 8 to 256, every 16 to min(2 max_num_seqs, 512)") {
  // max_num_seqs 256: bound 512; 3 + 32 (8..256) + 16 (272..512) = 51 sizes.
  const auto sizes = default_capture_sizes(256);
  REQUIRE(sizes.size() == 51);
  CHECK(sizes[0] == 1);
  CHECK(sizes[3] == 8);
  CHECK(sizes[34] == 256);
  CHECK(sizes[35] == 272);
  CHECK(sizes.back() == 512);
  // The real vLLM 0.19 run (RTX 4090, max_num_seqs 256) resolved exactly this list.
  std::ifstream in(data_root() + "/hardware/profiles/measured/serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/meta.json");
  REQUIRE(in);
  const auto meta = nlohmann::json::parse(in);
  CHECK(meta["resolved_config"]["compilation_config"]["cudagraph_capture_sizes"].get<std::vector<int64_t>>() == sizes);
  // max_num_seqs 5: bound 10; nothing above it survives: 1, 2, 4, 8.
  CHECK(default_capture_sizes(5) == std::vector<int64_t>{1, 2, 4, 8});
  // max_num_seqs 64: bound 128: 1, 2, 4, 8 .. 128 (16 sizes of 8).
  CHECK(default_capture_sizes(64).size() == 3 + 16);
  CHECK(next_capture_size(sizes, 33) == 40);
  CHECK(next_capture_size(sizes, 257) == 272);
  CHECK(next_capture_size(sizes, 513) == 0);
}

TEST_CASE("vLLM step plan: full graph for pure decodes, piecewise for mixed steps, eager above the largest size") {
  VllmStepTimingConfig config;
  config.capture_sizes = default_capture_sizes(256);
  const VllmStepCost cost(llama8b_h100(), config);
  // 33 decodes: one FULL graph padded to 40 rows.
  VllmStepPlan p = cost.plan(decodes(33, 100));
  CHECK(p.runs_as == CudaGraphMode::full_and_piecewise);
  CHECK(p.padded_tokens == 40);
  // 3 decodes + a 97-token chunk = 100 tokens: piecewise graphs padded to 104.
  StepShape mixed = decodes(3, 100);
  mixed.add_sequence(0, 97);
  p = cost.plan(mixed);
  CHECK(p.runs_as == CudaGraphMode::piecewise);
  CHECK(p.padded_tokens == 104);
  // A 2048-token chunk: above 512, no graph.
  StepShape big;
  big.add_sequence(0, 2048);
  p = cost.plan(big);
  CHECK(p.runs_as == CudaGraphMode::none);
  CHECK(p.padded_tokens == 2048);
  // enforce_eager (no capture sizes): nothing is padded.
  VllmStepTimingConfig eager;
  const VllmStepCost eager_cost(llama8b_h100(), eager);
  CHECK(eager_cost.plan(decodes(33, 100)).runs_as == CudaGraphMode::none);
  CHECK(eager_cost.plan(decodes(33, 100)).padded_tokens == 33);
}

TEST_CASE("vLLM step time: padded rows cost GEMM time, graphs replace launch gaps, async overlaps the host") {
  VllmStepTimingConfig config;
  config.capture_sizes = default_capture_sizes(256);
  const VllmHostTiming& h = config.host;
  const CostModel model = llama8b_h100();
  const VllmStepCost cost(model, config);
  const StepShape s = decodes(33, 100);
  // FULL graph: kernels of 40 rows (attention of the 33 real ones) + one graph launch.
  const double gpu = model.step_time_padded_s(s, 40) + h.graph_launch_s;
  CHECK(cost.gpu_time_s(s) == Approx(gpu).epsilon(1e-12));
  CHECK(model.step_time_padded_s(s, 40) > model.step_time_s(s));
  const double host = h.per_step_s + 33 * h.per_seq_s;
  CHECK(cost.host_time_s(s) == Approx(host));
  // Async: the host work of the next step hides behind this forward; GPU-bound here.
  REQUIRE(gpu > host);
  CHECK(cost.step_time_s(s) == Approx(gpu + h.sync_gap_s).epsilon(1e-12));
  VllmStepTimingConfig sync = config;
  sync.async_scheduling = false;
  CHECK(VllmStepCost(model, sync).step_time_s(s) == Approx(gpu + host).epsilon(1e-12));
  // Eager: the kernels, or the launches when those take longer.
  VllmStepTimingConfig eager;
  const VllmStepCost eager_cost(model, eager);
  const double kernels = model.step_time_s(s);
  CHECK(eager_cost.gpu_time_s(s) == Approx(std::max(kernels, model.kernels_per_step() * h.launch_gap_s)).epsilon(1e-12));
}

TEST_CASE("fused add + RMSNorm: two fused kernels per layer replace two norms and two adds") {
  // Llama-3.1-8B: 32 layers. Unfused: attn_norm, qkv, rope, attention, o, residual, ffn_norm,
  // gate_up, act, down, residual = 11 kernels per layer; fused: 9. Plus embedding, final norm,
  // LM head, sampling = 4 model-level kernels.
  CostModelOptions unfused;
  const CostModel plain(test::models().find("Llama-3.1-8B"), test::gpus().find("H100-SXM"), unfused);
  const CostModel fused = llama8b_h100();
  CHECK(plain.kernels_per_step() == 32 * 11 + 4);
  CHECK(fused.kernels_per_step() == 32 * 9 + 4);
  // The fused kernel moves 4 x hidden x tokens x 2 bytes (two reads, two writes): less than a
  // norm (2) plus an add (3) in separate kernels.
  const StepShape s = decodes(64, 500);
  CHECK(fused.step_time_s(s) < plain.step_time_s(s));
}

TEST_CASE("vLLM decode runs: each step is timed as step_time_ns times it, bit for bit") {
  // The run path times the attention per step and keeps the rest from the first step (plain
  // attention); sliding windows (Gemma2) and MLA (DeepSeek-V2-Lite) are timed in full per step.
  std::mt19937_64 rng(11);
  for (const char* model_id : {"Llama-3.1-8B", "Qwen3-30B-A3B", "Gemma2-9B", "DeepSeek-V2-Lite"}) {
    CostModelOptions options;
    options.fused_add_norm = true;
    const CostModel model(test::models().find(model_id), test::gpus().find("H100-SXM"), options);
    for (int variant = 0; variant < 4; ++variant) {
      VllmStepTimingConfig config;
      if (variant != 2) config.capture_sizes = default_capture_sizes(256);  // 2: eager
      if (variant == 1) config.cudagraph_mode = CudaGraphMode::piecewise;
      if (variant == 3) config.async_scheduling = false;
      const VllmStepCost run_cost(model, config), step_cost(model, config);
      for (int trial = 0; trial < 5; ++trial) {
        const auto batch = static_cast<int>(rng() % 600 + 1);  // beyond the largest graph too
        StepShape shape(model.empty_shape().window_tokens);
        for (int i = 0; i < batch; ++i) shape.add_decode(static_cast<int64_t>(rng() % 20000));
        run_cost.start_decode_run(shape);
        for (int step = 0; step < 50; ++step) {
          INFO(model_id << ", variant " << variant << ", batch " << batch << ", step " << step);
          REQUIRE(run_cost.decode_run_step_ns(shape) == step_cost.step_time_ns(shape));
          shape.decode.kv_tokens += batch;  // as simulation_decode_run.cpp grows the shape
          shape.decode.pairs_full += batch;
          shape.decode.pairs_causal += batch;
        }
      }
    }
  }
}
