#include "prefix_block_pool.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

PrefixBlockPool::PrefixBlockPool(int64_t total_blocks, int64_t block_size_tokens)
    : total_blocks_(total_blocks), block_count_(block_size_tokens) {
  if (block_size_tokens <= 0)
    throw InternalError(fmt::format("prefix block pool: block size must be positive, got {}", block_size_tokens));
  if (total_blocks < 0)
    throw InternalError(fmt::format("prefix block pool: block count must not be negative, got {}", total_blocks));
  append_anonymous(total_blocks, nullptr);  // never used: reused first, in any order
}

void PrefixBlockPool::use_prompts(const PromptTree* prompts) {
  prompts_ = prompts;
  // Every cached block is a physical block: the index never outgrows the pool, so it is sized
  // once instead of rehashing while the cache fills.
  if (prompts != nullptr && !key_index_.sized()) {
    key_index_.reserve_for(total_blocks_);
    nodes_.reserve(static_cast<std::size_t>(total_blocks_) + 1);
  }
}

// --- the free queue (an intrusive doubly linked list over nodes_) -------------------------------

int32_t PrefixBlockPool::new_node() {
  if (!spare_nodes_.empty()) {
    const int32_t id = spare_nodes_.back();
    spare_nodes_.pop_back();
    nodes_[static_cast<std::size_t>(id)] = Node{};
    return id;
  }
  nodes_.emplace_back();
  return static_cast<int32_t>(nodes_.size()) - 1;
}

void PrefixBlockPool::recycle(int32_t id) {
  nodes_[static_cast<std::size_t>(id)] = Node{};  // neither keyed nor queued: the audit skips it
  spare_nodes_.push_back(id);
}

void PrefixBlockPool::link_tail(int32_t id) {
  Node& n = nodes_[static_cast<std::size_t>(id)];
  n.prev = tail_;
  n.next = kNone;
  n.queued = true;
  if (tail_ != kNone) nodes_[static_cast<std::size_t>(tail_)].next = id;
  else head_ = id;
  tail_ = id;
  free_blocks_ += n.blocks;
}

void PrefixBlockPool::unlink(int32_t id) {
  Node& n = nodes_[static_cast<std::size_t>(id)];
  if (n.prev != kNone) nodes_[static_cast<std::size_t>(n.prev)].next = n.next;
  else head_ = n.next;
  if (n.next != kNone) nodes_[static_cast<std::size_t>(n.next)].prev = n.prev;
  else tail_ = n.prev;
  n.prev = n.next = kNone;
  n.queued = false;
  free_blocks_ -= n.blocks;
}

void PrefixBlockPool::append_anonymous(int64_t blocks, const RequestState* owner) {
  if (blocks <= 0) return;
  // Adjacent unowned runs merge, so requests without content keep the queue short.
  if (owner == nullptr && tail_ != kNone) {
    Node& last = nodes_[static_cast<std::size_t>(tail_)];
    if (!last.keyed && last.owner == nullptr) {
      last.blocks += blocks;
      free_blocks_ += blocks;
      return;
    }
  }
  const int32_t id = new_node();
  Node& n = nodes_[static_cast<std::size_t>(id)];
  n.owner = owner;
  n.blocks = blocks;
  link_tail(id);
  if (owner != nullptr) owned_runs_[owner] = id;
}

void PrefixBlockPool::take_from_head(int64_t blocks) {
  if (blocks > free_blocks_)
    throw InternalError(fmt::format("prefix block pool: {} blocks allocated, {} free", blocks, free_blocks_));
  while (blocks > 0) {
    const int32_t id = head_;
    Node& n = nodes_[static_cast<std::size_t>(id)];
    if (n.keyed) {
      // Reusing a cached block drops its key (block_pool.py _maybe_evict_cached_block).
      const uint64_t key = n.key;
      key_index_.erase(key);  // (present: a keyed node is always indexed)
      unlink(id);
      recycle(id);
      if (tier_ != nullptr) tier_->evicted(key);
      blocks -= 1;
      continue;
    }
    // A run loses its last blocks first: what is left of a preempted request's run is its prefix.
    const int64_t taken = std::min(blocks, n.blocks);
    n.blocks -= taken;
    free_blocks_ -= taken;
    blocks -= taken;
    if (n.blocks == 0) {
      if (n.owner != nullptr) owned_runs_.erase(n.owner);
      unlink(id);
      recycle(id);
    }
  }
}

// --- requests ------------------------------------------------------------------------------

