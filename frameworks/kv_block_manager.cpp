#include "kv_block_manager.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

KvBlockManager::KvBlockManager(int64_t total_blocks, int64_t block_size_tokens)
    : total_blocks_(total_blocks), block_size_tokens_(block_size_tokens), free_blocks_(total_blocks) {
  if (block_size_tokens <= 0)
    throw InternalError(fmt::format("KV block manager: block size must be positive, got {}", block_size_tokens));
  if (total_blocks < 0)
    throw InternalError(fmt::format("KV block manager: block count must not be negative, got {}", total_blocks));
}

bool KvBlockManager::grow_slow(RequestState& r, int64_t tokens) {
  const int64_t needed = blocks_for_tokens(tokens) - r.allocated_blocks;
  if (needed <= 0) return true;
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
