#pragma once
// vLLM V1's KV block pool with automatic prefix caching (vllm/v1/core/block_pool.py,
// kv_cache_utils.py FreeKVCacheBlockQueue, single_type_kv_cache_manager.py,
// kv_cache_manager.py get_computed_blocks / allocate_slots / free).
//
// A full block is named by its content chain (PromptTree::block_keys, the simulator's exact
// stand-in for hash_block_tokens): once a request's scheduled tokens fill a block, the block is
// registered under its key, so any later request whose path holds the same first tokens finds
// it (output blocks too: the next turn of a chat re-hits the reply). A block has a reference
// count (the running requests holding it); at zero it joins the tail of one free queue, still
// cached, and blocks are reused from the queue's head (least recently freed first), which is
// when a cached block loses its key. A request's blocks are freed last block first
// (single_type_kv_cache_manager.py: "free blocks in reverse order"), so that its tail is
// evicted before its prefix.
//
// Requests without content identity (content_node = kNoPromptNode: random or trace prompts)
// keep the count-only path the scheduler had before prefix sharing: no keys, a run of blocks in
// the queue per freed request, and the only possible hit is a preempted request's own surviving
// prefix (vLLM hashes their blocks too, but no other request can match random tokens). Their
// cost per step is one comparison more than the plain KvBlockManager's.
//
// Simplification: when a request fills a block whose key is already cached (it computed the same
// tokens as another request at the same time, or recomputed its last block after a hit capped at
// num_tokens - 1), vLLM registers a second copy under the same hash; here the copy stays
// private (counted, never hit) and is freed as an anonymous block.
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "block_key_index.hpp"
#include "frameworks/block_count.hpp"
#include "simulator/core/prompt_tree.hpp"
#include "simulator/core/request.hpp"

namespace llmpo {

// The hook for a second cache tier behind the GPU pool (a host-memory KV tier, as vLLM's
// offloading connector or LMCache). Not owned by the pool; unset by default, in which case
// nothing below is called.
class PrefixCacheTier {
 public:
  virtual ~PrefixCacheTier() = default;
  // After the GPU match found `gpu_hit_blocks` leading blocks of `keys`: how many of the blocks
  // that follow (keys[gpu_hit_blocks] onwards, consecutively, at most `max_more_blocks`) the tier
  // holds. They extend the hit: the pool allocates fresh GPU blocks for them, they count as
  // computed tokens and as RequestState::host_loaded_tokens. Charging their load time (PCIe)
  // is the caller's: the scheduler reports the loaded tokens in PrefixMatch::host_blocks.
  // Not const: a lookup refreshes the tier's LRU order, as vLLM's lookup touches what it finds.
  virtual int64_t further_hit_blocks(const std::vector<uint64_t>& keys, int64_t gpu_hit_blocks,
                                     int64_t max_more_blocks) = 0;
  // A request's scheduled tokens filled more blocks: keys[0 .. full_blocks) is its chain of full
  // blocks so far (hit ones included), of which keys[from_block .. full_blocks) are new; called
  // when allocate_slots registers them, which is where a write-through tier (vLLM's offloading
  // connector stores each scheduled request's new full blocks after the step) learns of them.
  virtual void filled(const uint64_t* keys, int64_t from_block, int64_t full_blocks) = 0;
  // `gpu_blocks` blocks' worth of KV are copied from the tier to the GPU: returns how long that
  // takes; the request waits that long before it runs (vLLM: WAITING_FOR_REMOTE_KVS). 0 for a
  // tier that costs nothing.
  virtual SimTime load(int64_t /*gpu_blocks*/) { return 0; }
  // A cached block was evicted from the GPU (reused from the head of the free queue).
  virtual void evicted(uint64_t key) = 0;
};

// What get_computed_blocks found for a request about to be scheduled (it holds no block).
struct PrefixMatch {
  int64_t hit_tokens = 0;        // computed tokens it starts from (GPU and host hits together)
  int64_t gpu_blocks = 0;        // blocks it takes from the GPU cache (held once acquired)
  int64_t evictable_blocks = 0;  // of those, blocks now in the free queue (ref count 0)
  int64_t host_blocks = 0;       // further blocks found in the host tier (fresh GPU blocks)
};

class PrefixBlockPool {
 public:
  // Throws InternalError for a non-positive block size or a negative block count.
  PrefixBlockPool(int64_t total_blocks, int64_t block_size_tokens);

