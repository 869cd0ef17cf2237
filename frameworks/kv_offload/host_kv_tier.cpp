#include "host_kv_tier.hpp"

#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

HostKvTier::HostKvTier(int64_t capacity_blocks, double block_bytes_per_gpu, double pcie_bytes_per_s,
                       HostEvictionPolicy policy, double block_copy_overhead_s)
    : capacity_blocks_(capacity_blocks),
      block_bytes_per_gpu_(block_bytes_per_gpu),
      pcie_bytes_per_s_(pcie_bytes_per_s),
      block_copy_overhead_s_(block_copy_overhead_s) {
  if (capacity_blocks < 0 || !(block_bytes_per_gpu > 0) || !(pcie_bytes_per_s > 0) ||
      !(block_copy_overhead_s >= 0) || !std::isfinite(block_bytes_per_gpu) || !std::isfinite(pcie_bytes_per_s))
    throw InternalError(fmt::format("HostKvTier: capacity {} blocks, {} B per block, {} B/s over PCIe, {} s per copy",
                                    capacity_blocks, block_bytes_per_gpu, pcie_bytes_per_s, block_copy_overhead_s));
  if (policy != HostEvictionPolicy::lru) throw InternalError("HostKvTier: only the LRU policy is modelled");
}

int64_t HostKvTier::store(const uint64_t* keys, int64_t n) {
  // What to copy is decided before anything is evicted, as prepare_store filters the hashes
  // already stored first: a block of this chain evicted below to make room is not stored again.
  std::vector<uint64_t>& missing = missing_scratch_;
  missing.clear();
  for (int64_t i = 0; i < n; ++i)
    if (!contains(keys[i])) missing.push_back(keys[i]);
  const auto new_blocks = static_cast<int64_t>(missing.size());
  if (new_blocks > capacity_blocks_) {
    ++counters_.refused_stores;
    return 0;
  }
  const int64_t to_evict = new_blocks - (capacity_blocks_ - size_blocks());
  for (int64_t i = 0; i < to_evict; ++i) evict_front();
  for (const uint64_t key : missing) {
    int64_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<int64_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[static_cast<std::size_t>(slot)].key = key;
    link_back(slot);
    slot_of_.emplace(key, slot);
  }
  counters_.stored_blocks += new_blocks;
  // Last to first, so that the chain's first block ends most recently used.
  for (int64_t i = n - 1; i >= 0; --i) {
    const auto found = slot_of_.find(keys[i]);
    if (found != slot_of_.end()) move_to_back(found->second);
  }
  return new_blocks;
}

int64_t HostKvTier::match(const uint64_t* keys, int64_t n) {
  for (int64_t i = n - 1; i >= 0; --i) {
    const auto found = slot_of_.find(keys[i]);
    if (found != slot_of_.end()) move_to_back(found->second);
  }
  int64_t hits = 0;
  while (hits < n && contains(keys[hits])) ++hits;
  return hits;
}

SimTime HostKvTier::load(int64_t blocks) {
  if (blocks < 0) throw InternalError(fmt::format("HostKvTier::load: {} blocks", blocks));
  counters_.loaded_blocks += blocks;
  return load_time_ns(blocks);
}

SimTime HostKvTier::transfer_time_ns(int64_t blocks) const {
  if (blocks <= 0) return 0;
  const double per_block_s = block_bytes_per_gpu_ / pcie_bytes_per_s_ + block_copy_overhead_s_;
  return duration_to_ns(static_cast<double>(blocks) * per_block_s);
}

std::vector<uint64_t> HostKvTier::keys_lru_first() const {
  std::vector<uint64_t> keys;
  for (int64_t s = front_; s >= 0; s = slots_[static_cast<std::size_t>(s)].next)
    keys.push_back(slots_[static_cast<std::size_t>(s)].key);
  return keys;
}

void HostKvTier::check_invariants() const {
  int64_t listed = 0;
  int64_t previous = -1;
  for (int64_t s = front_; s >= 0; s = slots_[static_cast<std::size_t>(s)].next) {
    const Slot& slot = slots_[static_cast<std::size_t>(s)];
    if (slot.prev != previous) throw InternalError("HostKvTier: LRU list links disagree");
    const auto found = slot_of_.find(slot.key);
    if (found == slot_of_.end() || found->second != s) throw InternalError("HostKvTier: a listed block is not indexed");
    previous = s;
    if (++listed > size_blocks()) throw InternalError("HostKvTier: the LRU list is longer than the index");
  }
  if (previous != back_) throw InternalError("HostKvTier: the LRU list does not end at its back");
  if (listed != size_blocks()) throw InternalError("HostKvTier: the index holds blocks the LRU list lacks");
  if (size_blocks() > capacity_blocks_)
    throw InternalError(fmt::format("HostKvTier: {} blocks over a capacity of {}", size_blocks(), capacity_blocks_));
  if (listed + static_cast<int64_t>(free_slots_.size()) != static_cast<int64_t>(slots_.size()))
    throw InternalError("HostKvTier: slots are neither used nor free");
  if (counters_.stored_blocks - counters_.evicted_blocks != size_blocks())
    throw InternalError(fmt::format("HostKvTier: stored {} - evicted {} != {} held", counters_.stored_blocks,
                                    counters_.evicted_blocks, size_blocks()));
}

void HostKvTier::move_to_back(int64_t slot) {
  if (slot == back_) return;
  unlink(slot);
  link_back(slot);
}

void HostKvTier::unlink(int64_t slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (s.prev >= 0) slots_[static_cast<std::size_t>(s.prev)].next = s.next; else front_ = s.next;
  if (s.next >= 0) slots_[static_cast<std::size_t>(s.next)].prev = s.prev; else back_ = s.prev;
  s.prev = s.next = -1;
}

void HostKvTier::link_back(int64_t slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  s.prev = back_;
  s.next = -1;
  if (back_ >= 0) slots_[static_cast<std::size_t>(back_)].next = slot; else front_ = slot;
  back_ = slot;
}

void HostKvTier::evict_front() {
  const int64_t slot = front_;
  unlink(slot);
  slot_of_.erase(slots_[static_cast<std::size_t>(slot)].key);
  free_slots_.push_back(slot);
  ++counters_.evicted_blocks;
}

}  // namespace llmpo
