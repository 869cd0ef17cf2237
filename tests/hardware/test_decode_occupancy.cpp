// The split-KV decode occupancy term (hardware/kernel_timing.hpp) on cases computed by hand:
//   CTAs = h x max(min(max_splits, B), s x min(ctas_per_seq, B)),  B = ceil(L / block_tokens)
//   stream = max(bytes / (BW x decode_bandwidth),
//                (bytes / (cta_bandwidth x BW / SMs) + kv_tokens x h x token_cost) / min(CTAs, SMs))
//   overhead = cta_overhead x s x h / SMs
#include <catch2/catch.hpp>

#include "hardware/kernel_timing.hpp"

using namespace llmpo;

namespace {

GpuSpec hopper_like() {
  GpuSpec g;
  g.memory_bandwidth_bytes_per_s = 4.8e12;
  g.sm_count = 120;
  g.peak_flops[static_cast<int>(ComputeType::bf16)] = 1e15;
  GpuEfficiency& e = g.efficiency;
  e.attention_decode_bandwidth = 0.75;       // HBM-bound rate 3.6e12 B/s
  e.attention_decode_cta_bandwidth = 0.5;    // one CTA: 0.5 x 4.8e12 / 120 = 2e10 B/s
  e.attention_decode_max_splits = 32;
  e.attention_decode_ctas_per_seq = 1;
  e.attention_decode_block_tokens = 128;
  e.attention_decode_cta_overhead_s = 0;
  e.attention_decode_token_cost_s = 0;
  e.attention_decode_tile_m = 0;             // no per-pair math unless a case sets it
  e.attention_decode_latency_s = 0;
  e.attention_decode_per_seq_s = 0;
  return g;
}

OperatorWork decode(double seqs, double kv_heads, double kv_tokens, double bytes) {
  OperatorWork w;
  w.decode_seqs = seqs;
  w.kv_heads = kv_heads;
  w.decode_kv_tokens = kv_tokens;
  w.decode_bytes = bytes;
  w.decode_flops = 1;  // negligible math: the stream decides
  return w;
}

}  // namespace

TEST_CASE("decode occupancy: few CTAs limit the KV stream") {
  GpuSpec g = hopper_like();
  // One sequence, one KV head, 32768 cached tokens: B = 256 tiles, split budget 32 -> 32 CTAs,
  // each 2e10 B/s: 64 MiB (67108864 B) take 67108864 / 2e10 / 32 = 104.8576 us (HBM: 18.64 us).
  const OperatorWork one = decode(1, 1, 32768, 67108864);
  CHECK(decode_ctas(one, g.efficiency) == Approx(32));
  CHECK(decode_stream_time_s(one, g, 1e15) == Approx(104.8576e-6));
  CHECK(time_attention(one, g, 1e15).time_s == Approx(104.8576e-6));
  // With 5 ns per (token, head): + 32768 x 1 x 5 ns / 32 = 5.12 us -> 109.9776 us.
  g.efficiency.attention_decode_token_cost_s = 5e-9;
  CHECK(decode_stream_time_s(one, g, 1e15) == Approx(109.9776e-6));
  g.efficiency.attention_decode_token_cost_s = 0;
  // Tensor-core time per pair: head_dim 128, query rows padded to 64: 4 x 128 x 64 = 32,768 FLOPs
  // at 1e15 x 0.5 (attention_prefill_compute) / 120 SMs = 4.1667e12 FLOP/s = 7.86432 ns per pair;
  // 32768 pairs over 32 CTAs add 8.05306 us -> 112.91066 us.
  OperatorWork with_dim = one;
  with_dim.head_dim = 128;
  g.efficiency.attention_decode_tile_m = 64;
  g.efficiency.attention_prefill_compute = 0.5;
  CHECK(decode_stream_time_s(with_dim, g, 1e15) == Approx(112.91066e-6));
  g.efficiency.attention_decode_tile_m = 0;
  // Short context: 200 tokens -> B = 2 tiles -> 2 CTAs per head; 8 heads -> 16 CTAs.
  CHECK(decode_ctas(decode(1, 8, 200, 1), g.efficiency) == Approx(16));
  // 1.6e6 B over 16 CTAs of 2e10 B/s: 5 us.
  CHECK(decode_stream_time_s(decode(1, 8, 200, 1.6e6), g, 1e15) == Approx(5e-6));
  // 64 sequences of 1024 tokens, 8 KV heads: max(min(32, 8), 64 x min(1, 8)) = 64 per head,
  // 512 CTAs, of which 120 run at once: 120 x 2e10 = 2.4e12 < 3.6e12, so still CTA-bound:
  // 3.6e8 B -> 3.6e8 / 2e10 / 120 = 150 us (HBM alone: 100 us).
  CHECK(decode_ctas(decode(64, 8, 64 * 1024, 1), g.efficiency) == Approx(512));
  CHECK(decode_stream_time_s(decode(64, 8, 64 * 1024, 3.6e8), g, 1e15) == Approx(150e-6));
  // Twice the per-CTA rate: 3.6e8 / 4e10 / 120 = 75 us < 100 us: HBM-bound.
  g.efficiency.attention_decode_cta_bandwidth = 1.0;
  CHECK(decode_stream_time_s(decode(64, 8, 64 * 1024, 3.6e8), g, 1e15) == Approx(100e-6));
}

TEST_CASE("decode occupancy: per-tile overhead spread over the SMs, and off by default") {
  GpuSpec g = hopper_like();
  g.efficiency.attention_decode_cta_overhead_s = 3e-6;
  // 240 sequences x 4 KV heads = 960 tiles x 3 us / 120 SMs = 24 us.
  CHECK(decode_tile_overhead_s(decode(240, 4, 240 * 10, 1), g) == Approx(24e-6));
  // The defaults (the A100 / A40 fits) leave the decode at bytes / (BW x decode_bandwidth).
  GpuSpec plain = g;
  plain.efficiency = GpuEfficiency{};
  const OperatorWork w = decode(1, 1, 32768, 67108864);
  CHECK(decode_stream_time_s(w, plain, 1e15) == Approx(67108864 / (4.8e12 * GpuEfficiency{}.attention_decode_bandwidth)));
  CHECK(decode_tile_overhead_s(w, plain) == 0.0);
}
