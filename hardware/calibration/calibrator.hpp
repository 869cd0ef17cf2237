#pragma once
// Fits a GPU's efficiency parameters (and the interconnect presets its collectives ran on) to
// measured rows, minimising the squared log error (every row counts by its relative error,
// whether it takes 2 us or 20 ms) with bounded Levenberg-Marquardt (least_squares.hpp).
// Stages, each on the rows that exercise its parameters, in this order:
//   GEMM          hbm_bandwidth, gemm_compute, kernel_latency, gemm_wave_quantization,
//                 gemm_roofline_sharpness, gemm_epilogue_exposed, gemm_split_k_max,
//                 gemm_split_k_reduce; gemm_tile_m x gemm_tile_n chosen from {64,128,256}^2 and
//                 gemm_split_k_chunk from {1024, 2048, 4096} (gemm_min_tile_m is the GPU file's)
//   element-wise  elementwise_bandwidth (kernel_latency from the GEMM stage when it ran)
//   attention     attention_prefill_compute, attention_prefill_bandwidth,
//                 attention_decode_bandwidth, attention_latency (the kinds present)
//   collectives   per preset: latency, latency_per_rank, bus (or PCIe) efficiency and the
//                 small-message protocol's three (vLLM custom all-reduce rows are scored, not fitted)
//   CPU overhead  cpu_overhead_per_step, cpu_overhead_per_seq
// A stage without rows leaves its parameters as they were in the starting GPU / preset.
#include <map>
#include <string>
#include <vector>

#include "predictor.hpp"

namespace llmpo::calibration {

struct StageReport {
  std::string stage;              // "GEMM", "element-wise", "attention", "all_reduce nvswitch", ...
  std::size_t rows = 0;           // rows fitted
  double mape = 0;                // mean |predicted / measured - 1| on those rows, after the fit
  std::vector<std::string> keys;  // the file keys it set
  std::string detail;             // e.g. the tile chosen
};

struct CalibrationResult {
  GpuSpec gpu;                            // the starting GPU with fitted efficiency values
  PresetMap presets;                      // all presets, fitted ones replaced
  std::vector<std::string> fitted_presets;
  std::vector<StageReport> stages;
  const StageReport* stage_of(const std::string& key) const;  // which stage set a file key
};

CalibrationResult calibrate(const std::vector<Measurement>& rows, const GpuSpec& start, const PresetMap& presets);

// Mean absolute relative error of `rows` under (gpu, presets).
double mape(const std::vector<const Measurement*>& rows, const GpuSpec& gpu, const PresetMap& presets);

}  // namespace llmpo::calibration
