#pragma once
// GpuSpec: one accelerator as the cost model sees it - datasheet peaks plus the few efficiency
// parameters that turn peaks into achievable kernel times. Data files: hardware/gpus/*.yaml
// (schema in hardware/README.md); every number there says where it comes from.
#include <cstdint>
#include <string>
#include <vector>

namespace llmpo {

// Arithmetic formats a GPU may have dense tensor-core (or matrix-core) rates for.
enum class ComputeType { fp32, tf32, bf16, fp16, fp8, int8, int4 };
inline constexpr int kNumComputeTypes = 7;
std::string to_string(ComputeType type);
const std::vector<std::string>& compute_type_names();

enum class LinkType { nvlink, pcie, infinity_fabric };
std::string to_string(LinkType type);

// The achievable fractions and fixed costs that separate real kernels from the roofline.
// Defaults are typical of recent NVIDIA datacenter GPUs; data files override each one with a
// sourced value, and `llmperforacle calibrate` fits them to measurements.
struct GpuEfficiency {
  double hbm_bandwidth = 0.85;             // fraction of datasheet HBM bandwidth a streaming kernel reaches
  double gemm_compute = 0.75;              // fraction of dense peak a large, well-shaped GEMM reaches
  double attention_prefill_compute = 0.6;  // fraction of dense peak of FlashAttention forward
  double attention_decode_bandwidth = 0.7; // fraction of HBM bandwidth of paged decode attention
  double kernel_latency_s = 4e-6;          // fixed cost of one kernel (launch + ramp + tail)
  double gemm_tile_m = 128;                // CTA tile used for wave quantization
  double gemm_tile_n = 128;
  double cpu_overhead_per_step_s = 0;      // scheduler + sampler + input prep per engine step
  double cpu_overhead_per_seq_s = 0;       // extra per sequence in the batch
};

struct IntraNodeLink {
  LinkType type = LinkType::pcie;
  double bandwidth_bytes_per_s = 0;  // per GPU, per direction (NVLink aggregate or PCIe x16)
  int pcie_generation = 4;
  int pcie_lanes = 16;
  double pcie_bandwidth_bytes_per_s() const;  // per direction, x16 -> ~32 GB/s for gen4
};

struct GpuSpec {
  std::string id;                    // library id, e.g. "H100-SXM"
  std::string name;                  // marketing name
  std::vector<std::string> aliases;
  std::string vendor;                // nvidia, amd
  std::string architecture;          // ampere, hopper, ada, blackwell, cdna3
  std::string source_file;

  double memory_bytes = 0;                 // capacity the driver reports (cudaMemGetInfo total)
  double memory_bandwidth_bytes_per_s = 0; // datasheet HBM/GDDR bandwidth
  double peak_flops[kNumComputeTypes] = {};// dense FLOP/s (or OP/s) per type; 0 = not supported
  int64_t sm_count = 0;                    // SMs (NVIDIA) or CUs (AMD)
  double l2_bytes = 0;
  IntraNodeLink link;
  std::string default_interconnect;        // preset used for TP groups inside one node
  int64_t max_gpus_per_node = 8;
  double price_per_hour_usd = 0;           // on-demand cloud price, for cost searches (0 = unknown)
  GpuEfficiency efficiency;

  double peak(ComputeType type) const { return peak_flops[static_cast<int>(type)]; }
  bool supports(ComputeType type) const { return peak(type) > 0; }

  void validate() const;  // throws InputError naming the field
};

}  // namespace llmpo
