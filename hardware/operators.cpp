#include "operators.hpp"

#include <algorithm>

namespace llmpo {

std::string_view op_name(OpKind kind) {
  switch (kind) {
    case OpKind::embedding: return "Embedding";
    case OpKind::attn_norm: return "Attn - RMSNorm";
    case OpKind::qkv_proj: return "Attn - QKV_Proj";
    case OpKind::rope: return "Attn - RoPE";
    case OpKind::attention: return "Attn - SDPA";
    case OpKind::o_proj: return "Attn - O_Proj";
    case OpKind::attn_all_reduce: return "Attn - AllReduce";
    case OpKind::attn_post_norm: return "Attn - PostNorm";
    case OpKind::attn_residual: return "Attn - ResidualAdd";
    case OpKind::ffn_norm: return "Ffn - RMSNorm";
    case OpKind::gate_up_proj: return "Ffn - GateUp_Proj";
    case OpKind::act_mul: return "Ffn - ActMul";
    case OpKind::down_proj: return "Ffn - Down_Proj";
    case OpKind::moe_router: return "Moe - Router";
    case OpKind::expert_gate_up: return "Moe - Expert_GateUp";
    case OpKind::expert_act_mul: return "Moe - Expert_ActMul";
    case OpKind::expert_down: return "Moe - Expert_Down";
    case OpKind::ffn_all_reduce: return "Ffn - AllReduce";
    case OpKind::ffn_post_norm: return "Ffn - PostNorm";
    case OpKind::ffn_residual: return "Ffn - ResidualAdd";
    case OpKind::final_norm: return "Final RMSNorm";
    case OpKind::lm_head: return "LM_Head";
    case OpKind::sampling: return "Sampling";
    case OpKind::pp_transfer: return "PP - SendRecv";
    case OpKind::mla_q_up: return "Attn - MLA_Q_Up";
    case OpKind::mla_kv_up: return "Attn - MLA_KV_Up";
    case OpKind::mla_absorb: return "Attn - MLA_Absorb";
    case OpKind::moe_dispatch: return "Moe - Dispatch";
    case OpKind::moe_combine: return "Moe - Combine";
  }
  return "?";
}

OpClass op_class(OpKind kind) {
  switch (kind) {
    case OpKind::embedding: return OpClass::lookup;
    case OpKind::qkv_proj:
    case OpKind::o_proj:
    case OpKind::gate_up_proj:
    case OpKind::down_proj:
    case OpKind::moe_router:
    case OpKind::expert_gate_up:
    case OpKind::expert_down:
    case OpKind::mla_q_up:
    case OpKind::mla_kv_up:
    case OpKind::mla_absorb:
    case OpKind::lm_head: return OpClass::gemm;
    case OpKind::attention: return OpClass::attention;
    case OpKind::attn_all_reduce:
    case OpKind::ffn_all_reduce:
    case OpKind::moe_dispatch:
    case OpKind::moe_combine: return OpClass::collective;
    case OpKind::pp_transfer: return OpClass::transfer;
    default: return OpClass::elementwise;
  }
}

OperatorWork rms_norm_work(const LayerGeometry& g, double tokens) {
  OperatorWork w;
  w.flops = (g.hidden * 4 + 2) * tokens;
  w.weight_bytes = (g.hidden + 1) * g.act_bytes;
  w.input_bytes = g.hidden * tokens * g.act_bytes;
  w.output_bytes = g.hidden * tokens * g.act_bytes;
  return w;
}

OperatorWork residual_add_work(const LayerGeometry& g, double tokens) {
  OperatorWork w;
  w.flops = g.hidden * tokens;
  w.input_bytes = 2 * g.hidden * tokens * g.act_bytes;
  w.output_bytes = g.hidden * tokens * g.act_bytes;
  return w;
}

OperatorWork fused_add_rms_norm_work(const LayerGeometry& g, double tokens) {
  OperatorWork w = rms_norm_work(g, tokens);
  w.flops += g.hidden * tokens;                          // the add
  w.input_bytes = 2 * g.hidden * tokens * g.act_bytes;   // block output + residual
  w.output_bytes = 2 * g.hidden * tokens * g.act_bytes;  // new residual + normalised
  return w;
}

OperatorWork rope_work(const LayerGeometry& g, double tokens) {
  const double token_dims = g.q_dim + g.kv_dim;
  OperatorWork w;
  w.flops = token_dims * 3 * tokens;
  w.input_bytes = token_dims * tokens * g.act_bytes;
  w.output_bytes = token_dims * tokens * g.act_bytes;
  return w;
}

OperatorWork act_mul_work(double width, double tokens, double act_bytes, bool gated,
                          Accounting accounting) {
  OperatorWork w;
  const double per_element = gated ? 4 + 1 : 4;  // activation (4), times up (1)
  w.flops = accounting == Accounting::seed ? per_element * width + tokens : per_element * width * tokens;
  w.input_bytes = width * tokens * (gated ? 2 : 1) * act_bytes;
  w.output_bytes = width * tokens * act_bytes;
  return w;
}

OperatorWork embedding_work(const LayerGeometry& g, double tokens) {
  OperatorWork w;  // a gather: read one row per token, write it out
  w.input_bytes = g.hidden * tokens * g.act_bytes;
  w.output_bytes = g.hidden * tokens * g.act_bytes;
  return w;
}

OperatorWork sampling_work(double vocab, double seqs) {
  OperatorWork w;  // softmax + top-p/top-k over fp32 logits: a few passes over them
  w.flops = 5 * vocab * seqs;
  w.input_bytes = vocab * seqs * 4;
  w.output_bytes = seqs * 8;
  return w;
}

OperatorWork linear_work(double tokens, double in_features, double out_features,
                         double act_bytes, double weight_bytes, double instances) {
  OperatorWork w;
  w.flops = tokens * out_features * (in_features * 2 - 1) * instances;
  w.weight_bytes = in_features * out_features * weight_bytes * instances;
  w.input_bytes = tokens * in_features * act_bytes * instances;
  w.output_bytes = tokens * out_features * act_bytes * instances;
  w.gemm_m = tokens;
  w.gemm_n = out_features;
  w.gemm_k = in_features;
  w.instances = instances;
  return w;
}

namespace {

struct AttentionPart {
  double flops = 0;
  double bytes = 0;
};

// DecodeAttentionTimer (decode_attention.hpp) repeats this for a decode load: change both.
AttentionPart attention_part(const LayerGeometry& g, const AttentionLoad& load, Accounting accounting,
                             OperatorWork& total) {
  AttentionPart part;
  if (load.seqs == 0) return part;
  if (accounting == Accounting::seed) {
    // QK^T: qo * kv * (2 d - 1); SV: qo * kv_dims * (2 kv - 1), summed over sequences.
    part.flops = load.pairs_full * (2 * g.q_dim - 1) + g.kv_dim * (2 * load.pairs_full - load.query_tokens);
  } else {
    // QK^T and S.V each cost 2 FLOPs per (query head dim, visible key) pair.
    part.flops = 4 * load.pairs_causal * g.q_dim;
  }
  const double q_bytes = load.query_tokens * g.q_dim * g.act_bytes;
  const double kv_read = 2 * load.kv_tokens * g.kv_dim * g.kv_bytes;
  const double o_bytes = load.query_tokens * g.q_dim * g.act_bytes;
  const double kv_write = accounting == Accounting::seed ? 0 : 2 * load.query_tokens * g.kv_dim * g.kv_bytes;
  total.flops += part.flops;
  total.input_bytes += q_bytes + kv_read;
  total.output_bytes += o_bytes;
  total.kv_read_bytes += kv_read;
  total.kv_write_bytes += kv_write;
  part.bytes = q_bytes + kv_read + o_bytes + kv_write;
  return part;
}

}  // namespace

OperatorWork attention_work(const LayerGeometry& g, const AttentionLoad& prefill,
                            const AttentionLoad& decode, Accounting accounting) {
  OperatorWork w;
  const AttentionPart p = attention_part(g, prefill, accounting, w);
  const AttentionPart d = attention_part(g, decode, accounting, w);
  w.prefill_flops = p.flops;
  w.prefill_bytes = p.bytes;
  w.decode_flops = d.flops;
  w.decode_bytes = d.bytes;
  w.prefill_seqs = prefill.seqs;
  w.decode_seqs = decode.seqs;
  w.decode_kv_tokens = decode.kv_tokens;
  w.kv_heads = g.head_dim > 0 ? g.kv_dim / g.head_dim : 0;
  w.q_heads = g.head_dim > 0 ? g.q_dim / g.head_dim : 0;
  w.max_query_tokens = std::max(prefill.max_query_tokens, decode.seqs > 0 ? 1.0 : 0.0);
  w.decode_kv_read_bytes = decode.seqs > 0 ? 2 * decode.kv_tokens * g.kv_dim * g.kv_bytes : 0;
  w.head_dim = g.head_dim;
  return w;
}

}  // namespace llmpo
