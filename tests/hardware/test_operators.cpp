// Operator work (FLOPs and bytes) against the Transformer Roofline Analyzer seed
// (shared/seeds/transformer-roofline-analyzer-llama.md), worked out by hand for Llama-2-7B:
//   hidden d = 4096, 32 query heads, 32 KV heads, head_dim 128, intermediate I = 11008,
//   fp16 (2 bytes per element), 32 layers, vocab 32000.
// Every expected number below is computed in the comment next to it, never taken from a run.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hardware/cost_model.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/operators.hpp"
#include "hardware/step_shape.hpp"
#include "models/model_library.hpp"

using namespace llmpo;

namespace {

// Llama-2-7B, unsharded: q_dim = 32 x 128 = 4096, kv_dim = 32 x 128 = 4096.
LayerGeometry llama2_7b_geometry() {
  LayerGeometry g;
  g.hidden = 4096;
  g.q_dim = 4096;
  g.kv_dim = 4096;
  g.ffn_width = 11008;
  g.gated_mlp = true;
  g.act_bytes = 2;
  g.weight_bytes = 2;
  g.kv_bytes = 2;
  return g;
}

constexpr double kHidden = 4096;
constexpr double kQkvOut = 12288;  // head_dim x (q heads + 2 kv heads) = 128 x (32 + 64)
constexpr double kFfn = 11008;

const OperatorCost* find_op(const StepBreakdown& b, OpKind kind, int layer_kind) {
  for (const auto& op : b.ops)
    if (op.kind == kind && op.layer_kind == layer_kind) return &op;
  return nullptr;
}
// The result points into the breakdown: never take it from a temporary.
const OperatorCost* find_op(const StepBreakdown&& b, OpKind kind, int layer_kind) = delete;

const ModelSpec& llama2_7b() {
  static const ModelLibrary library = ModelLibrary::load_default();
  return library.find("Llama2-7B");
}

const GpuSpec& a100() {
  static const GpuLibrary library = GpuLibrary::load_default();
  return library.find("A100-80GB-SXM");
}

CostModel seed_model() {
  CostModelOptions options;
  options.accounting = Accounting::seed;
  return CostModel(llama2_7b(), a100(), options);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Decode: one sequence, input_tokens = 1, cached_tokens = 1024 (the seed's example command).
// ---------------------------------------------------------------------------------------------

TEST_CASE("operators: RMSNorm of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = rms_norm_work(llama2_7b_geometry(), 1);
  CHECK(w.flops == 16386.0);         // (4 x 4096 + 2) x 1 = 16,386
  CHECK(w.weight_bytes == 8194.0);   // (4096 + 1) x 2 = 8,194
  CHECK(w.input_bytes == 8192.0);    // 4096 x 1 x 2
  CHECK(w.output_bytes == 8192.0);   // 4096 x 1 x 2
}

TEST_CASE("operators: the QKV projection of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = linear_work(1, kHidden, kQkvOut, 2, 2);
  CHECK(w.flops == 100651008.0);         // 1 x 12288 x (2 x 4096 - 1) = 12288 x 8191 = 100,651,008
  CHECK(w.weight_bytes == 100663296.0);  // 4096 x 12288 x 2 = 100,663,296
  CHECK(w.input_bytes == 8192.0);        // 1 x 4096 x 2
  CHECK(w.output_bytes == 24576.0);      // 1 x 12288 x 2
  CHECK(w.gemm_m == 1.0);
  CHECK(w.gemm_n == 12288.0);
  CHECK(w.gemm_k == 4096.0);
  CHECK(w.instances == 1.0);
}

TEST_CASE("operators: RoPE of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = rope_work(llama2_7b_geometry(), 1);
  // token_dims = head_dim x (q heads + kv heads) = 128 x 64 = 8192
  CHECK(w.flops == 24576.0);        // 8192 x 3 x 1
  CHECK(w.weight_bytes == 0.0);
  CHECK(w.input_bytes == 16384.0);  // 8192 x 1 x 2
  CHECK(w.output_bytes == 16384.0);
}

TEST_CASE("operators: seed SDPA of Llama-2-7B for one new token on 1024 cached matches the seed's formula") {
  StepShape shape;
  shape.add_sequence(1024, 1);  // qo_seq_len = 1, kv_seq_len = 1024 + 1 = 1025
  REQUIRE(shape.decode.seqs == 1.0);
  REQUIRE(shape.prefill.seqs == 0.0);
  const OperatorWork w = attention_work(llama2_7b_geometry(), shape.prefill, shape.decode, Accounting::seed);
  // QK^T: 1 x 1025 x (2 x 4096 - 1) = 1025 x 8191 = 8,395,775
  // SV:   1 x 4096 x (2 x 1025 - 1) = 4096 x 2049 = 8,392,704
  CHECK(w.flops == 16788479.0);          // 8,395,775 + 8,392,704
  CHECK(w.weight_bytes == 0.0);
  // Q: 1 x 4096 x 2 = 8,192; K and V: 2 x 1025 x 4096 x 2 = 16,793,600
  CHECK(w.input_bytes == 16801792.0);    // 8,192 + 16,793,600
  CHECK(w.kv_read_bytes == 16793600.0);
  CHECK(w.output_bytes == 8192.0);       // O: 1 x 4096 x 2
  CHECK(w.kv_write_bytes == 0.0);        // the seed counts no cache append
  // All of it is decode work.
  CHECK(w.decode_flops == 16788479.0);
  CHECK(w.prefill_flops == 0.0);
  CHECK(w.decode_bytes == 16809984.0);   // 16,801,792 in + 8,192 out
  CHECK(w.prefill_bytes == 0.0);
}

TEST_CASE("operators: the O projection of Llama-2-7B for one token matches the seed's pattern") {
  const OperatorWork w = linear_work(1, kHidden, kHidden, 2, 2);
  CHECK(w.flops == 33550336.0);         // 1 x 4096 x (2 x 4096 - 1) = 4096 x 8191 = 33,550,336
  CHECK(w.weight_bytes == 33554432.0);  // 4096 x 4096 x 2
}

TEST_CASE("operators: the GateUp projection of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = linear_work(1, kHidden, 2 * kFfn, 2, 2);
  CHECK(w.flops == 180333056.0);         // 1 x 22016 x 8191 = 180,355,072 - 22,016 = 180,333,056
  CHECK(w.weight_bytes == 180355072.0);  // 4096 x 11008 x 2 x 2 = 180,355,072
  CHECK(w.input_bytes == 8192.0);        // 1 x 4096 x 2
  CHECK(w.output_bytes == 44032.0);      // 1 x 22016 x 2
}

TEST_CASE("operators: seed ActMul of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = act_mul_work(kFfn, 1, 2, true, Accounting::seed);
  CHECK(w.flops == 55041.0);         // (4 + 1) x 11008 + 1 = 55,041
  CHECK(w.weight_bytes == 0.0);
  CHECK(w.input_bytes == 44032.0);   // 11008 x 1 x 2 x 2
  CHECK(w.output_bytes == 22016.0);  // 11008 x 1 x 2
}

TEST_CASE("operators: the Down projection of Llama-2-7B for one token matches the seed's formula") {
  const OperatorWork w = linear_work(1, kFfn, kHidden, 2, 2);
  CHECK(w.flops == 90173440.0);         // 1 x 4096 x (2 x 11008 - 1) = 4096 x 22015 = 90,173,440
  CHECK(w.weight_bytes == 90177536.0);  // 11008 x 4096 x 2
  CHECK(w.input_bytes == 22016.0);      // 1 x 11008 x 2
  CHECK(w.output_bytes == 8192.0);      // 1 x 4096 x 2
}

TEST_CASE("operators: the residual add of Llama-2-7B for one token follows the element-wise pattern") {
  const OperatorWork w = residual_add_work(llama2_7b_geometry(), 1);
  CHECK(w.flops == 4096.0);          // one add per element
  CHECK(w.input_bytes == 16384.0);   // two 4096-wide fp16 inputs
  CHECK(w.output_bytes == 8192.0);
}

// ---------------------------------------------------------------------------------------------
// Prefill: one sequence, input_tokens = 512, cached_tokens = 0.
// ---------------------------------------------------------------------------------------------

TEST_CASE("operators: the QKV projection of Llama-2-7B for a 512-token prefill matches the seed's formula") {
  const OperatorWork w = linear_work(512, kHidden, kQkvOut, 2, 2);
  // 512 x 12288 x 8191 = 512 x 100,651,008 = 51,533,316,096
  CHECK(w.flops == 51533316096.0);
  CHECK(w.weight_bytes == 100663296.0);  // weights do not grow with tokens
  CHECK(w.input_bytes == 4194304.0);     // 512 x 4096 x 2
  CHECK(w.output_bytes == 12582912.0);   // 512 x 12288 x 2
  CHECK(w.gemm_m == 512.0);
}

TEST_CASE("operators: seed SDPA of Llama-2-7B for a 512-token prefill matches the seed's formula") {
  StepShape shape;
  shape.add_sequence(0, 512);  // qo = 512, kv = 512
  REQUIRE(shape.prefill.seqs == 1.0);
  REQUIRE(shape.decode.seqs == 0.0);
  CHECK(shape.prefill.pairs_full == 262144.0);  // 512 x 512
  const OperatorWork w = attention_work(llama2_7b_geometry(), shape.prefill, shape.decode, Accounting::seed);
  // QK^T: 512 x 512 x 8191 = 262,144 x 8191 = 2,147,221,504
  // SV:   512 x 4096 x (2 x 512 - 1) = 2,097,152 x 1023 = 2,145,386,496
  CHECK(w.flops == 4292608000.0);        // 2,147,221,504 + 2,145,386,496
  // Q 512 x 4096 x 2 = 4,194,304; K, V 2 x 512 x 4096 x 2 = 8,388,608
  CHECK(w.input_bytes == 12582912.0);
  CHECK(w.kv_read_bytes == 8388608.0);
  CHECK(w.output_bytes == 4194304.0);
  CHECK(w.prefill_flops == 4292608000.0);
  CHECK(w.decode_flops == 0.0);
}

// ---------------------------------------------------------------------------------------------
// The same numbers through CostModel::breakdown with seed accounting.
// ---------------------------------------------------------------------------------------------

TEST_CASE("operators: the cost model's seed breakdown of a Llama-2-7B decode has the hand-computed per-layer ops") {
  const CostModel model = seed_model();
  REQUIRE(model.layer_kinds().size() == 1);
  CHECK(model.layer_kinds()[0].count == 32);
  CHECK_FALSE(model.layer_kinds()[0].moe);
  CHECK_FALSE(model.layer_kinds()[0].sliding);

  StepShape shape = model.empty_shape();
  shape.add_sequence(1024, 1);
  const StepBreakdown b = model.breakdown(shape);

  struct Expected {
    OpKind kind;
    double flops, weight_bytes, input_bytes, output_bytes;
  };
  // The hand numbers of the decode cases above.
  const std::vector<Expected> expected = {
      {OpKind::attn_norm, 16386, 8194, 8192, 8192},
      {OpKind::qkv_proj, 100651008, 100663296, 8192, 24576},
      {OpKind::rope, 24576, 0, 16384, 16384},
      {OpKind::attention, 16788479, 0, 16801792, 8192},
      {OpKind::o_proj, 33550336, 33554432, 8192, 8192},
      {OpKind::attn_residual, 4096, 0, 16384, 8192},
      {OpKind::ffn_norm, 16386, 8194, 8192, 8192},
      {OpKind::gate_up_proj, 180333056, 180355072, 8192, 44032},
      {OpKind::act_mul, 55041, 0, 44032, 22016},
      {OpKind::down_proj, 90173440, 90177536, 22016, 8192},
      {OpKind::ffn_residual, 4096, 0, 16384, 8192},
  };
  for (const auto& e : expected) {
    INFO(op_name(e.kind));
    const OperatorCost* op = find_op(b, e.kind, 0);
    REQUIRE(op != nullptr);
    CHECK(op->count == 32.0);  // once per layer
    CHECK(op->work.flops == e.flops);
    CHECK(op->work.weight_bytes == e.weight_bytes);
    CHECK(op->work.input_bytes == e.input_bytes);
    CHECK(op->work.output_bytes == e.output_bytes);
  }
  // No operator of a TP-1, dense model is a collective.
  CHECK(find_op(b, OpKind::attn_all_reduce, 0) == nullptr);
  CHECK(find_op(b, OpKind::ffn_all_reduce, 0) == nullptr);
  // LM head: one row of logits per sequence, 1 x 32000 x (2 x 4096 - 1) = 32000 x 8191 = 262,112,000
  const OperatorCost* lm_head = find_op(b, OpKind::lm_head, -1);
  REQUIRE(lm_head != nullptr);
  CHECK(lm_head->work.flops == 262112000.0);
  CHECK(lm_head->work.weight_bytes == 262144000.0);  // 4096 x 32000 x 2
}

TEST_CASE("operators: the cost model's seed breakdown of a Llama-2-7B 512-token prefill has the hand-computed QKV and SDPA") {
  const CostModel model = seed_model();
  StepShape shape = model.empty_shape();
  shape.add_sequence(0, 512);
  const StepBreakdown b = model.breakdown(shape);
  const OperatorCost* qkv = find_op(b, OpKind::qkv_proj, 0);
  const OperatorCost* sdpa = find_op(b, OpKind::attention, 0);
  REQUIRE(qkv != nullptr);
  REQUIRE(sdpa != nullptr);
  CHECK(qkv->work.flops == 51533316096.0);
  CHECK(qkv->work.weight_bytes == 100663296.0);
  CHECK(sdpa->work.flops == 4292608000.0);
  CHECK(sdpa->work.input_bytes == 12582912.0);
  CHECK(sdpa->work.output_bytes == 4194304.0);
  // ActMul, seed: (4 + 1) x 11008 + 512 = 55,552 (the seed's formula does not scale with tokens)
  const OperatorCost* act = find_op(b, OpKind::act_mul, 0);
  REQUIRE(act != nullptr);
  CHECK(act->work.flops == 55552.0);
}

// ---------------------------------------------------------------------------------------------
// Corrected accounting.
// ---------------------------------------------------------------------------------------------

TEST_CASE("operators: corrected SDPA counts 4 FLOPs per visible key and query-head dimension for a decode") {
  StepShape shape;
  shape.add_sequence(1024, 1);  // the new token sits at position 1025 and sees 1025 keys
  CHECK(shape.decode.pairs_causal == 1025.0);
  const OperatorWork w = attention_work(llama2_7b_geometry(), shape.prefill, shape.decode, Accounting::corrected);
  CHECK(w.flops == 16793600.0);           // 4 x 1025 x 4096 = 16,793,600
  CHECK(w.kv_read_bytes == 16793600.0);   // 2 x 1025 x 4096 x 2 (same as the seed)
  CHECK(w.kv_write_bytes == 16384.0);     // the new token's K and V: 2 x 1 x 4096 x 2
  // total bytes = Q 8,192 + KV 16,793,600 + O 8,192 + append 16,384 = 16,826,368
  CHECK(w.total_bytes() == 16826368.0);
  CHECK(w.decode_bytes == 16826368.0);
}

TEST_CASE("operators: corrected SDPA of a 512-token prefill skips the masked half of the score matrix") {
  StepShape shape;
  shape.add_sequence(0, 512);
  CHECK(shape.prefill.pairs_causal == 131328.0);  // 1 + 2 + ... + 512 = 512 x 513 / 2
  const OperatorWork w = attention_work(llama2_7b_geometry(), shape.prefill, shape.decode, Accounting::corrected);
  CHECK(w.flops == 2151677952.0);        // 4 x 131,328 x 4096 = 2,151,677,952
  CHECK(w.kv_write_bytes == 8388608.0);  // 2 x 512 x 4096 x 2
}

TEST_CASE("operators: corrected ActMul is 5 FLOPs per element and grows with the token count") {
  CHECK(act_mul_work(kFfn, 1, 2, true, Accounting::corrected).flops == 55040.0);        // 5 x 11008
  CHECK(act_mul_work(kFfn, 512, 2, true, Accounting::corrected).flops == 28180480.0);   // 5 x 11008 x 512
  // A plain (ungated) MLP applies only the activation: 4 per element, reads width per token.
  const OperatorWork plain = act_mul_work(1000, 10, 2, false, Accounting::corrected);
  CHECK(plain.flops == 40000.0);         // 4 x 1000 x 10
  CHECK(plain.input_bytes == 20000.0);   // 1000 x 10 x 1 x 2
  CHECK(plain.output_bytes == 20000.0);  // 1000 x 10 x 2
}

TEST_CASE("operators: GQA shrinks the KV bytes but not the corrected SDPA FLOPs") {
  // Llama-3-8B-like: 32 query heads, 8 KV heads, head_dim 128 -> kv_dim 1024.
  LayerGeometry g = llama2_7b_geometry();
  g.kv_dim = 1024;
  StepShape shape;
  shape.add_sequence(1024, 1);
  const OperatorWork w = attention_work(g, shape.prefill, shape.decode, Accounting::corrected);
  CHECK(w.flops == 16793600.0);        // 4 x 1025 x 4096, independent of KV heads
  CHECK(w.kv_read_bytes == 4198400.0); // 2 x 1025 x 1024 x 2
  // Seed: QK 1025 x 8191 = 8,395,775; SV 1 x 1024 x 2049 = 2,098,176 -> 10,493,951
  const OperatorWork s = attention_work(g, shape.prefill, shape.decode, Accounting::seed);
  CHECK(s.flops == 10493951.0);
}

// ---------------------------------------------------------------------------------------------
// StepShape sums.
// ---------------------------------------------------------------------------------------------

TEST_CASE("operators: windowed causal pairs equal the sum of min(c + j, w) worked out by hand") {
  // c = 10, q = 5, w = 12: min(11,12) + min(12,12) + 12 + 12 + 12 = 11 + 12 + 12 + 12 + 12 = 59
  CHECK(StepShape::windowed_causal_pairs(10, 5, 12) == 59.0);
  // c = 0, q = 5, w = 12: 1 + 2 + 3 + 4 + 5 = 15 (never reaches the window)
  CHECK(StepShape::windowed_causal_pairs(0, 5, 12) == 15.0);
  // c = 7, q = 5, w = 12: 8 + 9 + 10 + 11 + 12 = 50 (reaches it exactly on the last token)
  CHECK(StepShape::windowed_causal_pairs(7, 5, 12) == 50.0);
  // c = 12, q = 3, w = 12: 12 + 12 + 12 = 36 (already full)
  CHECK(StepShape::windowed_causal_pairs(12, 3, 12) == 36.0);
  // c = 20, q = 5, w = 12: 5 x 12 = 60
  CHECK(StepShape::windowed_causal_pairs(20, 5, 12) == 60.0);
  // c = 0, q = 20, w = 12: 1 + ... + 12 = 78, then 8 x 12 = 96 -> 174
  CHECK(StepShape::windowed_causal_pairs(0, 20, 12) == 174.0);
}

TEST_CASE("operators: a windowed step shape keeps full and sliding views of each sequence") {
  StepShape shape(12);
  shape.add_sequence(10, 5);   // prefill chunk
  shape.add_sequence(100, 1);  // decode far past the window
  // Full view, prefill: kv = 15, pairs_full = 5 x 15 = 75, causal = 11+12+13+14+15 = 65
  CHECK(shape.prefill.seqs == 1.0);
  CHECK(shape.prefill.query_tokens == 5.0);
  CHECK(shape.prefill.kv_tokens == 15.0);
  CHECK(shape.prefill.pairs_full == 75.0);
  CHECK(shape.prefill.pairs_causal == 65.0);
  // Sliding view, prefill: kv = min(15, 12) = 12, causal = 59 (above)
  CHECK(shape.prefill_windowed.kv_tokens == 12.0);
  CHECK(shape.prefill_windowed.pairs_causal == 59.0);
  // Full view, decode: kv = 101, causal = 101
  CHECK(shape.decode.kv_tokens == 101.0);
  CHECK(shape.decode.pairs_causal == 101.0);
  // Sliding view, decode: 12 keys
  CHECK(shape.decode_windowed.kv_tokens == 12.0);
  CHECK(shape.decode_windowed.pairs_causal == 12.0);
  CHECK(shape.num_seqs() == 2.0);
  CHECK(shape.new_tokens() == 6.0);
}

TEST_CASE("operators: a step shape without a window leaves the windowed loads empty") {
  StepShape shape;
  shape.add_sequence(1024, 1);
  shape.add_sequence(1024, 1);
  shape.add_sequence(0, 512);
  CHECK(shape.num_seqs() == 3.0);
  CHECK(shape.new_tokens() == 514.0);
  CHECK(shape.decode.kv_tokens == 2050.0);  // 2 x 1025
  CHECK(shape.prefill_windowed.seqs == 0.0);
  CHECK(shape.decode_windowed.seqs == 0.0);
}

TEST_CASE("operators: operator names follow the seed's row labels") {
  CHECK(op_name(OpKind::qkv_proj) == "Attn - QKV_Proj");
  CHECK(op_name(OpKind::attention) == "Attn - SDPA");
  CHECK(op_name(OpKind::act_mul) == "Ffn - ActMul");
  CHECK(op_class(OpKind::lm_head) == OpClass::gemm);
  CHECK(op_class(OpKind::ffn_all_reduce) == OpClass::collective);
  CHECK(op_class(OpKind::rope) == OpClass::elementwise);
}
