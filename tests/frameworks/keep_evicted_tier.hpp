#pragma once
// A stand-in host-memory tier for tests of the prefix cache's tier hook (PrefixCacheTier): it
// keeps every block the GPU evicts, forever, and finds the consecutive blocks it holds; it only
// records the chains it is told were filled.
#include <set>
#include <vector>

#include "frameworks/vllm/prefix_block_pool.hpp"

namespace llmpo::test {

class KeepEvictedTier final : public PrefixCacheTier {
 public:
  int64_t further_hit_blocks(const std::vector<uint64_t>& keys, int64_t gpu_hit_blocks,
                             int64_t max_more_blocks) override {
    int64_t more = 0;
    while (more < max_more_blocks && kept.contains(keys[static_cast<std::size_t>(gpu_hit_blocks + more)])) ++more;
    return more;
  }
  void filled(const uint64_t* /*keys*/, int64_t /*from_block*/, int64_t full_blocks) override {
    filled_chains.push_back(full_blocks);
  }
  void evicted(uint64_t key) override {
    kept.insert(key);
    order.push_back(key);
  }
  SimTime load(int64_t gpu_blocks) override { return gpu_blocks * load_ns_per_block; }
  SimTime load_ns_per_block = 0;  // what copying one block back costs (0: free, no wait)
  std::set<uint64_t> kept;
  std::vector<uint64_t> order;  // keys in the order they were evicted
  std::vector<int64_t> filled_chains;  // the chain length of each filled() call
};

}  // namespace llmpo::test
