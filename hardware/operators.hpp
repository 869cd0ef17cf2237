#pragma once
// The work of each operator of a serving step: FLOPs and bytes moved, per GPU.
// The formulas are those of the Transformer Roofline Analyzer seed
// (shared/seeds/transformer-roofline-analyzer-llama.md), evaluated on the TP shard a GPU holds,
// with two corrections available (Accounting::corrected, used for predicted time):
//   - SDPA: the seed counts the S.V product over the KV heads' width and every query against
//     every key; real kernels multiply over all query heads and skip masked (future) keys.
//   - ActMul: the seed writes (4 + 1) * intermediate + n_tokens, which does not grow with the
//     token count; the work is 5 FLOPs per element, 5 * intermediate * n_tokens.
// Operators the seed names without a formula (O projection, residual add) follow the pattern of
// their siblings: a GEMM like QKV, an element-wise op like RMSNorm.
#include <string_view>

#include "step_shape.hpp"

namespace llmpo {

enum class Accounting { seed, corrected };

enum class OpClass { lookup, elementwise, gemm, attention, collective, transfer };

enum class OpKind {
  embedding,
  attn_norm,
  qkv_proj,
  rope,
  attention,
  o_proj,
  attn_all_reduce,
  attn_post_norm,
  attn_residual,
  ffn_norm,
  gate_up_proj,
  act_mul,
  down_proj,
  moe_router,
  expert_gate_up,
  expert_act_mul,
  expert_down,
  ffn_all_reduce,
  ffn_post_norm,
  ffn_residual,
  final_norm,
  lm_head,
  sampling,
  pp_transfer,
  mla_q_up,     // MLA q_b_proj / q_proj (hardware/mla_operators.hpp)
  mla_kv_up,    // MLA kv_b_proj over the prefills' context (decompressed form)
  mla_absorb,   // MLA W_UK / W_UV batched GEMMs of the decodes (absorbed form)
  // Expert parallelism (hardware/expert_parallel.hpp): routed tokens sent to the ranks holding
  // their experts, and the expert outputs sent back.
  moe_dispatch,
  moe_combine,
};

std::string_view op_name(OpKind kind);   // "Attn - QKV_Proj", as the seed names its rows
OpClass op_class(OpKind kind);

// Per-GPU widths of one layer, after tensor-parallel sharding, and the element sizes.
struct LayerGeometry {
  double hidden = 0;          // d: the residual stream is not sharded
  double q_dim = 0;           // query heads on this GPU x head_dim
  double kv_dim = 0;          // KV heads on this GPU x head_dim
  double ffn_width = 0;       // dense FFN intermediate on this GPU
  bool gated_mlp = true;
  double act_bytes = 2;       // activations (the model's dtype)
  double weight_bytes = 2;    // linear-layer weights (after quantization)
  double expert_weight_bytes = 2;  // routed experts' weights (gpt-oss ships them in MXFP4)
  double kv_bytes = 2;        // KV-cache elements
  double head_dim = 128;      // attention head width (kv_dim / head_dim = KV heads on this GPU)
};

struct OperatorWork {
  double flops = 0;
  double weight_bytes = 0;
  double input_bytes = 0;     // includes KV read for attention, as the seed counts it
  double output_bytes = 0;
  double kv_read_bytes = 0;   // attention: cached + new K/V read
  double kv_write_bytes = 0;  // attention: new K/V appended to the cache
  // GEMM shape (per instance): m tokens x k -> n, repeated `instances` times (MoE experts).
  double gemm_m = 0, gemm_n = 0, gemm_k = 0, instances = 1;
  // Attention split, because prefill is compute-bound and decode memory-bound.
  double prefill_flops = 0, decode_flops = 0;
  double prefill_bytes = 0, decode_bytes = 0;
  double prefill_seqs = 0, decode_seqs = 0;
  double decode_kv_tokens = 0;  // sum over decoding sequences of the tokens whose K/V are read
  double kv_heads = 0;          // KV heads on this GPU (the split-KV decode tiles per sequence)
  double q_heads = 0;           // query heads on this GPU
  double max_query_tokens = 0;  // the longest query of the call (prefill chunk)
  double decode_kv_read_bytes = 0;  // the decodes' share of kv_read_bytes (their cached K/V)
  double head_dim = 0;          // attention head width
  // Collectives and transfers: message size in bytes.
  double message_bytes = 0;

  double total_bytes() const { return weight_bytes + input_bytes + output_bytes + kv_write_bytes; }
};

// Element-wise and lookup ops over n tokens.
OperatorWork rms_norm_work(const LayerGeometry& g, double tokens);
OperatorWork residual_add_work(const LayerGeometry& g, double tokens);
// vLLM's fused residual add + RMSNorm (`RMSNorm.forward(x, residual)`, the fused_add_rms_norm
// kernel): reads the block output and the residual, writes the new residual and its normalised
// copy, in one kernel instead of an add and a norm.
OperatorWork fused_add_rms_norm_work(const LayerGeometry& g, double tokens);
OperatorWork rope_work(const LayerGeometry& g, double tokens);
// Gated: act(gate) * up reads 2 x width per token; plain: act(up) reads width.
OperatorWork act_mul_work(double width, double tokens, double act_bytes, bool gated,
                          Accounting accounting);
OperatorWork embedding_work(const LayerGeometry& g, double tokens);
OperatorWork sampling_work(double vocab, double seqs);

// A linear layer m x k -> n as the seed counts it: n_tokens * out * (2 * in - 1) FLOPs.
OperatorWork linear_work(double tokens, double in_features, double out_features,
                         double act_bytes, double weight_bytes, double instances = 1);

// Attention over the full-context and windowed loads of a step for `layers` of one kind.
OperatorWork attention_work(const LayerGeometry& g, const AttentionLoad& prefill,
                            const AttentionLoad& decode, Accounting accounting);

}  // namespace llmpo
