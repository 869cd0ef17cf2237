#pragma once
// SGLang's radix cache (python/sglang/srt/mem_cache/radix_cache.py, RadixCache: match_prefix,
// insert, _split_node, inc_lock_ref / dec_lock_ref, evict) over content identity instead of
// token ids, with page_size 1 (SGLang's default): every cached token is one KV slot.
//
// A request's tokens are a root-first list of content segments (the PromptTree nodes on its path,
// simulator/core/prompt_tree.hpp, or one private segment for a request that shares nothing). Two
// requests hold the same first T tokens exactly when token T - 1 lies in a segment both lists
// contain, so two paths can only part at segment boundaries. A radix edge is a run of tokens
// [start, end) along one path: it spans whole or partial segments and is named by the segment
// of its first token. Matching walks edges and compares segment ids, O(segments on the path),
// never tokens.
//
// Memory: the tree holds total_tokens() KV slots. A node is evictable while no running request
// locks it (lock_ref 0, which also covers every ancestor of a locked node: locks go up to the
// root as in SGLang); eviction removes unlocked leaves in least-recently-used order (a leaf whose
// parent then becomes an unlocked leaf follows in its turn), as RadixCache.evict does with its
// heap of leaves. Access order is a counter, so ties in simulated time stay deterministic.
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "simulator/core/prompt_tree.hpp"

namespace llmpo {

// One segment of a request's content: `key` is its PromptTree node, or a negative private key for
// the single segment of a request that shares nothing (private_segment_key()).
struct ContentSegment {
  int64_t key = 0;
  int64_t start_tokens = 0;
  int64_t end_tokens = 0;
};

// The private key of request `request_id`'s content: negative, never a PromptTree node.
inline int64_t private_segment_key(int64_t request_id) { return -request_id - 2; }

// The content segments of a request: its PromptTree path (prompts non-null and content_node >= 0),
// else one private segment of `total_tokens`. Into `out`, cleared first.
void content_segments(const PromptTree* prompts, int32_t content_node, int64_t request_id, int64_t total_tokens,
                      std::vector<ContentSegment>& out);

class RadixCache {
 public:
  static constexpr int32_t kRoot = 0;

  // `prompts` (may be null: then only private segments occur) must outlive the cache.
  explicit RadixCache(const PromptTree* prompts = nullptr);
  void use_prompts(const PromptTree* prompts) { prompts_ = prompts; }

  struct Match {
    int32_t node = kRoot;  // the node ending exactly at the match (an edge is split to make one)
    int64_t tokens = 0;    // cached prefix length
  };
  // The longest cached prefix of the first `limit_tokens` tokens of `path`. As SGLang's
  // match_prefix, an edge the match ends inside is split there, and every node on the way is
  // marked as used now.
  Match match_prefix(const std::vector<ContentSegment>& path, int64_t limit_tokens);

  struct Inserted {
    int32_t node = kRoot;    // the node ending at `tokens`
    int64_t new_tokens = 0;  // tokens not cached before (the caller's other slots were duplicates)
  };
  // Caches the first `tokens` tokens of `path` (RadixCache.insert). New nodes start unlocked.
  Inserted insert(const std::vector<ContentSegment>& path, int64_t tokens);

  // Locks (unlocks) `node` and its ancestors: locked nodes are never evicted.
  void inc_lock_ref(int32_t node);
  void dec_lock_ref(int32_t node);

  // Frees at least `tokens` slots if that many are evictable (whole leaves, LRU first); returns
  // the slots freed.
  int64_t evict(int64_t tokens);

  int64_t total_tokens() const { return total_tokens_; }
  int64_t evictable_tokens() const { return evictable_tokens_; }
  int64_t protected_tokens() const { return total_tokens_ - evictable_tokens_; }
  int64_t node_count() const { return static_cast<int64_t>(nodes_.size() - free_ids_.size()); }
  // Token depth at which `node`'s edge ends (0 for the root).
  int64_t end_tokens(int32_t node) const { return nodes_[static_cast<std::size_t>(node)].end; }
  int32_t lock_ref(int32_t node) const { return nodes_[static_cast<std::size_t>(node)].lock_ref; }

  // Throws InternalError when the counters disagree with the nodes (O(nodes)).
  void check_invariants() const;

 private:
  struct Node {
    int32_t parent = -1;
    int64_t first_key = 0;  // segment of the edge's first token (the key in the parent)
    int64_t last_key = 0;   // segment of the edge's last token
    int64_t start = 0;      // token depths of the edge: [start, end)
    int64_t end = 0;
    int32_t children = 0;
    int32_t lock_ref = 0;
    uint64_t last_access = 0;
    uint64_t lru_access = 0;  // last_access when it entered lru_leaves_ (its key there)
    bool alive = false;
    bool in_lru = false;
  };
  struct ChildKey {
    int32_t parent;
    int64_t key;
    bool operator==(const ChildKey& o) const { return parent == o.parent && key == o.key; }
  };
  struct ChildKeyHash {
    std::size_t operator()(const ChildKey& k) const {
      return std::hash<uint64_t>()(static_cast<uint64_t>(k.key) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint32_t>(k.parent));
    }
  };

  Node& node(int32_t id) { return nodes_[static_cast<std::size_t>(id)]; }
  const Node& node(int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }
  int64_t segment_parent(int64_t key) const;
  int64_t segment_start(int64_t key) const;
  int64_t segment_end(int64_t key) const;
  // The segment of the token at depth `depth` within `id`'s edge.
  int64_t key_at(int32_t id, int64_t depth) const;
  // The depth up to which `path` (from index `index`, whose segment holds the edge's first token)
  // and `id`'s edge hold the same tokens, at most min(edge end, limit).
  int64_t agreement_end(int32_t id, const std::vector<ContentSegment>& path, std::size_t index, int64_t limit);
  int32_t find_child(int32_t parent, int64_t key) const;
  int32_t new_node();
  // Splits `id` at depth `at` (start < at < end); returns the new upper node.
  int32_t split(int32_t id, int64_t at);
  void touch(int32_t id);
  void refresh_lru(int32_t id);
  void remove_leaf(int32_t id);

  const PromptTree* prompts_;
  std::vector<Node> nodes_;
  std::vector<int32_t> free_ids_;
  std::unordered_map<ChildKey, int32_t, ChildKeyHash> children_;
  std::set<std::pair<uint64_t, int32_t>> lru_leaves_;  // unlocked leaves by last access
  std::vector<int64_t> chain_;                          // scratch: an edge's segments
  uint64_t clock_ = 0;
  int64_t total_tokens_ = 0;
  int64_t evictable_tokens_ = 0;
};

}  // namespace llmpo