PrefixBlockPool::ContentBlocks& PrefixBlockPool::content_of(const RequestState& r) {
  auto [it, inserted] = content_.try_emplace(&r);
  if (inserted) {
    // The keys of every full block the request will ever fill: its prompt and output tokens,
    // as far as its content path names them. Computed once per request, O(blocks + path).
    const int32_t leaf = r.request.content_node;
    const int64_t named = std::min<int64_t>(r.total_tokens(), prompts_->end_tokens(leaf));
    prompts_->block_keys(leaf, named, block_count_.size_tokens(), it->second.keys);
  }
  return it->second;
}

PrefixMatch PrefixBlockPool::match(const RequestState& r) {
  PrefixMatch m;
  if (!has_content(r)) {
    // A preempted request's own surviving blocks: all are taken back (they are its prefix), and
    // the hit is capped so that one token is computed.
    const auto it = owned_runs_.find(&r);
    if (it == owned_runs_.end()) return m;
    m.gpu_blocks = m.evictable_blocks = nodes_[static_cast<std::size_t>(it->second)].blocks;
    m.hit_tokens = std::min<int64_t>(m.gpu_blocks * block_count_.size_tokens(), r.current_tokens() - 1);
    return m;
  }
  const ContentBlocks& content = content_of(r);
  // kv_cache_manager.py: max_cache_hit_length = num_tokens - 1, in whole blocks.
  const int64_t max_blocks =
      std::min<int64_t>(static_cast<int64_t>(content.keys.size()), (r.current_tokens() - 1) / block_count_.size_tokens());
  int64_t hit = 0;
  for (; hit < max_blocks; ++hit) {
    const int32_t id = key_index_.find(content.keys[static_cast<std::size_t>(hit)]);
    if (id == BlockKeyIndex::kMissing) break;
    if (nodes_[static_cast<std::size_t>(id)].ref_count == 0) ++m.evictable_blocks;
  }
  m.gpu_blocks = hit;
  // Where a host-memory tier extends the GPU hit (the coordinator wires one in).
  if (tier_ != nullptr && hit < max_blocks)
    m.host_blocks = std::clamp<int64_t>(tier_->further_hit_blocks(content.keys, hit, max_blocks - hit), 0,
                                        max_blocks - hit);
  m.hit_tokens = (m.gpu_blocks + m.host_blocks) * block_count_.size_tokens();
  return m;
}

int64_t PrefixBlockPool::blocks_to_allocate(const PrefixMatch& m, int64_t tokens) const {
  return std::max<int64_t>(0, blocks_for_tokens(tokens) - m.gpu_blocks) + m.evictable_blocks;
}

void PrefixBlockPool::acquire(RequestState& r, const PrefixMatch& m) {
  if (r.allocated_blocks != 0)
    throw InternalError(fmt::format("prefix block pool: request {} takes cached blocks while holding {}", r.request.id,
                                    r.allocated_blocks));
  if (m.gpu_blocks == 0) return;
  if (!has_content(r)) {
    const auto it = owned_runs_.find(&r);
    if (it == owned_runs_.end() || nodes_[static_cast<std::size_t>(it->second)].blocks != m.gpu_blocks)
      throw InternalError(fmt::format("prefix block pool: request {}'s {} cached blocks are gone", r.request.id,
                                      m.gpu_blocks));
    const int32_t id = it->second;
    owned_runs_.erase(it);
    unlink(id);
    recycle(id);
  } else {
    ContentBlocks& content = content_of(r);
    content.table.clear();
    for (int64_t i = 0; i < m.gpu_blocks; ++i) {
      const int32_t id = key_index_.find(content.keys[static_cast<std::size_t>(i)]);
      if (id == BlockKeyIndex::kMissing)
        throw InternalError(fmt::format("prefix block pool: request {}'s hit block {} is not cached", r.request.id, i));
      Node& n = nodes_[static_cast<std::size_t>(id)];
      if (n.ref_count == 0) unlink(id);  // a hit on a free block takes it out of the queue
      else ++shared_extra_;
      ++n.ref_count;
      content.table.push_back(id);
    }
  }
  r.allocated_blocks = static_cast<int32_t>(m.gpu_blocks);
  table_blocks_ += m.gpu_blocks;
  blocks_moved_since_audit_ += m.gpu_blocks;
}

bool PrefixBlockPool::grow_slow(RequestState& r, int64_t tokens, int64_t cache_tokens) {
  const int64_t needed = blocks_for_tokens(tokens) - r.allocated_blocks;
  if (needed > free_blocks_) return false;
  if (needed > 0) {
    take_from_head(needed);
    r.allocated_blocks += static_cast<int32_t>(needed);
    table_blocks_ += needed;
    blocks_moved_since_audit_ += needed;
  }
  if (has_content(r)) register_full_blocks(content_of(r), std::min(tokens, cache_tokens), r.allocated_blocks);
  return true;
}

