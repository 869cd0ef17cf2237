#include "radix_cache.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

void content_segments(const PromptTree* prompts, int32_t content_node, int64_t request_id, int64_t total_tokens,
                      std::vector<ContentSegment>& out) {
  out.clear();
  if (prompts == nullptr || content_node == kNoPromptNode) {
    out.push_back({private_segment_key(request_id), 0, total_tokens});
    return;
  }
  std::vector<int32_t> nodes;
  prompts->path(content_node, nodes);
  out.reserve(nodes.size());
  for (const int32_t n : nodes) out.push_back({n, prompts->start_tokens(n), prompts->end_tokens(n)});
}

RadixCache::RadixCache(const PromptTree* prompts) : prompts_(prompts) {
  Node root;
  root.alive = true;
  root.lock_ref = 1;  // SGLang's root is always locked: it is never evicted
  nodes_.push_back(root);
}

int64_t RadixCache::segment_parent(int64_t key) const {
  return key >= 0 && prompts_ != nullptr ? prompts_->parent(static_cast<int32_t>(key)) : kNoPromptNode;
}

int64_t RadixCache::segment_start(int64_t key) const {
  return key >= 0 && prompts_ != nullptr ? prompts_->start_tokens(static_cast<int32_t>(key)) : 0;
}

int64_t RadixCache::segment_end(int64_t key) const {
  if (key < 0 || prompts_ == nullptr)
    throw InternalError("radix cache: the end of a private segment is its edge's end, not a PromptTree lookup");
  return prompts_->end_tokens(static_cast<int32_t>(key));
}

int64_t RadixCache::key_at(int32_t id, int64_t depth) const {
  int64_t key = node(id).last_key;
  while (segment_start(key) > depth) key = segment_parent(key);
  return key;
}

int64_t RadixCache::agreement_end(int32_t id, const std::vector<ContentSegment>& path, std::size_t index,
                                  int64_t limit) {
  const Node& n = node(id);
  // The edge's segments, first to last (walked up from the last one).
  chain_.clear();
  for (int64_t key = n.last_key;; key = segment_parent(key)) {
    chain_.push_back(key);
    if (key == n.first_key) break;
    if (key < 0) throw InternalError(fmt::format("radix cache: node {}'s segments do not lead back to {}", id, n.first_key));
  }
  std::reverse(chain_.begin(), chain_.end());
  std::size_t agreed = 0;
  while (agreed < chain_.size() && index + agreed < path.size() && path[index + agreed].key == chain_[agreed]) ++agreed;
  const int64_t end = agreed == chain_.size() ? n.end : std::min(n.end, segment_end(chain_[agreed - 1]));
  return std::min(end, limit);
}

int32_t RadixCache::find_child(int32_t parent, int64_t key) const {
  const auto it = children_.find({parent, key});
  return it == children_.end() ? -1 : it->second;
}

int32_t RadixCache::new_node() {
  if (!free_ids_.empty()) {
    const int32_t id = free_ids_.back();
    free_ids_.pop_back();
    node(id) = Node{};
    node(id).alive = true;
    return id;
  }
  nodes_.emplace_back();
  nodes_.back().alive = true;
  return static_cast<int32_t>(nodes_.size() - 1);
}

void RadixCache::touch(int32_t id) {
  node(id).last_access = ++clock_;
  refresh_lru(id);
}

void RadixCache::refresh_lru(int32_t id) {
  Node& n = node(id);
  if (n.in_lru) lru_leaves_.erase({n.lru_access, id});
  const bool evictable_leaf = id != kRoot && n.alive && n.children == 0 && n.lock_ref == 0;
  if (evictable_leaf) lru_leaves_.insert({n.last_access, id});
  n.in_lru = evictable_leaf;
  n.lru_access = n.last_access;
}


int32_t RadixCache::split(int32_t id, int64_t at) {
  // _split_node: a new node takes the edge's first part and the child keeps the rest; the new
  // node inherits the lock count and access time, so locks and eviction order are unchanged.
  const int32_t upper = new_node();
  Node& child = node(id);
  Node& top = node(upper);
  top.parent = child.parent;
  top.first_key = child.first_key;
  top.last_key = key_at(id, at - 1);
  top.start = child.start;
  top.end = at;
  top.children = 1;
  top.lock_ref = child.lock_ref;
  top.last_access = child.last_access;
  children_[{child.parent, child.first_key}] = upper;
  Node& lower = node(id);  // new_node() may have moved the storage
  lower.first_key = key_at(id, at);
  lower.start = at;
  lower.parent = upper;
  children_[{upper, lower.first_key}] = id;
  return upper;
}

RadixCache::Match RadixCache::match_prefix(const std::vector<ContentSegment>& path, int64_t limit_tokens) {
  Match m;
  touch(kRoot);
  std::size_t index = 0;
  while (m.tokens < limit_tokens) {
    while (index < path.size() && path[index].end_tokens <= m.tokens) ++index;
    if (index == path.size()) break;
    const int32_t child = find_child(m.node, path[index].key);
    if (child < 0) break;
    const int64_t agreed = agreement_end(child, path, index, limit_tokens);
    if (agreed <= node(child).start) break;
    touch(child);
    if (agreed < node(child).end) {
      m.node = split(child, agreed);
      m.tokens = agreed;
      break;
    }
    m.node = child;
    m.tokens = node(child).end;
  }
  return m;
}

