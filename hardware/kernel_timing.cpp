#include "kernel_timing.hpp"

#include <algorithm>
#include <cmath>

namespace llmpo {

const char* to_string(Bound bound) {
  switch (bound) {
    case Bound::compute: return "compute";
    case Bound::memory: return "memory";
    case Bound::network: return "network";
  }
  return "?";
}

namespace {

OpTime finish(double compute_s, double memory_s, double latency_s) {
  OpTime t;
  t.compute_s = compute_s;
  t.memory_s = memory_s;
  t.bound = compute_s > memory_s ? Bound::compute : Bound::memory;
  t.time_s = std::max(compute_s, memory_s) + latency_s;
  return t;
}

double memory_time(double bytes, const GpuSpec& gpu, double efficiency) {
  return bytes / (gpu.memory_bandwidth_bytes_per_s * efficiency);
}

// cuBLAS picks narrower tiles for skinny problems: the M tile shrinks to the next power of two
// of M, but never below the tensor-core instruction's M (16 for mma.sync, 64 for wgmma).
double effective_tile_m(double m, double tile_m, double min_tile_m) {
  double tile = std::min(min_tile_m, tile_m);
  while (tile < m && tile < tile_m) tile *= 2;
  return std::min(tile, tile_m);
}

}  // namespace

double wave_efficiency(double tiles, double sm_count) {
  if (tiles <= 0 || sm_count <= 0) return 1.0;
  const double waves = std::ceil(tiles / sm_count);
  return tiles / (waves * sm_count);
}

double smooth_max(double a, double b, double p) {
  const double hi = std::max(a, b);
  if (hi <= 0) return 0.0;
  const double lo = std::min(a, b);
  // hi (1 + (lo/hi)^p)^(1/p): the ratio is <= 1, so nothing overflows for any p.
  return hi * std::pow(1.0 + std::pow(lo / hi, p), 1.0 / p);
}

double split_k_parts(double k, double tiles, const GpuEfficiency& e, double sm_count) {
  if (e.gemm_split_k_chunk <= 0 || k <= 0 || tiles <= 0 || tiles >= sm_count) return 1.0;
  const double by_k = std::floor(k / e.gemm_split_k_chunk);
  const double by_sms = std::floor(sm_count / tiles);
  return std::max(1.0, std::min({by_k, e.gemm_split_k_max, by_sms}));
}

OpTime time_gemm(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  const double sms = static_cast<double>(gpu.sm_count);
  double compute_s = 0;
  double splits = 1;
  if (work.gemm_m > 0 && work.gemm_n > 0) {
    const double tile_m = effective_tile_m(work.gemm_m, e.gemm_tile_m, e.gemm_min_tile_m);
    const double tiles_m = std::ceil(work.gemm_m / tile_m);
    const double tiles_n = std::ceil(work.gemm_n / e.gemm_tile_n);
    const double padding = (tiles_m * tile_m / work.gemm_m) * (tiles_n * e.gemm_tile_n / work.gemm_n);
    const double tiles = tiles_m * tiles_n * work.instances;
    // Split-K multiplies the CTAs of a grid too small to fill the SMs.
    splits = split_k_parts(work.gemm_k, tiles, e, sms);
    // A partial last wave leaves SMs idle; stream-K kernels win most of that back, so only the
    // wave_quantization share of the idle time is charged.
    const double waves = wave_efficiency(tiles * splits, sms);
    const double loss = e.gemm_wave_quantization * (1.0 / waves - 1.0);
    compute_s = work.flops * padding * (1.0 + loss) / (peak_flops_per_s * e.gemm_compute);
  }
  // Operands stream during the main loop; the exposed share of the output store follows it.
  const double epilogue_bytes = e.gemm_epilogue_exposed * work.output_bytes;
  const double streamed_s = memory_time(work.total_bytes() - epilogue_bytes, gpu, e.hbm_bandwidth);
  const double epilogue_s = memory_time(epilogue_bytes, gpu, e.hbm_bandwidth);
  const double reduce_s = splits > 1 ? e.gemm_split_k_reduce_s : 0.0;
  OpTime t;
  t.compute_s = compute_s;
  t.memory_s = streamed_s + epilogue_s;
  t.bound = compute_s > t.memory_s ? Bound::compute : Bound::memory;
  t.time_s = smooth_max(compute_s, streamed_s, e.gemm_roofline_sharpness) + epilogue_s + reduce_s + e.kernel_latency_s;
  return t;
}

double decode_ctas(const OperatorWork& work, const GpuEfficiency& e) {
  if (work.decode_seqs <= 0 || work.kv_heads <= 0) return 0;
  const double mean_context = work.decode_kv_tokens / work.decode_seqs;
  const double tiles = std::max(1.0, std::ceil(mean_context / std::max(1.0, e.attention_decode_block_tokens)));
  // Small batches: the kernel splits each KV head's context over up to max_splits CTAs (never
  // more parts than KV tiles); large batches: ctas_per_seq CTAs per (sequence, KV head).
  const double per_head = std::max(std::min(e.attention_decode_max_splits, tiles),
                                   work.decode_seqs * std::min(e.attention_decode_ctas_per_seq, tiles));
  return work.kv_heads * per_head;
}

double decode_stream_time_s(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  const double hbm_s = work.decode_bytes / (gpu.memory_bandwidth_bytes_per_s * e.attention_decode_bandwidth);
  if (e.attention_decode_cta_bandwidth <= 0 || gpu.sm_count <= 0) return hbm_s;
  const double ctas = decode_ctas(work, e);
  if (ctas <= 0) return hbm_s;
  // One CTA lives on one SM (FlashAttention-3 decode CTAs fill an SM's shared memory), streams
  // at most c x its SM's share of HBM and spends a fixed time on each (KV token, head) it scores.
  const double sms = static_cast<double>(gpu.sm_count);
  const double per_cta = e.attention_decode_cta_bandwidth * gpu.memory_bandwidth_bytes_per_s / sms;
  const double pairs = work.decode_kv_tokens * work.kv_heads;
  // QK^T and PV of one key for a KV head's query rows, padded to the tile: 2 x 2 x head_dim x tile_m
  // FLOPs at one SM's share of the attention math rate.
  const double cta_flops_per_s = peak_flops_per_s * e.attention_prefill_compute / sms;
  const double pair_math_s = cta_flops_per_s > 0 ? 4.0 * work.head_dim * e.attention_decode_tile_m / cta_flops_per_s : 0.0;
  const double cta_s =
      (work.decode_bytes / per_cta + pairs * (e.attention_decode_token_cost_s + pair_math_s)) / std::min(ctas, sms);
  return std::max(hbm_s, cta_s);
}

double decode_tile_overhead_s(const OperatorWork& work, const GpuSpec& gpu) {
  const GpuEfficiency& e = gpu.efficiency;
  if (e.attention_decode_cta_overhead_s <= 0 || gpu.sm_count <= 0) return 0;
  // Each (sequence, KV head) tile's fixed work, spread over all SMs running concurrently.
  return e.attention_decode_cta_overhead_s * work.decode_seqs * work.kv_heads / static_cast<double>(gpu.sm_count);
}

bool unpacked_mixed_call(const OperatorWork& work, const GpuEfficiency& e) {
  return work.prefill_seqs > 0 && work.decode_seqs > 0 && e.attention_mixed_gqa_packed < 1 && work.kv_heads > 0 &&
         work.q_heads > work.kv_heads;
}

double mixed_kv_reads_per_kv_head(const OperatorWork& work, const GpuSpec& gpu) {
  const GpuEfficiency& e = gpu.efficiency;
  if (!unpacked_mixed_call(work, e)) return 1.0;
  const double group = work.q_heads / work.kv_heads;
  const double m_blocks = std::ceil(std::max(1.0, work.max_query_tokens) / std::max(1.0, e.attention_decode_tile_m));
  const double ctas_per_head = m_blocks * (work.prefill_seqs + work.decode_seqs);
  const double resident = static_cast<double>(gpu.sm_count) * e.attention_mixed_ctas_per_sm;
  const double l2_hits = std::min(1.0, resident / ctas_per_head);
  return 1.0 + (1.0 - e.attention_mixed_gqa_packed) * (group - 1.0) * (1.0 - l2_hits);
}

double mixed_decode_time_s(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  const double streamed_bytes =
      work.decode_bytes + (mixed_kv_reads_per_kv_head(work, gpu) - 1.0) * work.decode_kv_read_bytes;
  const double stream_s = memory_time(streamed_bytes, gpu, e.attention_decode_bandwidth);
  // One CTA per (decode, query head) walks its KV with the tile's query rows of math per token.
  const double sms = static_cast<double>(gpu.sm_count);
  const double cta_flops_per_s = peak_flops_per_s * e.attention_prefill_compute / sms;
  const double ctas = work.decode_seqs * work.q_heads;
  const double pair_flops = 4.0 * work.head_dim * e.attention_decode_tile_m;
  const double math_s = cta_flops_per_s > 0 && ctas > 0
                            ? work.decode_kv_tokens * work.q_heads * pair_flops / cta_flops_per_s / std::min(ctas, sms)
                            : 0.0;
  return std::max(stream_s, math_s);
}

// DecodeAttentionTimer (decode_attention.hpp) repeats the pure-decode case of this function and
// of decode_stream_time_s, decode_ctas and decode_tile_overhead_s term for term: change both
// (tests/hardware/test_decode_attention.cpp checks they agree to the last bit).
OpTime time_attention(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  const double rate = peak_flops_per_s * e.attention_prefill_compute;
  // Prefill chunks: FlashAttention forward. Its tensor-core math and the per-tile loads of Q, K,
  // V and stores of O do not fully overlap (each query tile reloads its keys, short chunks have
  // few tiles to pipeline), so the two add; the traffic's rate is a fitted fraction of HBM.
  const double prefill_compute = work.prefill_flops / rate;
  const double prefill_memory = memory_time(work.prefill_bytes, gpu, e.attention_prefill_bandwidth);
  // Decodes: paged attention streaming each sequence's KV cache, memory-bound; in a mixed call of
  // a kernel that does not pack GQA groups, the decode rows run as prefill tiles instead.
  const double decode_compute = work.decode_flops / rate;
  const double decode_memory = unpacked_mixed_call(work, e) ? mixed_decode_time_s(work, gpu, peak_flops_per_s)
                                                            : decode_stream_time_s(work, gpu, peak_flops_per_s);
  // Each decoding sequence also costs a little on its own (block-table walk, its share of the
  // split-KV reduction): negligible at serving batches, visible at thousands of sequences.
  const double decode = std::max(decode_compute, decode_memory) + work.decode_seqs * e.attention_decode_per_seq_s +
                        decode_tile_overhead_s(work, gpu);
  OpTime t;
  t.compute_s = prefill_compute + decode_compute;
  t.memory_s = prefill_memory + decode_memory;
  const double compute_share = prefill_compute + (decode_compute >= decode_memory ? decode_compute : 0);
  const double total = prefill_compute + prefill_memory + decode;
  t.bound = compute_share > total / 2 ? Bound::compute : Bound::memory;
  // One call per step: a mixed batch pays the larger of the two fixed costs.
  const double latency = std::max(work.prefill_flops > 0 ? e.attention_prefill_latency_s : 0.0,
                                  work.decode_flops > 0 ? e.attention_decode_latency_s : 0.0);
  t.time_s = total > 0 ? total + latency : 0.0;
  return t;
}

OpTime time_elementwise(const OperatorWork& work, const GpuSpec& gpu) {
  const GpuEfficiency& e = gpu.efficiency;
  // Element-wise math runs on CUDA cores at the fp32 rate, far from any limit.
  const double fp32 = gpu.supports(ComputeType::fp32) ? gpu.peak(ComputeType::fp32) : gpu.peak(ComputeType::bf16);
  return finish(work.flops / fp32, memory_time(work.total_bytes(), gpu, e.elementwise_bandwidth), e.elementwise_latency_s);
}

OpTime time_all_reduce(const OperatorWork& work, int64_t ranks, const CollectiveLink& link) {
  OpTime t;
  t.memory_s = all_reduce_time_s(work.message_bytes, ranks, link);
  t.time_s = t.memory_s;
  t.bound = Bound::network;
  return t;
}

OpTime time_transfer(const OperatorWork& work, const CollectiveLink& link) {
  OpTime t;
  t.memory_s = send_recv_time_s(work.message_bytes, link);
  t.time_s = t.memory_s;
  t.bound = Bound::network;
  return t;
}

}  // namespace llmpo
