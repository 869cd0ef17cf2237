#pragma once
// The event queue: a binary min-heap on (time, phase, sequence number). That order is total, so
// a run is reproducible; the phases say what happens first when several events share an instant:
//   step_end   - a finished step frees KV and retires requests before anything new is considered
//   kv_sent    - P/D: a finished KV read frees the prefill replica's blocks, as a step end does
//   arrival    - requests arriving at this instant are all queued before any instance schedules
//   wake       - a framework asked to be reconsidered now (static batching's batch timeout)
//   schedule   - each instance plans at most one step per instant, seeing every arrival of it
// The sequence number orders events of the same time and phase by when they were pushed.
#include <cstdint>
#include <vector>

#include "time.hpp"

namespace llmpo {

enum class EventPhase : uint8_t { step_end = 0, kv_sent = 1, arrival = 2, wake = 3, schedule = 4 };

struct Event {
  SimTime time_ns = 0;
  EventPhase phase = EventPhase::arrival;
  uint64_t sequence = 0;
  int32_t target = 0;    // instance index (step_end, wake, schedule) or client (closed-loop arrival)
  int64_t payload = 0;   // request index for arrivals
};

class EventQueue {
 public:
  void reserve(std::size_t capacity) { heap_.reserve(capacity); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }

  void push(SimTime time_ns, EventPhase phase, int32_t target, int64_t payload = 0) {
    heap_.push_back({time_ns, phase, next_sequence_++, target, payload});
    sift_up(heap_.size() - 1);
  }

  const Event& top() const { return heap_.front(); }

  Event pop() {
    Event out = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return out;
  }

 private:
  static bool before(const Event& a, const Event& b) {
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    if (a.phase != b.phase) return a.phase < b.phase;
    return a.sequence < b.sequence;
  }
  void sift_up(std::size_t i) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(heap_[i], heap_[parent])) break;
      std::swap(heap_[i], heap_[parent]);
      i = parent;
    }
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t best = i;
      const std::size_t left = 2 * i + 1, right = left + 1;
      if (left < n && before(heap_[left], heap_[best])) best = left;
      if (right < n && before(heap_[right], heap_[best])) best = right;
      if (best == i) return;
      std::swap(heap_[i], heap_[best]);
      i = best;
    }
  }

  std::vector<Event> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace llmpo
