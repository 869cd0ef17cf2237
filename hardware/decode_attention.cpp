#include "decode_attention.hpp"

#include <algorithm>
#include <cmath>

namespace llmpo {

DecodeAttentionTimer::DecodeAttentionTimer(const LayerGeometry& g, const GpuSpec& gpu, double peak_flops_per_s,
                                           Accounting accounting) {
  const GpuEfficiency& e = gpu.efficiency;
  seed_accounting_ = accounting == Accounting::seed;
  q_dim_ = g.q_dim;
  kv_dim_ = g.kv_dim;
  act_bytes_ = g.act_bytes;
  kv_bytes_ = g.kv_bytes;
  seed_q_factor_ = 2 * g.q_dim - 1;
  kv_heads_ = g.head_dim > 0 ? g.kv_dim / g.head_dim : 0;

  rate_ = peak_flops_per_s * e.attention_prefill_compute;
  empty_prefill_s_ = 0.0 / rate_ + 0.0 / (gpu.memory_bandwidth_bytes_per_s * e.attention_prefill_bandwidth);
  per_seq_s_ = e.attention_decode_per_seq_s;
  decode_latency_s_ = e.attention_decode_latency_s;
  sms_ = static_cast<double>(gpu.sm_count);
  tile_overhead_ = e.attention_decode_cta_overhead_s > 0 && gpu.sm_count > 0;
  tile_overhead_s_ = e.attention_decode_cta_overhead_s;

  hbm_bytes_per_s_ = gpu.memory_bandwidth_bytes_per_s * e.attention_decode_bandwidth;
  // decode_ctas is 0 without KV heads, and the stream then takes its HBM time alone.
  cta_model_ = e.attention_decode_cta_bandwidth > 0 && gpu.sm_count > 0 && kv_heads_ > 0;
  block_tokens_ = std::max(1.0, e.attention_decode_block_tokens);
  max_splits_ = e.attention_decode_max_splits;
  ctas_per_seq_ = e.attention_decode_ctas_per_seq;
  per_cta_bytes_per_s_ = e.attention_decode_cta_bandwidth * gpu.memory_bandwidth_bytes_per_s / sms_;
  const double cta_flops_per_s = peak_flops_per_s * e.attention_prefill_compute / sms_;
  const double pair_math_s = cta_flops_per_s > 0 ? 4.0 * g.head_dim * e.attention_decode_tile_m / cta_flops_per_s : 0.0;
  pair_cost_s_ = e.attention_decode_token_cost_s + pair_math_s;
}

double DecodeAttentionTimer::time_s(const AttentionLoad& decode) const {
  // attention_work (attention_part of the decode load).
  const double flops = seed_accounting_
                           ? decode.pairs_full * seed_q_factor_ + kv_dim_ * (2 * decode.pairs_full - decode.query_tokens)
                           : 4 * decode.pairs_causal * q_dim_;
  const double q_bytes = decode.query_tokens * q_dim_ * act_bytes_;
  const double kv_read = 2 * decode.kv_tokens * kv_dim_ * kv_bytes_;
  const double o_bytes = decode.query_tokens * q_dim_ * act_bytes_;
  const double kv_write = seed_accounting_ ? 0 : 2 * decode.query_tokens * kv_dim_ * kv_bytes_;
  const double bytes = q_bytes + kv_read + o_bytes + kv_write;

  // decode_stream_time_s, with decode_ctas.
  const double hbm_s = bytes / hbm_bytes_per_s_;
  double stream_s = hbm_s;
  if (cta_model_) {
    const double mean_context = decode.kv_tokens / decode.seqs;
    const double tiles = std::max(1.0, std::ceil(mean_context / block_tokens_));
    const double per_head = std::max(std::min(max_splits_, tiles), decode.seqs * std::min(ctas_per_seq_, tiles));
    const double ctas = kv_heads_ * per_head;
    if (ctas > 0) {
      const double pairs = decode.kv_tokens * kv_heads_;
      const double cta_s = (bytes / per_cta_bytes_per_s_ + pairs * pair_cost_s_) / std::min(ctas, sms_);
      stream_s = std::max(hbm_s, cta_s);
    }
  }

  // time_attention without a prefill (and so never the unpacked mixed call).
  const double decode_compute = flops / rate_;
  const double tile_overhead_s = tile_overhead_ ? tile_overhead_s_ * decode.seqs * kv_heads_ / sms_ : 0;
  const double decode_s = std::max(decode_compute, stream_s) + decode.seqs * per_seq_s_ + tile_overhead_s;
  const double total = empty_prefill_s_ + decode_s;
  const double latency = std::max(0.0, flops > 0 ? decode_latency_s_ : 0.0);
  return total > 0 ? total + latency : 0.0;
}

}  // namespace llmpo
