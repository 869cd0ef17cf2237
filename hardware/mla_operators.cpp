#include "mla_operators.hpp"

#include "models/model_spec.hpp"

namespace llmpo {

MlaGeometry mla_geometry(const ModelSpec& model, double heads_per_gpu, double act_bytes, double weight_bytes,
                         double kv_bytes) {
  MlaGeometry g;
  g.hidden = static_cast<double>(model.hidden_size);
  g.heads = heads_per_gpu;
  g.q_lora_rank = static_cast<double>(model.mla.q_lora_rank);
  g.kv_lora_rank = static_cast<double>(model.mla.kv_lora_rank);
  g.qk_nope = static_cast<double>(model.mla.qk_nope_head_dim);
  g.qk_rope = static_cast<double>(model.mla.qk_rope_head_dim);
  g.v_head = static_cast<double>(model.mla.v_head_dim);
  g.act_bytes = act_bytes;
  g.weight_bytes = weight_bytes;
  g.kv_bytes = kv_bytes;
  return g;
}

OperatorWork mla_qkv_a_work(const MlaGeometry& g, double tokens) {
  return linear_work(tokens, g.hidden, g.q_lora_rank + g.latent_width(), g.act_bytes, g.weight_bytes);
}

OperatorWork mla_q_up_work(const MlaGeometry& g, double tokens) {
  const double in = g.q_lora_rank > 0 ? g.q_lora_rank : g.hidden;
  return linear_work(tokens, in, g.heads * g.qk_head(), g.act_bytes, g.weight_bytes);
}

OperatorWork mla_rope_work(const MlaGeometry& g, double tokens) {
  // The element-wise pattern of rope_work: 3 FLOPs per rotated element, read and written once.
  const double dims = (g.heads + 1) * g.qk_rope;
  OperatorWork w;
  w.flops = dims * 3 * tokens;
  w.input_bytes = dims * tokens * g.act_bytes;
  w.output_bytes = dims * tokens * g.act_bytes;
  return w;
}

OperatorWork mla_kv_up_work(const MlaGeometry& g, const AttentionLoad& prefill) {
  OperatorWork w = linear_work(prefill.kv_tokens, g.kv_lora_rank, g.heads * (g.qk_nope + g.v_head), g.act_bytes,
                               g.weight_bytes);
  if (prefill.kv_tokens <= 0) w = OperatorWork{};
  return w;
}

OperatorWork mla_absorb_q_work(const MlaGeometry& g, const AttentionLoad& decode) {
  if (decode.query_tokens <= 0) return OperatorWork{};
  return linear_work(decode.query_tokens, g.qk_nope, g.kv_lora_rank, g.act_bytes, g.act_bytes, g.heads);
}

OperatorWork mla_absorb_out_work(const MlaGeometry& g, const AttentionLoad& decode) {
  if (decode.query_tokens <= 0) return OperatorWork{};
  return linear_work(decode.query_tokens, g.kv_lora_rank, g.v_head, g.act_bytes, g.act_bytes, g.heads);
}

OperatorWork mla_o_proj_work(const MlaGeometry& g, double tokens) {
  return linear_work(tokens, g.heads * g.v_head, g.hidden, g.act_bytes, g.weight_bytes);
}

namespace {

// An attention kernel's traffic: queries and the cache read in, outputs out, the new tokens'
// cache entries written. Returns the total, the kernel's bytes.
double set_attention_bytes(OperatorWork& w, double q_bytes, double kv_read, double o_bytes, double kv_write) {
  w.input_bytes = q_bytes + kv_read;
  w.output_bytes = o_bytes;
  w.kv_read_bytes = kv_read;
  w.kv_write_bytes = kv_write;
  return q_bytes + kv_read + o_bytes + kv_write;
}

}  // namespace

OperatorWork mla_prefill_attention_work(const MlaGeometry& g, const AttentionLoad& prefill) {
  OperatorWork w;
  if (prefill.seqs <= 0) return w;
  const double q_bytes = prefill.query_tokens * g.heads * g.qk_head() * g.act_bytes;
  // Keys: each head's up-projected nope part and the shared rope key, laid out per head for the
  // MHA kernel; values: each head's up-projected v.
  const double kv_read = prefill.kv_tokens * g.heads * (g.qk_head() + g.v_head) * g.act_bytes;
  const double o_bytes = prefill.query_tokens * g.heads * g.v_head * g.act_bytes;
  const double kv_write = prefill.query_tokens * g.latent_width() * g.kv_bytes;
  w.flops = 2 * prefill.pairs_causal * g.heads * (g.qk_head() + g.v_head);
  w.prefill_flops = w.flops;
  w.prefill_bytes = set_attention_bytes(w, q_bytes, kv_read, o_bytes, kv_write);
  w.prefill_seqs = prefill.seqs;
  w.kv_heads = g.heads;  // after decompression every query head has its own K/V
  w.q_heads = g.heads;
  w.max_query_tokens = prefill.max_query_tokens;
  w.head_dim = g.qk_head();
  return w;
}

OperatorWork mla_decode_attention_work(const MlaGeometry& g, const AttentionLoad& decode) {
  OperatorWork w;
  if (decode.seqs <= 0) return w;
  const double q_bytes = decode.query_tokens * g.heads * g.latent_width() * g.act_bytes;
  // One latent per cached token serves every head: read once per sequence.
  const double kv_read = decode.kv_tokens * g.latent_width() * g.kv_bytes;
  const double o_bytes = decode.query_tokens * g.heads * g.kv_lora_rank * g.act_bytes;
  const double kv_write = decode.query_tokens * g.latent_width() * g.kv_bytes;
  // QK over latent + rope (576) and PV over the latent (512), every (head, cached token) pair.
  w.flops = 2 * decode.pairs_causal * g.heads * (g.latent_width() + g.kv_lora_rank);
  w.decode_flops = w.flops;
  w.decode_bytes = set_attention_bytes(w, q_bytes, kv_read, o_bytes, kv_write);
  w.decode_seqs = decode.seqs;
  w.decode_kv_tokens = decode.kv_tokens;
  w.decode_kv_read_bytes = kv_read;
  w.kv_heads = 1;  // the latent is a single KV head shared by all query heads (MQA)
  w.q_heads = g.heads;
  w.max_query_tokens = 1;
  w.head_dim = g.latent_width();
  return w;
}

}  // namespace llmpo