bool PrefixBlockPool::take_grown(int64_t blocks) {
  if (any_content()) throw InternalError("prefix block pool: take_grown with content identity");
  if (blocks > free_blocks_) return false;
  take_from_head(blocks);
  table_blocks_ += blocks;
  blocks_moved_since_audit_ += blocks;
  return true;
}

void PrefixBlockPool::register_full_blocks(ContentBlocks& content, int64_t tokens, int64_t allocated_blocks) {
  const auto full = static_cast<std::size_t>(
      std::min<int64_t>({tokens / block_count_.size_tokens(), static_cast<int64_t>(content.keys.size()), allocated_blocks}));
  if (tier_ != nullptr && content.table.size() < full)
    tier_->filled(content.keys.data(), static_cast<int64_t>(content.table.size()), static_cast<int64_t>(full));
  while (content.table.size() < full) {
    const uint64_t key = content.keys[content.table.size()];
    if (key_index_.find(key) != BlockKeyIndex::kMissing) {
      content.table.push_back(kPrivateCopy);  // another copy of these tokens is cached: this one stays private
      continue;
    }
    // The block was one of the request's own: it only gains a key and a reference count of 1.
    const int32_t id = new_node();
    Node& n = nodes_[static_cast<std::size_t>(id)];
    n.key = key;
    n.keyed = true;
    n.blocks = 1;
    n.ref_count = 1;
    key_index_.insert(key, id);
    content.table.push_back(id);
  }
}

void PrefixBlockPool::free(RequestState& r, bool preempted) {
  if (r.allocated_blocks < 0)
    throw InternalError(fmt::format("prefix block pool: request {} holds {} blocks", r.request.id, r.allocated_blocks));
  const int64_t blocks = r.allocated_blocks;
  table_blocks_ -= blocks;
  blocks_moved_since_audit_ += blocks;
  r.allocated_blocks = 0;
  if (!has_content(r)) {
    if (preempted && owned_runs_.contains(&r))
      throw InternalError(
          fmt::format("prefix block pool: request {} freed blocks twice without being scheduled", r.request.id));
    append_anonymous(blocks, preempted ? &r : nullptr);
    return;
  }
  const auto it = content_.find(&r);
  if (it == content_.end()) {
    if (blocks != 0)
      throw InternalError(fmt::format("prefix block pool: request {} holds {} blocks it never matched", r.request.id,
                                      blocks));
    return;
  }
  std::vector<int32_t>& table = it->second.table;
  // Last block first: the private tail (partial block, blocks past the content path), then the
  // registered blocks backwards.
  append_anonymous(blocks - static_cast<int64_t>(table.size()), nullptr);
  for (auto b = table.rbegin(); b != table.rend(); ++b) {
    if (*b == kPrivateCopy) {
      append_anonymous(1, nullptr);
      continue;
    }
    Node& n = nodes_[static_cast<std::size_t>(*b)];
    if (--n.ref_count > 0) --shared_extra_;
    else link_tail(*b);
  }
  table.clear();
  if (!preempted) content_.erase(it);
}

