#include "prompt_tree.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

int32_t PromptTree::add(int32_t parent, int64_t length_tokens) {
  if (parent != kNoPromptNode && (parent < 0 || parent >= size()))
    throw InternalError(fmt::format("prompt segment parent {} is not a node (tree of {})", parent, size()));
  if (length_tokens < 1) throw InternalError(fmt::format("a prompt segment of {} tokens", length_tokens));
  const int64_t start = parent == kNoPromptNode ? 0 : end_tokens(parent);
  // Offsets are kept in 32 bits of a key, and node ids in the other 32.
  if (start + length_tokens > std::numeric_limits<int32_t>::max() || size() == std::numeric_limits<int32_t>::max())
    throw InternalError(fmt::format("a prompt path of {} tokens, or more than 2^31 segments", start + length_tokens));
  parent_.push_back(parent);
  end_.push_back(start + length_tokens);
  return size() - 1;
}

void PromptTree::path(int32_t leaf, std::vector<int32_t>& out) const {
  out.clear();
  for (int32_t node = leaf; node != kNoPromptNode; node = parent(node)) out.push_back(node);
  std::reverse(out.begin(), out.end());
}

void PromptTree::block_keys(int32_t leaf, int64_t tokens, int64_t block_size, std::vector<uint64_t>& keys) const {
  if (block_size < 1 || tokens < 0 || tokens > end_tokens(leaf))
    throw InternalError(fmt::format("block keys of {} tokens in blocks of {} on a path of {}", tokens, block_size,
                                    end_tokens(leaf)));
  const int64_t blocks = tokens / block_size;
  keys.resize(static_cast<std::size_t>(blocks));
  // Last block first: its boundary and the node holding it both move towards the root.
  int32_t node = leaf;
  for (int64_t i = blocks - 1; i >= 0; --i) {
    const int64_t boundary = (i + 1) * block_size;  // the block's last token is token boundary - 1
    while (node_start(node) >= boundary) node = parent(node);
    keys[static_cast<std::size_t>(i)] = prefix_key(node, boundary - node_start(node));
  }
}

uint64_t PromptTree::key_at(int32_t leaf, int64_t tokens) const {
  if (tokens < 1 || tokens > end_tokens(leaf))
    throw InternalError(fmt::format("the key of {} tokens on a path of {}", tokens, end_tokens(leaf)));
  int32_t node = leaf;
  while (node_start(node) >= tokens) node = parent(node);
  return prefix_key(node, tokens - node_start(node));
}

}  // namespace llmpo
