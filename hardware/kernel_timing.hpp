#pragma once
// Turns an operator's work into time on one GPU. Not a bare roofline: each kernel reaches only
// a fraction of peak (GpuEfficiency), GEMMs lose more to partial tiles and partial waves of
// thread blocks, and every kernel pays a fixed latency.
//   time = max(compute_s, memory_s) + kernel_latency
//   GEMM compute_s = padded FLOPs / (peak x gemm_compute x wave_efficiency)
//   memory_s = bytes / (HBM bandwidth x hbm_bandwidth)
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

OpTime time_gemm(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);
OpTime time_attention(const OperatorWork& work, const GpuSpec& gpu, double peak_flops_per_s);
OpTime time_elementwise(const OperatorWork& work, const GpuSpec& gpu);
OpTime time_all_reduce(const OperatorWork& work, int64_t ranks, const CollectiveLink& link);
OpTime time_transfer(const OperatorWork& work, const CollectiveLink& link);

}  // namespace llmpo