RadixCache::Inserted RadixCache::insert(const std::vector<ContentSegment>& path, int64_t tokens) {
  Inserted result;
  touch(kRoot);
  int64_t depth = 0;
  std::size_t index = 0;
  while (depth < tokens) {
    while (index < path.size() && path[index].end_tokens <= depth) ++index;
    if (index == path.size())
      throw InternalError(fmt::format("radix cache: inserting {} tokens of a path of {}", tokens,
                                      path.empty() ? 0 : path.back().end_tokens));
    const int32_t child = find_child(result.node, path[index].key);
    if (child < 0) {
      // The rest is new: one edge from here to `tokens`.
      std::size_t last = index;
      while (path[last].end_tokens < tokens) ++last;
      const int32_t id = new_node();
      Node& n = node(id);
      n.parent = result.node;
      n.first_key = path[index].key;
      n.last_key = path[last].key;
      n.start = depth;
      n.end = tokens;
      children_[{result.node, n.first_key}] = id;
      node(result.node).children += 1;
      refresh_lru(result.node);  // no longer a leaf
      total_tokens_ += tokens - depth;
      evictable_tokens_ += tokens - depth;
      result.new_tokens += tokens - depth;
      touch(id);
      result.node = id;
      break;
    }
    const int64_t agreed = agreement_end(child, path, index, tokens);
    touch(child);
    if (agreed < node(child).end) {
      result.node = split(child, agreed);
      depth = agreed;
      continue;
    }
    result.node = child;
    depth = node(child).end;
  }
  return result;
}

void RadixCache::inc_lock_ref(int32_t id) {
  for (int32_t n = id; n != kRoot; n = node(n).parent) {
    Node& x = node(n);
    if (x.lock_ref == 0) evictable_tokens_ -= x.end - x.start;
    x.lock_ref += 1;
    refresh_lru(n);
  }
}

void RadixCache::dec_lock_ref(int32_t id) {
  for (int32_t n = id; n != kRoot; n = node(n).parent) {
    Node& x = node(n);
    if (x.lock_ref <= 0) throw InternalError(fmt::format("radix cache: node {} unlocked more often than locked", n));
    x.lock_ref -= 1;
    if (x.lock_ref == 0) evictable_tokens_ += x.end - x.start;
    refresh_lru(n);
  }
}

void RadixCache::remove_leaf(int32_t id) {
  Node& n = node(id);
  const int64_t tokens = n.end - n.start;
  const int32_t parent = n.parent;
  lru_leaves_.erase({n.lru_access, id});
  children_.erase({parent, n.first_key});
  total_tokens_ -= tokens;
  evictable_tokens_ -= tokens;
  n = Node{};
  free_ids_.push_back(id);
  node(parent).children -= 1;
  refresh_lru(parent);  // it may have become an unlocked leaf
}

int64_t RadixCache::evict(int64_t tokens) {
  int64_t freed = 0;
  while (freed < tokens && !lru_leaves_.empty()) {
    const int32_t id = lru_leaves_.begin()->second;
    freed += node(id).end - node(id).start;
    remove_leaf(id);
  }
  return freed;
}

void RadixCache::check_invariants() const {
  int64_t total = 0, evictable = 0, leaves = 0;
  std::vector<int32_t> child_count(nodes_.size(), 0);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (!n.alive) continue;
    if (n.end <= n.start || n.parent < 0 || !node(n.parent).alive || node(n.parent).end != n.start)
      throw InternalError(fmt::format("radix cache: node {} covers [{}, {}) under node {}", i, n.start, n.end, n.parent));
    total += n.end - n.start;
    if (n.lock_ref == 0) evictable += n.end - n.start;
    if (n.lock_ref < 0 || (n.parent != kRoot && node(n.parent).lock_ref < n.lock_ref))
      throw InternalError(fmt::format("radix cache: node {} has {} locks, its parent {}", i, n.lock_ref,
                                      node(n.parent).lock_ref));
    child_count[static_cast<std::size_t>(n.parent)] += 1;
    if (n.in_lru) ++leaves;
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].alive && child_count[i] != nodes_[i].children)
      throw InternalError(fmt::format("radix cache: node {} counts {} children, has {}", i, nodes_[i].children,
                                      child_count[i]));
  if (total != total_tokens_ || evictable != evictable_tokens_ || leaves != static_cast<int64_t>(lru_leaves_.size()) ||
      children_.size() != static_cast<std::size_t>(node_count() - 1))
    throw InternalError(fmt::format("radix cache: counters say {} tokens ({} evictable), the nodes {} ({})", total_tokens_,
                                    evictable_tokens_, total, evictable));
}

}  // namespace llmpo
