#pragma once
// Turns an operator's work into time on one GPU. Not a bare roofline: each kernel reaches only a
// fraction of peak (GpuEfficiency), GEMMs lose more to partial tiles and partial waves of thread
// blocks, compute and memory overlap imperfectly near the ridge, and every kernel pays a fixed
// latency. With e = gpu.efficiency, BW = datasheet bandwidth, peak = the math type's dense rate:
//
//   GEMM (m x k -> n):
//     padding   = (ceil(m / tm') tm' / m) (ceil(n / tn) tn / n), tm' = tile_m shrunk to the next
//                 power of two >= m, never below gemm_min_tile_m (the MMA instruction's M: 16 for
//                 mma.sync, 64 for Hopper wgmma), as cuBLAS picks narrower tiles for skinny M
//     splits    = split-K parts: 1, or when tiles < SMs and gemm_split_k_chunk > 0,
//                 max(1, min(floor(k / chunk), gemm_split_k_max, floor(SMs / tiles)))
//     waves     = wave_efficiency(tiles x splits, SMs);  loss = wave_quantization (1 / waves - 1)
//     t_c       = FLOPs x padding x (1 + loss) / (peak x gemm_compute)
//     t_m       = (bytes - x out_bytes) / (BW x hbm_bandwidth),  x = gemm_epilogue_exposed
//     t_epi     = x out_bytes / (BW x hbm_bandwidth)   (the store after the K loop)
//     time      = (t_c^p + t_m^p)^(1/p) + t_epi + [splits > 1] gemm_split_k_reduce + kernel_latency,
//                 p = gemm_roofline_sharpness
//   element-wise: max(FLOPs / fp32 peak, bytes / (BW x elementwise_bandwidth)) + elementwise_latency
//   attention:
//     prefill   = FLOPs_p / (peak x attention_prefill_compute) + bytes_p / (BW x attention_prefill_bandwidth)
//     decode    = max(FLOPs_d / (peak x attention_prefill_compute), bytes_d / (BW x attention_decode_bandwidth))
//                 + decoding sequences x attention_decode_per_seq
//     split-KV occupancy (when attention_decode_cta_bandwidth c > 0): with s decoding sequences,
//     h KV heads, mean context L = kv_tokens / s and B = ceil(L / attention_decode_block_tokens)
//     KV tiles per sequence, the stream runs on
//       CTAs = h x max(min(max_splits, B), s x min(ctas_per_seq, B))
//     CTAs, at most one per SM, each pulling at most c x BW / SMs and spending on each (KV token,
//     head) pair it scores attention_decode_token_cost plus the tensor-core time of the pair with
//     its query rows padded to attention_decode_tile_m: 4 x head_dim x tile_m FLOPs at
//     peak x attention_prefill_compute / SMs. The stream takes
//       max(bytes_d / (BW x attention_decode_bandwidth),
//           (bytes_d / (c x BW / SMs) + kv_tokens x h x (token_cost + pair math)) / min(CTAs, SMs))
//     and every (sequence, KV head) tile adds attention_decode_cta_overhead x s x h / SMs.
//     time      = prefill + decode + the larger fixed cost of the kinds present
//                 (attention_prefill_latency, attention_decode_latency)
//   collectives and transfers: the interconnect's protocol model (hardware/interconnect.hpp).
//
// hardware/calibration/ fits these parameters by calling these same functions, so a calibrated
// value means in simulation exactly what it meant in the fit.
#include "gpu_spec.hpp"
#include "interconnect.hpp"
#include "operators.hpp"

namespace llmpo {

enum class Bound { compute, memory, network };
const char* to_string(Bound bound);

struct OpTime {
  double time_s = 0;     // predicted kernel time, latency included
  double compute_s = 0;  // at achievable compute rate
  double memory_s = 0;   // at achievable bandwidth (or network time for collectives)
  Bound bound = Bound::memory;
};

// Fraction of the GPU's SMs doing useful work, averaged over waves: tiles / (waves x SMs).
double wave_efficiency(double tiles, double sm_count);

// (a^p + b^p)^(1/p), computed without overflow; max(a, b) when p is very large.
double smooth_max(double a, double b, double p);

// Split-KV decode: CTAs the decode stream runs on, its achievable rate (bytes/s) and the
// per-(sequence, KV head) fixed work (formulas above).
double decode_ctas(const OperatorWork& work, const GpuEfficiency& e);
double decode_stream_time_s(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);
double decode_tile_overhead_s(const OperatorWork& work, const GpuSpec& gpu);

// Split-K parts of a GEMM with `tiles` output tiles (formula above).
double split_k_parts(double k, double tiles, const GpuEfficiency& e, double sm_count);

OpTime time_gemm(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);
// Mixed calls (a prefill chunk and decodes in one varlen kernel) of a kernel that does not pack
// GQA groups (attention_mixed_gqa_packed < 1, FlashAttention-2): each decode runs one CTA per
// query head with attention_decode_tile_m query rows of tile math per KV token, and the group's
// other query heads re-read the KV head's cache from HBM unless they run while it is in L2:
//   reads per KV head = 1 + (1 - packed) (q_heads / kv_heads - 1) (1 - min(1, resident / distance))
//   distance = ceil(max_query / tile_m) x sequences (CTAs launched between two query heads of a
//   group), resident = SMs x attention_mixed_ctas_per_sm
//   decode = max(decode bytes + (reads - 1) x decode KV bytes) / (BW x attention_decode_bandwidth),
//                kv_tokens x q_heads x 4 head_dim tile_m / (SM rate x min(decodes x q_heads, SMs)))
bool unpacked_mixed_call(const OperatorWork& work, const GpuEfficiency& e);
double mixed_kv_reads_per_kv_head(const OperatorWork& work, const GpuSpec& gpu);
double mixed_decode_time_s(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);

OpTime time_attention(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);
OpTime time_elementwise(const OperatorWork& work, const GpuSpec& gpu);
OpTime time_all_reduce(const OperatorWork& work, int64_t ranks, const CollectiveLink& link);
OpTime time_transfer(const OperatorWork& work, const CollectiveLink& link);

}  // namespace llmpo
