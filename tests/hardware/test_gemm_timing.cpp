// The GEMM kernel model's Hopper-era terms (hardware/kernel_timing.hpp) on cases computed by hand:
// the smallest M tile of the MMA instruction, split-K and the exposed epilogue. The GPU is a
// made-up Hopper-like card with round numbers; q = 1 charges a partial wave in full, so the
// compute time of a small grid is its CTAs' K loop at one SM's share of the peak.
#include <catch2/catch.hpp>

#include "hardware/kernel_timing.hpp"

using namespace llmpo;

namespace {

GpuSpec hopper_like() {
  GpuSpec g;
  g.memory_bandwidth_bytes_per_s = 4e12;
  g.sm_count = 132;
  GpuEfficiency& e = g.efficiency;
  e.hbm_bandwidth = 0.8;             // 3.2e12 B/s
  e.gemm_compute = 0.8;              // 8e14 FLOP/s at a 1e15 peak
  e.gemm_wave_quantization = 1.0;
  e.gemm_roofline_sharpness = 1000;  // max() for these ratios
  e.kernel_latency_s = 2e-6;
  e.gemm_tile_m = 64;
  e.gemm_tile_n = 128;
  e.gemm_min_tile_m = 64;            // wgmma
  e.gemm_epilogue_exposed = 0;
  e.gemm_split_k_chunk = 2048;
  e.gemm_split_k_max = 12;
  e.gemm_split_k_reduce_s = 1.5e-6;
  return g;
}

// A bf16 GEMM m x k -> n: 2 m n k FLOPs, weights k n, input m k, output m n (2 bytes each).
OperatorWork gemm(double m, double n, double k) {
  OperatorWork w;
  w.gemm_m = m;
  w.gemm_n = n;
  w.gemm_k = k;
  w.flops = 2 * m * n * k;
  w.weight_bytes = 2 * k * n;
  w.input_bytes = 2 * m * k;
  w.output_bytes = 2 * m * n;
  return w;
}

constexpr double kPeak = 1e15;

}  // namespace

TEST_CASE("GEMM timing: a one-token GEMM pays the MMA instruction's smallest M tile") {
  GpuSpec g = hopper_like();
  // M = 1, N = 128, K = 4096: one 64 x 128 tile; split-K: floor(4096 / 2048) = 2 parts (below
  // 12 and 132 / 1), so 2 CTAs, wave efficiency 2 / 132, loss 1 x (66 - 1) = 65.
  // t_c = 1,048,576 FLOPs x 64 (padding) x 66 / 8e14 = 5.536481 us; bytes 1,048,576 + 8,192 +
  // 256 = 1,057,024 take 0.330320 us; + reduce 1.5 + latency 2 = 9.036481 us.
  const OperatorWork w = gemm(1, 128, 4096);
  CHECK(split_k_parts(4096, 1, g.efficiency, 132) == 2);
  CHECK(time_gemm(w, g, kPeak).time_s == Approx(9.036481e-6));
  // The same GEMM with mma.sync's 16-row minimum (Ampere, Ada): padding 16 -> 1.384120 + 3.5 us.
  g.efficiency.gemm_min_tile_m = 16;
  CHECK(time_gemm(w, g, kPeak).time_s == Approx(4.884120e-6));
  // Beyond the minimum the tile still shrinks to the next power of two of M (M = 100 -> 128,
  // capped by the 64-row tile: two M tiles): padding 128 / 100, tiles 2, split 2 -> 4 CTAs,
  // loss 1 x (33 - 1) = 32: t_c = 2 x 100 x 128 x 4096 x 1.28 x 33 / 8e14 = 5.536481 us.
  g.efficiency.gemm_min_tile_m = 64;
  CHECK(time_gemm(gemm(100, 128, 4096), g, kPeak).compute_s == Approx(5.536481e-6));
}

TEST_CASE("GEMM timing: split-K parts follow K, the cap and the SMs left free") {
  const GpuEfficiency e = hopper_like().efficiency;
  CHECK(split_k_parts(2047, 1, e, 132) == 1);    // floor(2047 / 2048) = 0 -> never below 1
  CHECK(split_k_parts(4095, 1, e, 132) == 1);    // floor(1.9995) = 1: a short K loop is not split
  CHECK(split_k_parts(6144, 1, e, 132) == 3);
  CHECK(split_k_parts(65536, 1, e, 132) == 12);  // 32 by K, capped at 12
  CHECK(split_k_parts(65536, 20, e, 132) == 6);  // floor(132 / 20) = 6 CTAs per tile fit the SMs
  CHECK(split_k_parts(65536, 128, e, 132) == 1); // floor(132 / 128) = 1
  CHECK(split_k_parts(65536, 132, e, 132) == 1); // a grid that fills the SMs is never split
  GpuEfficiency off = e;
  off.gemm_split_k_chunk = 0;                    // the term switched off (A100 / A40 fits)
  CHECK(split_k_parts(65536, 1, off, 132) == 1);

  // M = 1, N = 128, K = 65536, 12 parts: 12 CTAs, loss 1 x (11 - 1) = 10:
  // t_c = 2 x 128 x 65536 x 64 x 11 / 8e14 = 14.763950 us (HBM 5.28392 us) + 1.5 + 2 = 18.263950 us.
  // Unsplit it would be one CTA walking all of K: 132x the per-SM time.
  const GpuSpec g = hopper_like();
  CHECK(time_gemm(gemm(1, 128, 65536), g, kPeak).time_s == Approx(18.263950e-6));
  GpuSpec unsplit = g;
  unsplit.efficiency.gemm_split_k_chunk = 0;
  CHECK(time_gemm(gemm(1, 128, 65536), unsplit, kPeak).time_s == Approx(2.0 * 128 * 65536 * 64 * 132 / 8e14 + 2e-6));
}

TEST_CASE("GEMM timing: the exposed share of the output store follows the main loop") {
  GpuSpec g = hopper_like();
  // M = N = 4096, K = 64: 64 x 32 = 2048 tiles (no split: the grid fills the SMs), 16 waves of
  // 132 at 0.969697, loss 0.03125: t_c = 2,147,483,648 x 1.03125 / 8e14 = 2.768241 us. Operands
  // 2 x 524,288 B stream in 0.32768 us; the 33,554,432-byte output takes 10.48576 us.
  const OperatorWork w = gemm(4096, 4096, 64);
  // Hidden (exposed 0): max(2.768241, 0.32768 + 10.48576) + 2 = 12.81344 us.
  CHECK(time_gemm(w, g, kPeak).time_s == Approx(12.81344e-6));
  // Exposed in full: max(2.768241, 0.32768) + 10.48576 + 2 = 15.254001 us.
  g.efficiency.gemm_epilogue_exposed = 1.0;
  CHECK(time_gemm(w, g, kPeak).time_s == Approx(15.254001e-6));
  // The memory time reported is all the bytes either way.
  CHECK(time_gemm(w, g, kPeak).memory_s == Approx(10.81344e-6));
}
