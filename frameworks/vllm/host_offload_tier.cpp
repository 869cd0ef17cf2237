#include "host_offload_tier.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

HostOffloadTier::HostOffloadTier(const HostKvTierSpec& spec, int64_t gpu_block_tokens)
    : tier_(make_host_kv_tier(spec)),
      gpu_blocks_per_host_block_(gpu_block_tokens > 0 ? spec.block_tokens / gpu_block_tokens : 0) {
  if (gpu_block_tokens <= 0 || spec.block_tokens % gpu_block_tokens != 0 || gpu_blocks_per_host_block_ < 1)
    throw InternalError(fmt::format("host KV tier: {}-token host blocks are not a whole number of {}-token GPU blocks",
                                    spec.block_tokens, gpu_block_tokens));
}

int64_t HostOffloadTier::further_hit_blocks(const std::vector<uint64_t>& keys, int64_t gpu_hit_blocks,
                                            int64_t max_more_blocks) {
  const int64_t r = gpu_blocks_per_host_block_;
  const int64_t first = gpu_hit_blocks / r;  // the host block holding the first GPU miss
  const int64_t available = static_cast<int64_t>(keys.size()) / r;
  host_keys_.clear();
  for (int64_t i = first; i < available; ++i) host_keys_.push_back(keys[static_cast<std::size_t>((i + 1) * r - 1)]);
  const int64_t matched = tier_.match(host_keys_.data(), static_cast<int64_t>(host_keys_.size()));
  return std::clamp<int64_t>((first + matched) * r - gpu_hit_blocks, 0, max_more_blocks);
}

void HostOffloadTier::filled(const uint64_t* keys, int64_t from_block, int64_t full_blocks) {
  const int64_t r = gpu_blocks_per_host_block_;
  // Host blocks completed by GPU blocks [from_block, full_blocks): their last GPU block is new.
  host_keys_.clear();
  for (int64_t i = from_block / r; (i + 1) * r <= full_blocks; ++i)
    if ((i + 1) * r > from_block) host_keys_.push_back(keys[(i + 1) * r - 1]);
  if (!host_keys_.empty()) tier_.store(host_keys_.data(), static_cast<int64_t>(host_keys_.size()));
}

SimTime HostOffloadTier::load(int64_t gpu_blocks) {
  // Whole host blocks move: the ones the extension touches.
  const int64_t r = gpu_blocks_per_host_block_;
  return tier_.load((gpu_blocks + r - 1) / r);
}

}  // namespace llmpo
