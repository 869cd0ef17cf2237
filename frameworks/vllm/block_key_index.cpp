#include "block_key_index.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

bool BlockKeyIndex::insert(uint64_t key, int32_t value) {
  if (key == 0) throw InternalError("block key index: key 0 marks empty slots and cannot be stored");
  if (static_cast<std::size_t>(size_ + 1) * 2 > slots_.size())
    throw InternalError(fmt::format("block key index: {} keys do not fit a table of {} slots", size_ + 1,
                                    slots_.size()));
  std::size_t i = home(key);
  for (; slots_[i].key != 0; i = (i + 1) & mask_)
    if (slots_[i].key == key) return false;
  slots_[i] = Slot{key, value};
  ++size_;
  return true;
}

bool BlockKeyIndex::erase(uint64_t key) {
  if (slots_.empty()) return false;
  std::size_t hole = home(key);
  for (;; hole = (hole + 1) & mask_) {
    if (slots_[hole].key == 0) return false;
    if (slots_[hole].key == key) break;
  }
  // Backward shift: later entries of the probe run move into the hole unless their home lies
  // cyclically after the hole and at or before their own slot (then the hole does not break
  // their probe path).
  for (std::size_t next = (hole + 1) & mask_; slots_[next].key != 0; next = (next + 1) & mask_) {
    const std::size_t home_of_next = home(slots_[next].key);
    const bool stays = hole <= next ? (hole < home_of_next && home_of_next <= next)
                                    : (hole < home_of_next || home_of_next <= next);
    if (stays) continue;
    slots_[hole] = slots_[next];
    hole = next;
  }
  slots_[hole] = Slot{};
  --size_;
  return true;
}

}  // namespace llmpo
