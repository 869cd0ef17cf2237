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
// of M (at least 16) before padding is charged.
double effective_tile_m(double m, double tile_m) {
  double tile = 16;
  while (tile < m && tile < tile_m) tile *= 2;
  return std::min(tile, tile_m);
}

}  // namespace

double wave_efficiency(double tiles, double sm_count) {
  if (tiles <= 0 || sm_count <= 0) return 1.0;
  const double waves = std::ceil(tiles / sm_count);
  return tiles / (waves * sm_count);
}

OpTime time_gemm(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  double compute_s = 0;
  if (work.gemm_m > 0 && work.gemm_n > 0) {
    const double tile_m = effective_tile_m(work.gemm_m, e.gemm_tile_m);
    const double tiles_m = std::ceil(work.gemm_m / tile_m);
    const double tiles_n = std::ceil(work.gemm_n / e.gemm_tile_n);
    const double padding = (tiles_m * tile_m / work.gemm_m) * (tiles_n * e.gemm_tile_n / work.gemm_n);
    const double tiles = tiles_m * tiles_n * work.instances;
    const double rate = peak_flops_per_s * e.gemm_compute *
                        wave_efficiency(tiles, static_cast<double>(gpu.sm_count));
    compute_s = work.flops * padding / rate;
  }
  return finish(compute_s, memory_time(work.total_bytes(), gpu, e.hbm_bandwidth), e.kernel_latency_s);
}

OpTime time_attention(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s) {
  const GpuEfficiency& e = gpu.efficiency;
  const double rate = peak_flops_per_s * e.attention_prefill_compute;
  // Prefill chunks: FlashAttention forward, usually compute-bound.
  const double prefill_compute = work.prefill_flops / rate;
  const double prefill_memory = memory_time(work.prefill_bytes, gpu, e.hbm_bandwidth);
  // Decodes: paged attention streaming each sequence's KV cache, memory-bound.
  const double decode_compute = work.decode_flops / rate;
  const double decode_memory = memory_time(work.decode_bytes, gpu, e.attention_decode_bandwidth);
  OpTime t;
  t.compute_s = prefill_compute + decode_compute;
  t.memory_s = prefill_memory + decode_memory;
  const double prefill = std::max(prefill_compute, prefill_memory);
  const double decode = std::max(decode_compute, decode_memory);
  t.bound = (prefill_compute >= prefill_memory ? prefill_compute : 0) +
                        (decode_compute >= decode_memory ? decode_compute : 0) >
                    (prefill + decode) / 2
                ? Bound::compute
                : Bound::memory;
  t.time_s = prefill + decode + e.kernel_latency_s;
  return t;
}

OpTime time_elementwise(const OperatorWork& work, const GpuSpec& gpu) {
  const GpuEfficiency& e = gpu.efficiency;
  // Element-wise math runs on CUDA cores at the fp32 rate, far from any limit.
  const double fp32 = gpu.supports(ComputeType::fp32) ? gpu.peak(ComputeType::fp32) : gpu.peak(ComputeType::bf16);
  return finish(work.flops / fp32, memory_time(work.total_bytes(), gpu, e.hbm_bandwidth), e.kernel_latency_s);
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
