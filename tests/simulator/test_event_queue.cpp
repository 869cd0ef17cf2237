#include <catch2/catch.hpp>

#include "simulator/core/event_queue.hpp"
#include "simulator/core/time.hpp"

using namespace llmpo;

TEST_CASE("event_queue: a finished step runs before an arrival at the same instant") {
  EventQueue queue;
  queue.push(100, EventPhase::schedule, 0);
  queue.push(100, EventPhase::arrival, 0, 7);
  queue.push(100, EventPhase::step_end, 1);
  queue.push(50, EventPhase::schedule, 2);
  CHECK(queue.pop().time_ns == 50);
  CHECK(queue.pop().phase == EventPhase::step_end);
  CHECK(queue.pop().phase == EventPhase::arrival);
  CHECK(queue.pop().phase == EventPhase::schedule);
  CHECK(queue.empty());
}

TEST_CASE("event_queue: events of equal time and phase leave in the order they were pushed") {
  EventQueue queue;
  for (int64_t i = 0; i < 1000; ++i) queue.push(5, EventPhase::arrival, 0, i);
  for (int64_t i = 0; i < 1000; ++i) CHECK(queue.pop().payload == i);
}

TEST_CASE("event_queue: a random mix comes out sorted by (time, phase, sequence)") {
  EventQueue queue;
  uint64_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    queue.push(static_cast<SimTime>((x >> 33) % 100), static_cast<EventPhase>((x >> 20) % 4), 0, i);
  }
  Event previous = queue.pop();
  while (!queue.empty()) {
    const Event next = queue.pop();
    const bool ordered = previous.time_ns < next.time_ns ||
                         (previous.time_ns == next.time_ns &&
                          (previous.phase < next.phase || (previous.phase == next.phase && previous.sequence < next.sequence)));
    REQUIRE(ordered);
    previous = next;
  }
}

TEST_CASE("time: durations round up to whole nanoseconds, never to zero, without float noise") {
  CHECK(duration_to_ns(0.018) == 18'000'000);  // 0.018 * 1e9 is 18000000.000000004 in binary
  CHECK(duration_to_ns(1.5e-9) == 2);
  CHECK(duration_to_ns(1e-15) == 1);
  CHECK(duration_to_ns(0) == 0);
  CHECK(instant_to_ns(2.5) == 2'500'000'000);
}
