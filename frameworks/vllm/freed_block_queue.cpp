#include "freed_block_queue.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

FreedBlockQueue::FreedBlockQueue(int64_t total_blocks) { free_unowned(total_blocks); }

void FreedBlockQueue::free_preempted(const RequestState& r, int64_t blocks) {
  if (blocks <= 0) return;
  if (by_owner_.contains(&r))
    throw InternalError(fmt::format("freed block queue: request {} freed blocks twice without being scheduled", r.request.id));
  queue_.push_back({&r, blocks});
  by_owner_[&r] = std::prev(queue_.end());
  free_blocks_ += blocks;
}

void FreedBlockQueue::free_unowned(int64_t blocks) {
  if (blocks <= 0) return;
  // Adjacent unowned runs merge: the queue stays as short as the number of waiting preempted requests.
  if (!queue_.empty() && queue_.back().owner == nullptr) queue_.back().blocks += blocks;
  else queue_.push_back({nullptr, blocks});
  free_blocks_ += blocks;
}

void FreedBlockQueue::allocate(int64_t blocks) {
  if (blocks > free_blocks_)
    throw InternalError(fmt::format("freed block queue: {} blocks allocated, {} free", blocks, free_blocks_));
  free_blocks_ -= blocks;
  while (blocks > 0) {
    Segment& head = queue_.front();
    const int64_t taken = std::min(blocks, head.blocks);
    head.blocks -= taken;  // an owned run loses its last blocks first: what is left is its prefix
    blocks -= taken;
    if (head.blocks == 0) {
      if (head.owner != nullptr) by_owner_.erase(head.owner);
      queue_.pop_front();
    }
  }
}

int64_t FreedBlockQueue::cached_blocks(const RequestState& r) const {
  const auto it = by_owner_.find(&r);
  return it == by_owner_.end() ? 0 : it->second->blocks;
}

int64_t FreedBlockQueue::take(const RequestState& r) {
  const auto it = by_owner_.find(&r);
  if (it == by_owner_.end()) return 0;
  const int64_t blocks = it->second->blocks;
  queue_.erase(it->second);
  by_owner_.erase(it);
  free_blocks_ -= blocks;
  return blocks;
}

void FreedBlockQueue::check_invariants() const {
  int64_t sum = 0, owned = 0;
  for (const Segment& s : queue_) {
    if (s.blocks <= 0) throw InternalError("freed block queue: an empty segment is queued");
    sum += s.blocks;
    if (s.owner != nullptr) ++owned;
  }
  if (sum != free_blocks_ || owned != static_cast<int64_t>(by_owner_.size()))
    throw InternalError(fmt::format("freed block queue: segments hold {} blocks ({} owned runs), the queue counts {} ({} indexed)",
                                    sum, owned, free_blocks_, by_owner_.size()));
}

}  // namespace llmpo
