#include "gpu_spec.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

const std::vector<std::string>& compute_type_names() {
  static const std::vector<std::string> names = {"fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"};
  return names;
}

std::string to_string(ComputeType type) { return compute_type_names()[static_cast<std::size_t>(type)]; }

std::string to_string(LinkType type) {
  switch (type) {
    case LinkType::nvlink: return "nvlink";
    case LinkType::pcie: return "pcie";
    case LinkType::infinity_fabric: return "infinity_fabric";
  }
  return "?";
}

double IntraNodeLink::pcie_bandwidth_bytes_per_s() const {
  // Per lane, per direction, after line encoding: gen3 ~0.985 GB/s, doubling each generation.
  const double per_lane = 0.985e9 * static_cast<double>(1 << (pcie_generation > 3 ? pcie_generation - 3 : 0));
  return per_lane * static_cast<double>(pcie_lanes);
}

void GpuSpec::validate() const {
  const SourcePos pos{source_file, 0, 0};
  auto require = [&](bool ok, const char* field, const std::string& message) {
    if (!ok) throw InputError(pos, field, message);
  };
  require(memory_bytes > 0, "memory_gib", "must be positive");
  require(memory_bandwidth_bytes_per_s > 0, "memory_bandwidth_tb_per_s", "must be positive");
  require(supports(ComputeType::bf16) || supports(ComputeType::fp16), "peak_dense_tflops",
          "needs a bf16 or fp16 rate: the cost model's default math");
  require(sm_count > 0, "sm_count", "must be positive");
  const auto& e = efficiency;
  auto require_fraction = [&](double value, const char* field) {
    require(value > 0 && value <= 1, field, fmt::format("must be in (0, 1], got {}", value));
  };
  require_fraction(e.hbm_bandwidth, "efficiency.hbm_bandwidth");
  require_fraction(e.gemm_compute, "efficiency.gemm_compute");
  require_fraction(e.elementwise_bandwidth, "efficiency.elementwise_bandwidth");
  require_fraction(e.attention_prefill_compute, "efficiency.attention_prefill_compute");
  require_fraction(e.attention_prefill_bandwidth, "efficiency.attention_prefill_bandwidth");
  require_fraction(e.attention_decode_bandwidth, "efficiency.attention_decode_bandwidth");
  require(e.gemm_wave_quantization >= 0 && e.gemm_wave_quantization <= 1, "efficiency.gemm_wave_quantization",
          fmt::format("must be in [0, 1], got {}", e.gemm_wave_quantization));
  require(e.gemm_roofline_sharpness >= 1, "efficiency.gemm_roofline_sharpness",
          fmt::format("must be >= 1 (1 adds the two times, large values approach max()), got {}",
                      e.gemm_roofline_sharpness));
  require(e.kernel_latency_s >= 0, "efficiency.kernel_latency_us", "must be >= 0");
  require(e.elementwise_latency_s >= 0, "efficiency.elementwise_latency_us", "must be >= 0");
  require(e.attention_prefill_latency_s >= 0, "efficiency.attention_prefill_latency_us", "must be >= 0");
  require(e.attention_decode_latency_s >= 0, "efficiency.attention_decode_latency_us", "must be >= 0");
  require(e.attention_decode_per_seq_s >= 0, "efficiency.attention_decode_per_seq_us", "must be >= 0");
  require(e.gemm_tile_m >= 1 && e.gemm_tile_n >= 1, "efficiency.gemm_tile_m", "tiles must be >= 1");
  require(e.gemm_min_tile_m >= 1, "efficiency.gemm_min_tile_m", "must be >= 1");
  require(e.gemm_epilogue_exposed >= 0 && e.gemm_epilogue_exposed <= 1, "efficiency.gemm_epilogue_exposed",
          fmt::format("must be in [0, 1], got {}", e.gemm_epilogue_exposed));
  require(e.gemm_split_k_chunk >= 0, "efficiency.gemm_split_k_chunk", "must be >= 0 (0: split-K not modelled)");
  require(e.gemm_split_k_max >= 1, "efficiency.gemm_split_k_max", "must be >= 1");
  require(e.gemm_split_k_reduce_s >= 0, "efficiency.gemm_split_k_reduce_us", "must be >= 0");
}

}  // namespace llmpo
