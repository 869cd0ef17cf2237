// The cost model's multi-head latent attention (hardware/mla_operators.hpp) on DeepSeek-V3 at
// TP 8 (16 of the 128 heads per GPU), FLOPs and bytes worked out by hand from the shapes.
#include <catch2/catch.hpp>

#include "library_fixtures.hpp"
#include "cost_model_fixtures.hpp"

#include "hardware/cost_model.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

constexpr double kFp8Block = 1.0 + 4.0 / (128 * 128);  // bytes a weight, scales included

CostModel deepseek_tp8() {
  return CostModel(models().find("DeepSeek-V3"), gpus().find("H200"),
                   with_parallel(8, 1, &links().find("nvswitch-hopper")));
}

const OperatorCost* find_attention(const StepBreakdown& b, bool decode) {
  for (const auto& op : b.ops)
    if (op.kind == OpKind::attention && (decode ? op.work.decode_seqs > 0 : op.work.prefill_seqs > 0)) return &op;
  return nullptr;
}

}  // namespace

TEST_CASE("MLA cost: 64 decodes of 2048 tokens read one 576-wide latent per token, absorbed through W_UK / W_UV") {
  const CostModel cost = deepseek_tp8();
  const StepBreakdown b = cost.breakdown(decode_batch(cost, 64, 2047));
  const OperatorCost* attention = find_attention(b, true);
  REQUIRE(attention != nullptr);
  CHECK(find_attention(b, false) == nullptr);  // no prefill kernel in a pure decode step
  // 64 x 2048 = 131,072 cached tokens. FLOPs: 2 x 131,072 x 16 heads x (576 QK + 512 PV)
  // = 4,563,402,752. Bytes: latent 131,072 x 576 x 2 = 150,994,944 (once, for all 16 heads);
  // q 64 x 16 x 576 x 2 = 1,179,648; o 64 x 16 x 512 x 2 = 1,048,576; new latents
  // 64 x 576 x 2 = 73,728: 153,296,896.
  CHECK(attention->work.decode_flops == 4'563'402'752.0);
  CHECK(attention->work.decode_kv_read_bytes == 150'994'944.0);
  CHECK(attention->work.decode_bytes == 153'296'896.0);
  CHECK(attention->work.kv_heads == 1.0);
  CHECK(attention->work.head_dim == 576.0);
  // W_UK (16 heads x 128 x 512) and W_UV (16 x 512 x 128), 16-bit: 2,097,152 B each.
  int absorbs = 0;
  for (const auto& op : b.ops)
    if (op.kind == OpKind::mla_absorb && op.layer_kind == 0) {
      ++absorbs;
      CHECK(op.work.weight_bytes == 2'097'152.0);
      CHECK(op.work.gemm_m == 64.0);
      CHECK(op.work.instances == 16.0);
    }
  CHECK(absorbs == 2);
  CHECK(find_op(b, OpKind::mla_kv_up, 0) == nullptr);  // decodes never up-project the context
  // Projections in the shipped fp8_block format: the replicated q_a + kv_a 7168 x 2112, the
  // TP-8 shards of q_b 1536 x 3072 and o 2048 x 7168.
  CHECK(find_op(b, OpKind::qkv_proj, 0)->work.weight_bytes == Approx(7168.0 * 2112 * kFp8Block));
  CHECK(find_op(b, OpKind::mla_q_up, 0)->work.weight_bytes == Approx(1536.0 * 3072 * kFp8Block));
  CHECK(find_op(b, OpKind::o_proj, 0)->work.weight_bytes == Approx(2048.0 * 7168 * kFp8Block));
}

TEST_CASE("MLA cost: a 1024-token prefill decompresses the latent and runs MHA at qk 192 / v 128") {
  const CostModel cost = deepseek_tp8();
  StepShape shape = cost.empty_shape();
  shape.add_sequence(0, 1024);
  const StepBreakdown b = cost.breakdown(shape);
  const OperatorCost* attention = find_attention(b, false);
  REQUIRE(attention != nullptr);
  // Causal pairs 1024 x 1025 / 2 = 524,800. FLOPs 2 x 524,800 x 16 x (192 + 128) = 5,373,952,000.
  // Bytes: q 1024 x 16 x 192 x 2 = 6,291,456; up-projected K and V 1024 x 16 x (192 + 128) x 2
  // = 10,485,760; o 1024 x 16 x 128 x 2 = 4,194,304; latents written 1024 x 576 x 2 = 1,179,648.
  CHECK(attention->work.prefill_flops == 5'373'952'000.0);
  CHECK(attention->work.prefill_bytes == 22'151'168.0);
  // kv_b over the 1024 context tokens: 512 -> 16 x (128 + 128), fp8_block weights.
  const OperatorCost* up = find_op(b, OpKind::mla_kv_up, 0);
  REQUIRE(up != nullptr);
  CHECK(up->work.gemm_m == 1024.0);
  CHECK(up->work.gemm_n == 4096.0);
  CHECK(up->work.weight_bytes == Approx(512.0 * 4096 * kFp8Block));
  CHECK(find_op(b, OpKind::mla_absorb, 0) == nullptr);
}

TEST_CASE("MLA cost: the fast step time agrees with the breakdown on a mixed batch with a cached prefix") {
  const CostModel cost = deepseek_tp8();
  StepShape shape = decode_batch(cost, 32, 4095);
  shape.add_sequence(8192, 512);  // a chunked prefill: its kv_b up-projection covers 8704 tokens
  const StepBreakdown b = cost.breakdown(shape);
  CHECK(find_op(b, OpKind::mla_kv_up, 0)->work.gemm_m == 8704.0);
  CHECK(cost.step_time_s(shape) == Approx(b.latency_s).epsilon(1e-9));
  // Longer contexts cost more: the decode kernel reads more latents, the prefill up-projects more.
  StepShape longer = decode_batch(cost, 32, 8191);
  longer.add_sequence(16384, 512);
  CHECK(cost.step_time_s(longer) > cost.step_time_s(shape));
}

TEST_CASE("shipped formats: gpt-oss's expert GEMMs read 4.25-bit MXFP4 weights, its attention bf16") {
  const ModelSpec& m = models().find("gpt-oss-120b");
  const CostModel cost(m, gpus().find("H100-SXM"), {});
  const StepBreakdown b = cost.breakdown(decode_batch(cost, 1, 1023));
  // One token routed to top-4 of 128 experts touches 128 x (1 - (1 - 4/128)^1) = 4 of them:
  // gate_up 4 x 2880 x 5760 x 4.25 / 8 = 35,251,200 B.
  const OperatorCost* gate_up = find_op(b, OpKind::expert_gate_up, 0);
  REQUIRE(gate_up != nullptr);
  CHECK(gate_up->work.weight_bytes == Approx(35'251'200.0));
  // q/k/v 2880 x (4096 + 2 x 512) in bf16 = 29,491,200 B.
  CHECK(find_op(b, OpKind::qkv_proj, 0)->work.weight_bytes == 29'491'200.0);
  // MXFP4 is dequantised in the kernel on Hopper: the GEMMs run at the bf16 peak, not FP8's.
  CHECK(cost.gemm_peak_flops_per_s() == gpus().find("H100-SXM").peak(ComputeType::bf16));
  // DeepSeek-V3's fp8_block weights run on FP8 tensor cores.
  CHECK(deepseek_tp8().gemm_peak_flops_per_s() == gpus().find("H200").peak(ComputeType::fp8));
  // Asking for fp8 replaces the shipped MXFP4 experts too (1 byte a weight).
  CostModelOptions fp8;
  fp8.quantization = "fp8";
  const CostModel asked(m, gpus().find("H100-SXM"), fp8);
  const StepBreakdown asked_step = asked.breakdown(decode_batch(asked, 1, 1023));
  CHECK(find_op(asked_step, OpKind::expert_gate_up, 0)->work.weight_bytes == Approx(4.0 * 2880 * 5760));
}

TEST_CASE("MLA cost: speculative verifications run with the decodes, absorbed, never up-projecting the context") {
  // 64 sequences of 2046 cached tokens verifying 1 draft each (q = 2): vLLM raises the MLA
  // builder's reorder_batch_threshold to 1 + k, so they take the decode kernel. Keys read: the
  // 2048-token latent once per sequence: 64 x 2048 x 576 x 2 = 150,994,944 B. Pairs (causal):
  // 2046 x 2 + 3 = 4,095 per sequence; FLOPs 2 x 64 x 4,095 x 16 x (576 + 512) = 9,120,000,000
  // (about twice a plain decode's, the extra query row).
  const CostModel cost = deepseek_tp8();
  StepShape verify_shape;
  for (int i = 0; i < 64; ++i) verify_shape.add_verification(2046, 1);
  CHECK(verify_shape.verify_draft_tokens == 64);
  const StepBreakdown b = cost.breakdown(verify_shape);
  CHECK(find_attention(b, false) == nullptr);
  CHECK(find_op(b, OpKind::mla_kv_up, 0) == nullptr);
  const OperatorCost* attention = find_attention(b, true);
  REQUIRE(attention != nullptr);
  CHECK(attention->work.decode_kv_read_bytes == 150'994'944.0);
  CHECK(attention->work.decode_flops == Approx(2.0 * 64 * 4095 * 16 * (576 + 512)));
  // The same tokens scheduled as 2-token prefill chunks would up-project all 131,072 context
  // tokens through kv_b in every layer: the verification is far cheaper.
  StepShape as_prefill;
  for (int i = 0; i < 64; ++i) as_prefill.add_sequence(2046, 2);
  const StepBreakdown prefill_breakdown = cost.breakdown(as_prefill);
  CHECK(find_op(prefill_breakdown, OpKind::mla_kv_up, 0) != nullptr);
  CHECK(cost.step_time_s(verify_shape) < 0.5 * cost.step_time_s(as_prefill));
  // The fast path agrees with the breakdown.
  CHECK(cost.step_time_s(verify_shape) == Approx(b.latency_s).epsilon(1e-9));
}
