#pragma once
// Paged KV-cache accounting (vLLM's block pool, without prefix caching): the cache is
// total_blocks blocks of block_size_tokens tokens; a request owns a whole number of blocks,
// kept in RequestState::allocated_blocks. Schedulers decide who gets blocks; this class only
// counts them and checks that none are lost or invented. With a hybrid layout (sliding-window
// groups, models/kv_cache_groups.hpp) a request's blocks are summed over its groups, and the
// blocks that fell out of a sliding window return to the pool as it advances.
#include <cstdint>

#include "frameworks/block_count.hpp"
#include "models/kv_cache_groups.hpp"
#include "simulator/core/request.hpp"

namespace llmpo {

class KvBlockManager {
 public:
  // Throws InternalError for a non-positive block size or a negative block count.
  KvBlockManager(int64_t total_blocks, int64_t block_size_tokens);
  // A pool shared by the groups of `layout` (its block_size is the block size).
  KvBlockManager(int64_t total_blocks, const KvCacheLayout& layout);

  // Blocks that hold `tokens` tokens: ceil(tokens / block_size).
  int64_t blocks_for_tokens(int64_t tokens) const {
    return block_count_.blocks_for(tokens);
  }

  // Blocks a request holds, all groups together, with `computed` tokens computed and slots for
  // `tokens` (KvCacheLayout::blocks_held; blocks_for_tokens(tokens) without sliding groups).
  int64_t blocks_held(int64_t computed, int64_t tokens) const { return layout_.blocks_held(computed, tokens); }

  // Grows r's allocation so that it covers `tokens` tokens. Returns false, changing nothing,
  // when the free pool is too small. Without sliding groups an allocation never shrinks here
  // (only free() returns blocks), as in vLLM, where a request keeps its blocks until it finishes
  // or is preempted; with them, the blocks behind r.computed_tokens' window are released first
  // (KVCacheManager.allocate_slots calls remove_skipped_blocks before allocating).
  bool grow_to_cover(RequestState& r, int64_t tokens) {
    // Hot path (every running request, every step): most steps need no new block, which a
    // multiplication tells without dividing.
    if (!hybrid_ && tokens <= static_cast<int64_t>(r.allocated_blocks) * block_count_.size_tokens()) return true;
    return grow_slow(r, tokens);
  }

  const KvCacheLayout& layout() const { return layout_; }

  // Returns all of r's blocks to the pool.
  void free(RequestState& r);

  int64_t total_blocks() const { return total_blocks_; }
  int64_t free_blocks() const { return free_blocks_; }
  int64_t used_blocks() const { return allocated_blocks_; }
  int64_t block_size_tokens() const { return block_count_.size_tokens(); }

  // Throws InternalError with the numbers unless free + allocated == total and neither is
  // negative. O(1): the sum of allocations is kept as a running total.
  void check_invariants() const;

 private:
  int64_t total_blocks_;
  BlockCount block_count_;  // the block size, and blocks for a token count
  KvCacheLayout layout_;
  bool hybrid_ = false;
  int64_t free_blocks_;
  int64_t allocated_blocks_ = 0;  // running sum of every request's allocated_blocks

  bool grow_slow(RequestState& r, int64_t tokens);
};

}  // namespace llmpo
