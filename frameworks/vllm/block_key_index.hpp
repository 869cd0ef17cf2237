#pragma once
// The prefix cache's key -> block index (vLLM's cached_block_hash_to_block), as an open-addressing
// table: every block allocated, hit or evicted on a workload with shared prefixes does one
// lookup here, and a node-based std::unordered_map spent most of that time in cache misses. Its
// size never exceeds the pool's block count (a key names a physical block), so the table is sized
// once for it, at most half full, and never rehashes. Linear probing with backward-shift
// deletion (no tombstones). Key 0 marks an empty slot: block keys never are 0 (prefix_key of a
// block has an offset >= 1).
#include <cstdint>
#include <vector>

namespace llmpo {

class BlockKeyIndex {
 public:
  static constexpr int32_t kMissing = -1;

  // Room for `max_entries` keys.
  void reserve_for(int64_t max_entries) {
    std::size_t capacity = 16;
    while (capacity < static_cast<std::size_t>(max_entries) * 2 + 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
  }

  int64_t size() const { return size_; }
  bool sized() const { return !slots_.empty(); }

  int32_t find(uint64_t key) const {
    if (slots_.empty()) return kMissing;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return slots_[i].value;
      if (slots_[i].key == 0) return kMissing;
    }
  }

  // Inserts key -> value unless the key is present; returns false (changing nothing) if it is.
  // Throws InternalError when the table would be more than half full.
  bool insert(uint64_t key, int32_t value);

  // Removes the key; returns false when it is absent.
  bool erase(uint64_t key);

  // Calls f(key, value) for every entry, in slot order (for audits).
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.key != 0) f(s.key, s.value);
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int32_t value = kMissing;
  };
  // Fibonacci hashing: block keys are (node << 32 | offset), whose low bits repeat across nodes.
  std::size_t home(uint64_t key) const { return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  int64_t size_ = 0;
};

}  // namespace llmpo