void PrefixBlockPool::check_invariants() const {
  // Physical blocks: what is not free is the holders' tables, a shared block counted once.
  if (free_blocks_ < 0 || total_blocks_ - free_blocks_ != table_blocks_ - shared_extra_)
    throw InternalError(fmt::format("prefix block pool: {} of {} blocks free, but tables hold {} ({} shared)",
                                    free_blocks_, total_blocks_, table_blocks_, shared_extra_));
  // The full audit below visits every node, table entry and index slot, each a likely cache miss
  // on a large cache: on one, it waits until blocks have moved kAuditAfterMovesPerNode times the
  // node count. Once per node count it was 18% of the `perf` prefix benchmark's time; at four
  // times, 4.7% of the instructions of `perf --requests 1000` (mostly that benchmark) and more of
  // its time, the misses; at sixteen, 1.4% (callgrind, 2026-12-07). A damaged pool is still caught
  // within a few thousand steps, and the O(1) conservation check above runs every time.
  constexpr std::size_t kAlwaysAuditNodes = 4096;
  constexpr int64_t kAuditAfterMovesPerNode = 16;
  if (nodes_.size() > kAlwaysAuditNodes &&
      blocks_moved_since_audit_ < kAuditAfterMovesPerNode * static_cast<int64_t>(nodes_.size()))
    return;
  blocks_moved_since_audit_ = 0;
  // The free queue, checked in node order rather than by walking it (a walk chases one pointer
  // per block, a miss each on a large cache): its nodes link to each other both ways, it has one
  // head and one tail, its blocks add up to free_blocks(), and each owned run is indexed.
  int64_t queued_blocks = 0, queued_nodes = 0, owned = 0, queued_keyed = 0;
  const auto node_count = static_cast<int32_t>(nodes_.size());
  for (int32_t id = 0; id < node_count; ++id) {
    const Node& n = nodes_[static_cast<std::size_t>(id)];
    if (!n.queued) continue;
    const bool linked = (n.prev == kNone ? head_ == id : n.prev < node_count && nodes_[static_cast<std::size_t>(n.prev)].next == id) &&
                        (n.next == kNone ? tail_ == id : n.next < node_count && nodes_[static_cast<std::size_t>(n.next)].prev == id);
    if (!linked || n.blocks <= 0 || (n.keyed && (n.blocks != 1 || n.ref_count != 0)))
      throw InternalError(fmt::format("prefix block pool: free queue node {} is damaged ({} blocks, ref {})", id,
                                      n.blocks, n.ref_count));
    ++queued_nodes;
    queued_blocks += n.blocks;
    if (n.keyed) ++queued_keyed;
    if (n.owner != nullptr) {
      ++owned;
      const auto it = owned_runs_.find(n.owner);
      if (it == owned_runs_.end() || it->second != id)
        throw InternalError(fmt::format("prefix block pool: a preempted request's run {} is not indexed", id));
    }
  }
  if ((queued_nodes == 0) != (head_ == kNone) || (head_ == kNone) != (tail_ == kNone) ||
      queued_blocks != free_blocks_ || owned != static_cast<int64_t>(owned_runs_.size()))
    throw InternalError(fmt::format("prefix block pool: the free queue holds {} blocks ({} owned runs), counted {} ({})",
                                    queued_blocks, owned, free_blocks_, owned_runs_.size()));
  // Cached blocks, scanned in node order (cheaper than walking the hash index; the audit runs
  // every few dozen steps on caches of many thousand blocks): each keyed node is indexed under
  // its key, its reference count is the number of block tables naming it, and it is queued
  // exactly when that count is zero.
  std::vector<int32_t>& holders = audit_holders_;
  holders.assign(nodes_.size(), 0);
  int64_t table_entries = 0;
  for (const auto& [request, content] : content_)
    for (const int32_t id : content.table)
      if (id != kPrivateCopy) {
        if (id < 0 || id >= static_cast<int32_t>(nodes_.size()) || !nodes_[static_cast<std::size_t>(id)].keyed)
          throw InternalError(fmt::format("prefix block pool: request {}'s table names block {}, not a cached block",
                                          request->request.id, id));
        ++holders[static_cast<std::size_t>(id)];
        ++table_entries;
      }
  int64_t keyed_nodes = 0, held_refs = 0, shared_extra = 0, unreferenced = 0;
  for (std::size_t id = 0; id < nodes_.size(); ++id) {
    const Node& n = nodes_[id];
    if (!n.keyed) continue;
    ++keyed_nodes;
    if (n.ref_count != holders[id] || n.queued != (n.ref_count == 0))
      throw InternalError(fmt::format("prefix block pool: cached block {} has ref count {}, {} tables hold it", id,
                                      n.ref_count, holders[id]));
    if (n.ref_count == 0) ++unreferenced;
    else {
      held_refs += n.ref_count;
      shared_extra += n.ref_count - 1;
    }
  }
  // The index, scanned in slot order: each key names a cached block holding that key, so with as
  // many keys as cached blocks, every cached block is indexed exactly once.
  key_index_.for_each([&](uint64_t key, int32_t id) {
    if (id < 0 || id >= static_cast<int32_t>(nodes_.size()) || !nodes_[static_cast<std::size_t>(id)].keyed ||
        nodes_[static_cast<std::size_t>(id)].key != key)
      throw InternalError(fmt::format("prefix block pool: key {:#x} is indexed to block {}, which is not cached under it",
                                      key, id));
  });
  if (keyed_nodes != key_index_.size() || unreferenced != queued_keyed ||
      held_refs != table_entries || shared_extra != shared_extra_)
    throw InternalError(fmt::format(
        "prefix block pool: {} cached blocks, {} keys indexed; {} free but {} queued; {} references but {} table "
        "entries; {} shared copies, counted {}",
        keyed_nodes, key_index_.size(), unreferenced, queued_keyed, held_refs, table_entries, shared_extra,
        shared_extra_));
}

}  // namespace llmpo
