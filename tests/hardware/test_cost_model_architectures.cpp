// The cost model on other architectures: mixture of experts, sliding-window attention and
// Gemma 2's four norms, worked out by hand (constants: cost_model_fixtures.hpp).
#include <catch2/catch.hpp>

#include "library_fixtures.hpp"
#include "cost_model_fixtures.hpp"

#include <algorithm>
#include <string>

#include "hardware/cost_model.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "hardware/kernel_timing.hpp"
#include "models/model_library.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

// ---------------------------------------------------------------------------------------------
// Mixture of experts.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: one Mixtral-8x7B token touches exactly two experts' weights") {
  const CostModel model(models().find("Mixtral-8x7B"), gpus().find("H100-SXM"), {});
  REQUIRE(model.layer_kinds().size() == 1);
  CHECK(model.layer_kinds()[0].moe);
  CHECK(model.layer_kinds()[0].count == 32);
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 100));
  const OperatorCost* gate_up = find_op(b, OpKind::expert_gate_up, 0);
  const OperatorCost* down = find_op(b, OpKind::expert_down, 0);
  const OperatorCost* router = find_op(b, OpKind::moe_router, 0);
  REQUIRE(gate_up != nullptr);
  REQUIRE(down != nullptr);
  REQUIRE(router != nullptr);
  CHECK(find_op(b, OpKind::gate_up_proj, 0) == nullptr);  // no dense FFN in Mixtral
  // Touched experts: E (1 - (1 - k/E)^T) = 8 (1 - 0.75^1) = 2.
  CHECK(gate_up->work.instances == Approx(2.0));
  // One expert's GateUp: 4096 x 28672 x 2 bytes = 234,881,024; two experts = 469,762,048.
  CHECK(gate_up->work.weight_bytes == Approx(469762048.0));
  // One expert's Down: 14336 x 4096 x 2 = 117,440,512; two = 234,881,024.
  CHECK(down->work.weight_bytes == Approx(234881024.0));
  CHECK(gate_up->work.gemm_m == Approx(1.0));  // 1 token x top-2 / 2 experts
  CHECK(router->work.weight_bytes == 65536.0); // 4096 x 8 x 2
}

TEST_CASE("cost model: Mixtral-8x7B expert weights grow with tokens towards all eight experts") {
  const CostModel model(models().find("Mixtral-8x7B"), gpus().find("H100-SXM"), {});
  const double expert_gate_up = 234881024.0;  // 4096 x 28672 x 2
  // T = 2: 8 (1 - 0.75^2) = 8 x 0.4375 = 3.5 experts -> 822,083,584 bytes
  const StepBreakdown b2 = model.breakdown(decode_batch(model, 2, 100));
  const OperatorCost* two = find_op(b2, OpKind::expert_gate_up, 0);
  REQUIRE(two != nullptr);
  CHECK(two->work.instances == Approx(3.5));
  CHECK(two->work.weight_bytes == Approx(3.5 * expert_gate_up));
  // T = 4: 8 (1 - 0.75^4) = 8 x 0.68359375 = 5.46875 experts -> 1,284,505,600 bytes
  const StepBreakdown b4 = model.breakdown(decode_batch(model, 4, 100));
  const OperatorCost* four = find_op(b4, OpKind::expert_gate_up, 0);
  REQUIRE(four != nullptr);
  CHECK(four->work.instances == Approx(5.46875));
  CHECK(four->work.weight_bytes == Approx(1284505600.0));
  // T = 4096: 0.75^4096 is ~1e-512, so all 8 experts: 8 x 234,881,024 = 1,879,048,192 bytes,
  // and each expert sees 4096 x 2 / 8 = 1024 tokens.
  StepShape prefill = model.empty_shape();
  prefill.add_sequence(0, 4096);
  const StepBreakdown b4096 = model.breakdown(prefill);
  const OperatorCost* all = find_op(b4096, OpKind::expert_gate_up, 0);
  REQUIRE(all != nullptr);
  CHECK(all->work.instances == Approx(8.0));
  CHECK(all->work.weight_bytes == Approx(1879048192.0));
  CHECK(all->work.gemm_m == Approx(1024.0));
}

