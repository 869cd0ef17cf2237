#include "kv_block_manager.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

KvBlockManager::KvBlockManager(int64_t total_blocks, int64_t block_size_tokens)
    : KvBlockManager(total_blocks, KvCacheLayout{1, 1, 0, 0, block_size_tokens}) {}

KvBlockManager::KvBlockManager(int64_t total_blocks, const KvCacheLayout& layout)
    : total_blocks_(total_blocks), block_count_(layout.block_size), layout_(layout),
      hybrid_(layout.hybrid()),
      free_blocks_(total_blocks) {
  const int64_t block_size_tokens = layout.block_size;
  if (layout.full_groups < 0 || layout.sliding_groups < 0 || layout.num_groups() < 1 ||
      (layout.sliding_groups > 0 && layout.window_tokens < 1))
    throw InternalError(fmt::format("KV block manager: invalid layout ({} full, {} sliding groups, window {})",
                                    layout.full_groups, layout.sliding_groups, layout.window_tokens));
  if (block_size_tokens <= 0)
    throw InternalError(fmt::format("KV block manager: block size must be positive, got {}", block_size_tokens));
  if (total_blocks < 0)
    throw InternalError(fmt::format("KV block manager: block count must not be negative, got {}", total_blocks));
}

bool KvBlockManager::grow_slow(RequestState& r, int64_t tokens) {
  const int64_t target = hybrid_ ? layout_.blocks_held(r.computed_tokens, tokens) : blocks_for_tokens(tokens);
  const int64_t needed = target - r.allocated_blocks;
  if (needed <= 0) {
    if (hybrid_) {  // blocks that left the window go back to the pool
      free_blocks_ -= needed;
      allocated_blocks_ += needed;
      r.allocated_blocks = static_cast<int32_t>(target);
    }
    return true;
  }
  if (needed > free_blocks_) return false;
  free_blocks_ -= needed;
  allocated_blocks_ += needed;
  r.allocated_blocks += static_cast<int32_t>(needed);
  return true;
}

void KvBlockManager::free(RequestState& r) {
  if (r.allocated_blocks < 0)
    throw InternalError(fmt::format("KV block manager: request {} holds {} blocks", r.request.id, r.allocated_blocks));
  free_blocks_ += r.allocated_blocks;
  allocated_blocks_ -= r.allocated_blocks;
  r.allocated_blocks = 0;
}

void KvBlockManager::check_invariants() const {
  if (free_blocks_ < 0 || allocated_blocks_ < 0 || free_blocks_ + allocated_blocks_ != total_blocks_)
    throw InternalError(fmt::format(
        "KV block manager: free ({}) + allocated ({}) != total ({}) or a count is negative",
        free_blocks_, allocated_blocks_, total_blocks_));
}

}  // namespace llmpo
