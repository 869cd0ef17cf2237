#include "seed_batch_sizes.hpp"

#include <cmath>

#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

enum class GpuClass { a100_80, a100_40, a40, mid_range_24, other };

GpuClass gpu_class(const GpuSpec& gpu) {
  const std::string id = to_lower(gpu.id);
  if (id.rfind("a100-80gb", 0) == 0) return GpuClass::a100_80;
  if (id.rfind("a100-40gb", 0) == 0) return GpuClass::a100_40;
  if (id == "a40") return GpuClass::a40;
  const double gib = gpu.memory_bytes / kGiB;
  if (gib >= 20 && gib <= 25) return GpuClass::mid_range_24;
  return GpuClass::other;
}

}  // namespace

std::string seed_batch_size(const ModelSpec& model, const GpuSpec& gpu) {
  const double billions = std::floor(static_cast<double>(count_parameters(model).total()) / 1e9);
  const GpuClass g = gpu_class(gpu);
  // | Model Size | GPU Type | Recommended Batch Size |, row by row.
  if (billions >= 3 && billions <= 7) {
    if (g == GpuClass::a100_80 || g == GpuClass::a100_40) return "16-24";
    if (g == GpuClass::a40) return "12-16";
    if (g == GpuClass::mid_range_24) return "6-8";
  } else if (billions >= 8 && billions <= 20) {
    if (g == GpuClass::a100_80) return "8-12";
    if (g == GpuClass::a100_40) return "4-6";
  } else if (billions >= 21 && billions <= 40) {
    if (g == GpuClass::a100_80) return "4-6";
  } else if (billions >= 41 && billions <= 70) {
    if (g == GpuClass::a100_80) return "2-3";
  }
  return "";
}

}  // namespace llmpo
