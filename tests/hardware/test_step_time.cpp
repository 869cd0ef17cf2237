// The event loop's fast step time (CostModel::step_time_s, memoised by token and sequence
// counts) against the full per-operator breakdown that reports use.
#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>
#include <vector>

#include "hardware/cost_model.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "hardware/kernel_timing.hpp"
#include "models/model_library.hpp"
#include "library_fixtures.hpp"

using namespace llmpo;
using namespace llmpo::test;


TEST_CASE("cost model: the memoised step time equals the breakdown's latency for mixed batches") {
  // The event loop uses step_time_s (token- and sequence-count parts remembered, attention per
  // step); reports use breakdown(). They must agree for any batch: dense, MoE, sliding-window
  // and TP/PP models, prefills, decodes and both at once.
  CostModelOptions tp;
  tp.parallel = {4, 2};
  tp.intra_node = &links().find("nvswitch");
  tp.inter_node = &links().find("infiniband-400g");
  const std::vector<std::pair<const char*, CostModelOptions>> cases = {
      {"Llama3-70B", tp}, {"Mixtral-8x7B", {}}, {"Gemma2-9B", {}}, {"Llama2-7B", {}}};
  for (const auto& [name, options] : cases) {
    INFO(name);
    const CostModel model(models().find(name), gpus().find("H100-SXM"), options);
    uint64_t x = 7;
    for (int trial = 0; trial < 50; ++trial) {
      StepShape shape = model.empty_shape();
      const int sequences = 1 + trial % 40;
      for (int s = 0; s < sequences; ++s) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const int64_t cached = static_cast<int64_t>((x >> 33) % 6000);
        const int64_t fresh = (x >> 20) % 4 == 0 ? 1 + static_cast<int64_t>((x >> 40) % 700) : 1;
        shape.add_sequence(cached, fresh);
      }
      CHECK(model.step_time_s(shape) == Approx(model.breakdown(shape).latency_s).epsilon(1e-12));
      CHECK(model.step_time_s(shape) == model.step_time_s(shape));  // the memo returns the same value
    }
  }
}

TEST_CASE("kernel timing: each decoding sequence adds attention_decode_per_seq to decode attention") {
  // Same KV bytes, 1 sequence vs 1000 sequences: the per-sequence term is the only difference
  // while the kernel stays memory-bound.
  GpuSpec gpu = gpus().find("H100-SXM");
  gpu.efficiency.attention_decode_per_seq_s = 0.1e-6;
  OperatorWork one, many;
  one.decode_bytes = many.decode_bytes = 1e9;
  one.decode_flops = many.decode_flops = 1e6;
  one.decode_seqs = 1;
  many.decode_seqs = 1000;
  const double peak = gpu.peak(ComputeType::bf16);
  CHECK(time_attention(many, gpu, peak).time_s - time_attention(one, gpu, peak).time_s == Approx(999 * 0.1e-6));
}
