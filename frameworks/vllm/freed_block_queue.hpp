#pragma once
// What vLLM's prefix cache keeps of a preempted request (vllm/v1/core/block_pool.py
// FreeKVCacheBlockQueue; kv_cache_manager.py free / get_computed_blocks): a freed block keeps its
// hash until it is reused, free blocks are reused from the head of one queue (least recently
// freed first), and a request's blocks are appended to its tail last block first
// (single_type_kv_cache_manager.py: "free blocks in reverse order"). So while a preempted request
// waits, new allocations eat its blocks from its end, and when it is scheduled again the blocks
// still cached are a prefix of it: it recomputes only what was evicted (the hit is capped at
// num_tokens - 1, as one token must be computed to sample the next).
//
// Only counts are kept: the queue is a list of segments (a run of blocks freed together), owned
// by a preempted request whose blocks may still be hit, or by nobody (blocks never used, or
// freed by a finished request, whose random prompt no later request shares).
#include <cstdint>
#include <list>
#include <unordered_map>

#include "simulator/core/request.hpp"

namespace llmpo {

class FreedBlockQueue {
 public:
  explicit FreedBlockQueue(int64_t total_blocks);

  // `blocks` blocks of preempted request r went back to the pool.
  void free_preempted(const RequestState& r, int64_t blocks);
  // `blocks` blocks nobody will hit went back to the pool.
  void free_unowned(int64_t blocks);
  // `blocks` blocks were taken from the pool for new KV: the least recently freed go first.
  void allocate(int64_t blocks);
  // Blocks of r still cached (its prefix); 0 when none.
  int64_t cached_blocks(const RequestState& r) const;
  // r is scheduled again: its cached blocks leave the queue (they become r's again); returns how many.
  int64_t take(const RequestState& r);

  int64_t free_blocks() const { return free_blocks_; }
  // Throws InternalError unless the segments add up to free_blocks() and every owned segment is indexed.
  void check_invariants() const;

 private:
  struct Segment {
    const RequestState* owner;  // nullptr: no later hit
    int64_t blocks;
  };
  std::list<Segment> queue_;  // head = next to be reused
  std::unordered_map<const RequestState*, std::list<Segment>::iterator> by_owner_;
  int64_t free_blocks_ = 0;
};

}  // namespace llmpo
