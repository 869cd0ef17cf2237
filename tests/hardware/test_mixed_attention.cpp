// Mixed attention calls (a prefill chunk and decodes in one varlen kernel) on a kernel that does
// not pack GQA groups (FlashAttention-2, vLLM's backend on Ampere and Ada): formulas in
// hardware/kernel_timing.hpp, cases computed by hand on a made-up GPU with round numbers.
#include <catch2/catch.hpp>

#include "hardware/kernel_timing.hpp"

using namespace llmpo;

namespace {

GpuSpec ada_like() {
  GpuSpec g;
  g.memory_bandwidth_bytes_per_s = 1e12;
  g.sm_count = 128;
  GpuEfficiency& e = g.efficiency;
  e.attention_prefill_compute = 1.0;   // 128e12 FLOP/s peak: 1e12 per SM
  e.attention_prefill_bandwidth = 1.0;
  e.attention_decode_bandwidth = 1.0;  // 1e12 B/s
  e.attention_decode_cta_bandwidth = 0;
  e.attention_decode_tile_m = 64;
  e.attention_decode_per_seq_s = 0;
  e.attention_prefill_latency_s = 0;
  e.attention_decode_latency_s = 0;
  e.attention_mixed_gqa_packed = 0;
  e.attention_mixed_ctas_per_sm = 1;
  return g;
}

// One prefill chunk of `chunk` tokens (its own work left out) and `decodes` decodes of 1024
// cached tokens each, Llama-3-8B heads: 32 query heads, 8 KV heads of 128.
OperatorWork mixed(double decodes, double chunk) {
  OperatorWork w;
  w.prefill_seqs = 1;
  w.max_query_tokens = chunk;
  w.decode_seqs = decodes;
  w.q_heads = 32;
  w.kv_heads = 8;
  w.head_dim = 128;
  w.decode_kv_tokens = decodes * 1024;
  w.decode_kv_read_bytes = 2 * w.decode_kv_tokens * 8 * 128 * 2;  // K and V, bf16
  w.decode_bytes = w.decode_kv_read_bytes;
  w.decode_flops = 1;
  return w;
}

constexpr double kPeak = 128e12;

}  // namespace

TEST_CASE("mixed attention: few decodes run as padded tiles, their re-reads caught by L2") {
  const GpuSpec g = ada_like();
  // 4 decodes behind a 512-token chunk: 512 / 64 = 8 m-blocks x 5 sequences = 40 CTAs between two
  // query heads of a group, within the 128 resident: every re-read hits L2, the KV (16,777,216 B)
  // streams once, 16.777 us. The math: 4096 KV tokens x 32 query heads x 4 x 128 x 64 FLOPs =
  // 4.294967e9 on min(4 x 32, 128) = 128 CTAs at 1e12 each: 33.554432 us, which sets the time.
  const OperatorWork w = mixed(4, 512);
  CHECK(unpacked_mixed_call(w, g.efficiency));
  CHECK(mixed_kv_reads_per_kv_head(w, g) == 1.0);
  CHECK(mixed_decode_time_s(w, g, kPeak) == Approx(33.554432e-6));
  CHECK(time_attention(w, g, kPeak).time_s == Approx(33.554432e-6));
}

TEST_CASE("mixed attention: many decodes re-read each KV head from HBM once per query head") {
  GpuSpec g = ada_like();
  // 30 decodes: 8 x 31 = 248 CTAs apart, 128 resident: L2 catches 128 / 248 of the re-reads, so a
  // KV head is read 1 + (4 - 1)(1 - 0.516129) = 2.451613 times: 125,829,120 B x 2.451613 at
  // 1e12 B/s = 308.48 us; the math (983,040 pairs x 32,768 FLOPs / 128 / 1e12 = 251.66 us) hides.
  const OperatorWork w = mixed(30, 512);
  CHECK(mixed_kv_reads_per_kv_head(w, g) == Approx(1 + 3 * (1 - 128.0 / 248)));
  CHECK(mixed_decode_time_s(w, g, kPeak) == Approx(125829120 * (1 + 3 * (1 - 128.0 / 248)) / 1e12));
  // Two resident CTAs per SM (A100's shared memory): 256 >= 248, every re-read hits, and the math
  // is what is left: 251.658240 us.
  g.efficiency.attention_mixed_ctas_per_sm = 2;
  CHECK(mixed_kv_reads_per_kv_head(w, g) == 1.0);
  CHECK(mixed_decode_time_s(w, g, kPeak) == Approx(251.65824e-6));
  // A kernel that packs GQA groups (FlashAttention-3) streams the KV once, memory-bound: 125.83 us.
  g.efficiency.attention_mixed_gqa_packed = 1;
  CHECK_FALSE(unpacked_mixed_call(w, g.efficiency));
  CHECK(time_attention(w, g, kPeak).time_s == Approx(125.82912e-6));
}

TEST_CASE("mixed attention: pure decode calls and MHA models keep the decode model") {
  const GpuSpec g = ada_like();
  OperatorWork decode_only = mixed(30, 512);
  decode_only.prefill_seqs = 0;  // every query of length 1: FlashAttention-2 folds the group
  CHECK_FALSE(unpacked_mixed_call(decode_only, g.efficiency));
  CHECK(time_attention(decode_only, g, kPeak).time_s == Approx(125.82912e-6));
  OperatorWork mha = mixed(30, 512);
  mha.kv_heads = 32;  // no group to re-read
  CHECK_FALSE(unpacked_mixed_call(mha, g.efficiency));
}
