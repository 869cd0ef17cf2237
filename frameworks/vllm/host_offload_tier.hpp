#pragma once
// The host-memory KV tier (frameworks/kv_offload/host_kv_tier.hpp) as vLLM's prefix cache sees it
// (PrefixCacheTier): vLLM's offloading connector stores every request's new full blocks once they
// are computed (write-through; vllm/distributed/kv_transfer/kv_connector/v1/offloading_connector.py,
// _get_reqs_to_store), and a lookup continues the GPU prefix hit into host memory
// (get_num_new_matched_tokens), the request waiting for the copy before it runs.
//
// Host blocks may be larger than GPU blocks (LMCache keys 256-token chunks): host block i covers
// GPU blocks [i*R, (i+1)*R) with R = host block tokens / GPU block tokens, and is named by the key
// of its last GPU block (the chain key of all its tokens). A GPU hit ending inside a host block
// continues from that host block's start, so only whole host blocks extend it.
#include <cstdint>
#include <vector>

#include "frameworks/kv_offload/host_kv_sizing.hpp"
#include "prefix_block_pool.hpp"

namespace llmpo {

class HostOffloadTier final : public PrefixCacheTier {
 public:
  // Throws InternalError unless the host block is a whole number of GPU blocks.
  HostOffloadTier(const HostKvTierSpec& spec, int64_t gpu_block_tokens);

  int64_t further_hit_blocks(const std::vector<uint64_t>& keys, int64_t gpu_hit_blocks,
                             int64_t max_more_blocks) override;
  void filled(const uint64_t* keys, int64_t from_block, int64_t full_blocks) override;
  void evicted(uint64_t /*key*/) override {}  // write-through: already in host memory
  SimTime load(int64_t gpu_blocks) override;

  const HostKvTier& tier() const { return tier_; }

 private:
  HostKvTier tier_;
  int64_t gpu_blocks_per_host_block_;
  std::vector<uint64_t> host_keys_;  // scratch, reused
};

}  // namespace llmpo