// ---------------------------------------------------------------------------------------------
// Sliding-window attention.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: Mistral-7B-v0.3 has no sliding window") {
  const CostModel model(models().find("Mistral-7B-v0.3"), gpus().find("H100-SXM"), {});
  CHECK_FALSE(model.model().sliding_window.enabled());
  CHECK(model.empty_shape().window_tokens == 0);
  REQUIRE(model.layer_kinds().size() == 1);
  CHECK_FALSE(model.layer_kinds()[0].sliding);
  CHECK(model.layer_kinds()[0].count == 32);
}

TEST_CASE("cost model: Gemma-2-9B splits 21 sliding and 21 global layers and a long decode reads less KV on the sliding ones") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  CHECK(model.empty_shape().window_tokens == 4096);
  REQUIRE(model.layer_kinds().size() == 2);
  int sliding = -1, global = -1;
  for (int k = 0; k < 2; ++k) (model.layer_kinds()[static_cast<std::size_t>(k)].sliding ? sliding : global) = k;
  REQUIRE(sliding >= 0);
  REQUIRE(global >= 0);
  // 42 layers, every 2nd (1-based) global: layers 2, 4, ..., 42 global (21), the rest sliding (21).
  CHECK(model.layer_kinds()[static_cast<std::size_t>(sliding)].count == 21);
  CHECK(model.layer_kinds()[static_cast<std::size_t>(global)].count == 21);

  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 8192));
  const OperatorCost* local = find_op(b, OpKind::attention, sliding);
  const OperatorCost* full = find_op(b, OpKind::attention, global);
  REQUIRE(local != nullptr);
  REQUIRE(full != nullptr);
  CHECK(local->count == 21.0);
  CHECK(full->count == 21.0);
  // kv_dim = 8 KV heads x 256 = 2048; q_dim = 16 x 256 = 4096.
  // Sliding: min(8192 + 1, 4096) = 4096 keys -> 2 x 4096 x 2048 x 2 = 33,554,432 bytes
  // Global:  8193 keys                       -> 2 x 8193 x 2048 x 2 = 67,117,056 bytes
  CHECK(local->work.kv_read_bytes == 33554432.0);
  CHECK(full->work.kv_read_bytes == 67117056.0);
  // Corrected FLOPs: 4 x keys x q_dim: 4 x 4096 x 4096 = 67,108,864 and 4 x 8193 x 4096 = 134,234,112
  CHECK(local->work.flops == 67108864.0);
  CHECK(full->work.flops == 134234112.0);
  // The new token's K/V is written on both: 2 x 2048 x 2 = 8,192 bytes.
  CHECK(local->work.kv_write_bytes == 8192.0);
  CHECK(full->work.kv_write_bytes == 8192.0);
  CHECK(local->time.time_s < full->time.time_s);
  // Whole step: 21 x 33,554,432 + 21 x 67,117,056 = 704,643,072 + 1,409,458,176 = 2,114,101,248
  CHECK(sum_attention(b, &OperatorWork::kv_read_bytes) == 2114101248.0);
}

TEST_CASE("cost model: a short Gemma-2-9B decode inside the window reads the same KV on every layer") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 1000));
  // 1001 keys < 4096: both kinds read 2 x 1001 x 2048 x 2 = 8,200,192 bytes.
  for (int k = 0; k < 2; ++k) {
    const OperatorCost* op = find_op(b, OpKind::attention, k);
    REQUIRE(op != nullptr);
    CHECK(op->work.kv_read_bytes == 8200192.0);
  }
}

TEST_CASE("cost model: a Gemma-2-9B step reads all four RMSNorm weight vectors of every layer") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 100));
  double norm_bytes = 0, norm_kernels = 0;
  for (const auto& op : b.ops) {
    if (op.kind == OpKind::attn_norm || op.kind == OpKind::ffn_norm || op.kind == OpKind::final_norm ||
        op.kind == OpKind::attn_post_norm || op.kind == OpKind::ffn_post_norm) {
      norm_bytes += op.count * op.work.weight_bytes;
      norm_kernels += op.count;
    }
  }
  CHECK(norm_bytes >= 1211392.0);
  CHECK(norm_kernels >= 169.0);  // 42 x 4 + 1
}