  // The workload's content (null: no request shares anything, all take the count-only path).
  void use_prompts(const PromptTree* prompts);
  void set_host_tier(PrefixCacheTier* tier) { tier_ = tier; }
  PrefixCacheTier* host_tier() const { return tier_; }

  int64_t blocks_for_tokens(int64_t tokens) const {
    return block_count_.blocks_for(tokens);
  }

  // Grows r's block table to cover `tokens` scheduled tokens, evicting cached blocks from the
  // head of the free queue, and registers the blocks those tokens fill (vLLM's cache_blocks in
  // allocate_slots), or only those the first `cache_tokens` fill: slots for speculative drafts
  // and lookahead hold nothing verified (kv_cache_manager.py caches min(computed + new,
  // request.num_tokens)). Returns false, changing nothing, when too few blocks are free.
  bool grow(RequestState& r, int64_t tokens, int64_t cache_tokens = INT64_MAX) {
    // Hot path (every running request, every step). Without new blocks, only a content request
    // whose last block just became full has anything to register.
    const int64_t covered = static_cast<int64_t>(r.allocated_blocks) * block_count_.size_tokens();
    if (tokens < covered || (tokens == covered && !has_content(r))) return true;
    return grow_slow(r, tokens, cache_tokens);
  }

  // get_computed_blocks for r, which holds no block: the longest run of its leading full blocks
  // that are cached, capped at num_tokens - 1 tokens (one token must be computed to sample the
  // next), then extended by the host tier. A preempted request without content finds the
  // prefix of its own blocks that later allocations did not reuse. Changes nothing.
  // A decode run's growth, inside the caller's one walk over its batch, when no request has
  // content (no keys to register: taking each request's blocks from the head in turn is taking
  // their sum at once). add_grown(r) gives r the blocks it lacks for r.computed_tokens and
  // returns how many; take_grown(sum) then takes them all from the free queue, as grow(r,
  // r.computed_tokens) for each request in order would. take_grown refuses (false, the pool
  // unchanged) when fewer blocks are free; the requests' tables have grown by then, and the
  // caller, which checked that they fit, gives up with an internal error.
  int64_t add_grown(RequestState& r) const {
    // Without a branch: which requests cross into a new block is as good as random.
    const int64_t lacking = std::max<int64_t>(0, blocks_for_tokens(r.computed_tokens) - r.allocated_blocks);
    r.allocated_blocks += static_cast<int32_t>(lacking);
    return lacking;
  }
  bool take_grown(int64_t blocks);
  bool any_content() const { return prompts_ != nullptr; }

  PrefixMatch match(const RequestState& r);
  // Blocks that taking `m` and then covering `tokens` tokens removes from the free pool:
  // new blocks plus hit blocks that now sit in the free queue (vLLM's
  // get_num_blocks_to_allocate counts evictable computed blocks the same way).
  int64_t blocks_to_allocate(const PrefixMatch& m, int64_t tokens) const;
  // r takes the GPU blocks of `m` (ref counts up, out of the free queue). The caller sets
  // r.computed_tokens = m.hit_tokens and then grows r as usual.
  void acquire(RequestState& r, const PrefixMatch& m);

  // Returns all of r's blocks: reference counts down, blocks at zero to the free queue's tail,
  // last block first. `preempted`: r will be scheduled again (a request without content keeps
  // its run for its own later hit); otherwise r has finished and its state is dropped.
  void free(RequestState& r, bool preempted);

