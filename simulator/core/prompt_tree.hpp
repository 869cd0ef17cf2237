#pragma once
// Content identity of token sequences, so that prefix reuse is explicit and cheap to simulate.
//
// Real prompts share prefixes: a chat turn resends the whole history, many requests start with
// the same system prompt or RAG template, an agent resends its growing context on every call.
// No token ids are simulated; instead every request's tokens (prompt, then output) are a path
// in this forest of segments. A segment is a run of tokens that follows the sequence ending at
// its parent; two sequences hold the same first T tokens exactly when T falls in a segment that
// both paths contain (a shared system prompt is one node that many paths pass through; a reply
// is a node under the prompt it answered, and the next turn's new message a node under it).
//
// The key of a prefix (the first T tokens of a path) is (node holding token T, T's offset in
// it): equal keys mean equal content, with no hash collisions, which is what vLLM's chained
// block hashes (vllm/v1/core/kv_cache_utils.py hash_block_tokens) and SGLang's radix tree
// compare. Requests that share nothing with anyone carry no node (Request::content_node = -1).
#include <cstdint>
#include <vector>

namespace llmpo {

inline constexpr int32_t kNoPromptNode = -1;

// The key of the first `end_offset_tokens` tokens of `node`'s segment plus everything before it.
inline uint64_t prefix_key(int32_t node, int64_t end_offset_tokens) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(node)) << 32) | static_cast<uint32_t>(end_offset_tokens);
}

class PromptTree {
 public:
  // Adds a segment of `length_tokens` (>= 1) tokens after the sequence ending at `parent`
  // (kNoPromptNode: a segment at the start of a sequence). Returns its id (0, 1, ...).
  // Throws InternalError for a bad parent or length, or a path past 2^31 - 1 tokens.
  int32_t add(int32_t parent, int64_t length_tokens);

  int32_t size() const { return static_cast<int32_t>(parent_.size()); }
  int32_t parent(int32_t node) const { return parent_[static_cast<std::size_t>(node)]; }
  // Tokens from the start of the sequence through the end of this segment.
  int64_t end_tokens(int32_t node) const { return end_[static_cast<std::size_t>(node)]; }
  int64_t start_tokens(int32_t node) const { return node_start(node); }
  int64_t length_tokens(int32_t node) const { return end_tokens(node) - node_start(node); }

  // Root-first list of the nodes on the path ending at `leaf` (into `path`, cleared first).
  void path(int32_t leaf, std::vector<int32_t>& path) const;

  // The keys of the first `tokens` tokens' full blocks of `block_size` tokens along the path
  // ending at `leaf` (tokens <= end_tokens(leaf)): keys[i] names tokens [0, (i+1)*block_size).
  // Appends floor(tokens / block_size) keys to `keys` (cleared first). O(blocks + path length).
  void block_keys(int32_t leaf, int64_t tokens, int64_t block_size, std::vector<uint64_t>& keys) const;

  // The key of the first `tokens` (1 <= tokens <= end_tokens(leaf)) tokens of the path ending at
  // `leaf`. O(path length).
  uint64_t key_at(int32_t leaf, int64_t tokens) const;

 private:
  int64_t node_start(int32_t node) const {
    const int32_t p = parent(node);
    return p == kNoPromptNode ? 0 : end_tokens(p);
  }
  // Read concurrently by parallel runs of one workload: no mutable state.
  std::vector<int32_t> parent_;
  std::vector<int64_t> end_;
};

}  // namespace llmpo
