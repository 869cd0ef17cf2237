#include "host_kv_sizing.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

const std::vector<std::string>& kv_offloading_backend_names() {
  static const std::vector<std::string> names = {"native", "lmcache"};
  return names;
}

HostKvTierSpec plan_host_kv_tier(double size_gib, const std::string& backend, int64_t gpu_block_size,
                                 const std::vector<double>& stage_kv_bytes_per_token, int64_t tensor_parallel,
                                 double pcie_bytes_per_s) {
  const auto& names = kv_offloading_backend_names();
  if (std::find(names.begin(), names.end(), backend) == names.end())
    throw InternalError(fmt::format("plan_host_kv_tier: backend '{}' (valid: {})", backend, join(names)));
  if (!(size_gib > 0) || gpu_block_size <= 0 || stage_kv_bytes_per_token.empty() || tensor_parallel <= 0 ||
      !(pcie_bytes_per_s > 0))
    throw InternalError(fmt::format("plan_host_kv_tier: size {} GiB, block {} tokens, {} stages, TP {}, PCIe {} B/s",
                                    size_gib, gpu_block_size, stage_kv_bytes_per_token.size(), tensor_parallel,
                                    pcie_bytes_per_s));
  HostKvTierSpec spec;
  spec.backend = backend;
  spec.block_tokens = backend == "lmcache" ? kLmcacheChunkTokens : gpu_block_size;
  spec.pcie_bytes_per_s = pcie_bytes_per_s;
  const auto tokens = static_cast<double>(spec.block_tokens);
  for (const double per_token : stage_kv_bytes_per_token) {
    spec.block_bytes_per_gpu = std::max(spec.block_bytes_per_gpu, per_token * tokens);
    spec.block_bytes_replica += per_token * tokens * static_cast<double>(tensor_parallel);
  }
  if (!(spec.block_bytes_replica > 0))
    throw InternalError("plan_host_kv_tier: the model has no KV bytes per token");
  spec.capacity_blocks = static_cast<int64_t>(std::floor(size_gib * kGiB / spec.block_bytes_replica));
  if (spec.capacity_blocks == 0)
    throw InputError(fmt::format("{} GiB holds no KV block: one {}-token block of this model takes "
                                 "{:.3f} MiB over the replica's GPUs; give at least {:.4f} GiB",
                                 size_gib, spec.block_tokens, spec.block_bytes_replica / kMiB,
                                 std::ceil(spec.block_bytes_replica / kGiB * 1e4) / 1e4));
  return spec;
}

HostKvTier make_host_kv_tier(const HostKvTierSpec& spec) {
  return HostKvTier(spec.capacity_blocks, spec.block_bytes_per_gpu, spec.pcie_bytes_per_s);
}

}  // namespace llmpo