  int64_t total_blocks() const { return total_blocks_; }
  int64_t block_size_tokens() const { return block_count_.size_tokens(); }
  // Blocks in the free queue, cached or not (vLLM's num_free_blocks; usage = 1 - free / total).
  int64_t free_blocks() const { return free_blocks_; }
  int64_t used_blocks() const { return total_blocks_ - free_blocks_; }
  // Sum of every holder's block table (allocated_blocks); a shared block counts once per holder.
  int64_t table_blocks() const { return table_blocks_; }
  // Blocks registered under a key (in use or in the free queue).
  int64_t cached_blocks() const { return static_cast<int64_t>(key_index_.size()); }

  // Checks that physical blocks are conserved (O(1)), and audits the whole pool in O(free queue
  // + cached blocks + block tables): the free queue's length, every key indexed once and pointing
  // to its node, reference counts equal to the holders' block tables. The whole audit runs on
  // every call for a small pool (tests), otherwise once the blocks moved since the last one
  // outnumber the pool's nodes, so that its cost stays O(1) per block moved: the simulation
  // calls this every few dozen steps, and an audit of a 30,000-block pool per call took 40% of
  // a chat run's time. Throws InternalError with the numbers.
  void check_invariants() const;

 private:
  static constexpr int32_t kNone = -1;
  static constexpr int32_t kPrivateCopy = -2;  // a table entry for an unregistered duplicate block

  // A node of the free queue / cache. A keyed node is one cached block (in the queue only at
  // ref_count 0); a run node is `blocks` anonymous free blocks, owned by the preempted request
  // without content that may re-hit them, or by nobody.
  struct Node {
    uint64_t key = 0;
    const RequestState* owner = nullptr;
    int64_t blocks = 0;  // run: block count; keyed: 1
    int32_t ref_count = 0;
    int32_t prev = kNone, next = kNone;
    bool keyed = false;
    bool queued = false;
  };
  // A content request's blocks: the keys of every full block of its prompt + output, and the
  // node of each registered leading block (kPrivateCopy for a duplicate); blocks after them
  // are private (the partial last block, or blocks beyond its content path).
  struct ContentBlocks {
    std::vector<uint64_t> keys;
    std::vector<int32_t> table;
  };

  bool has_content(const RequestState& r) const {
    return r.request.content_node != kNoPromptNode && prompts_ != nullptr;
  }
  bool grow_slow(RequestState& r, int64_t tokens, int64_t cache_tokens);
  ContentBlocks& content_of(const RequestState& r);
  void register_full_blocks(ContentBlocks& content, int64_t tokens, int64_t allocated_blocks);
  void take_from_head(int64_t blocks);  // evicts the least recently freed
  void append_anonymous(int64_t blocks, const RequestState* owner);
  int32_t new_node();
  void link_tail(int32_t id);
  void unlink(int32_t id);
  void recycle(int32_t id);

  int64_t total_blocks_;
  BlockCount block_count_;  // the block size, and blocks for a token count
  const PromptTree* prompts_ = nullptr;
  PrefixCacheTier* tier_ = nullptr;

  std::vector<Node> nodes_;
  std::vector<int32_t> spare_nodes_;
  int32_t head_ = kNone, tail_ = kNone;  // head: next to be reused
  int64_t free_blocks_ = 0;
  int64_t table_blocks_ = 0;
  int64_t shared_extra_ = 0;  // sum over keyed blocks in use of (ref_count - 1)
  BlockKeyIndex key_index_;
  std::unordered_map<const RequestState*, int32_t> owned_runs_;  // preempted, no content
  std::unordered_map<const RequestState*, ContentBlocks> content_;
  mutable std::vector<int32_t> audit_holders_;  // check_invariants' scratch, kept to avoid page faults
  mutable int64_t blocks_moved_since_audit_ = 0;  // blocks taken, acquired or freed since the full audit
};

}  // namespace llmpo
