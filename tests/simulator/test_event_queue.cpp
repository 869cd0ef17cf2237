#include <catch2/catch.hpp>

#include <cmath>
#include <random>

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

TEST_CASE("time: duration_to_ns is the rounding of its definition, computed without libm") {
  // The definition: the nearest whole nanosecond when within a thousandth of it, else the
  // ceiling (at least 1). Checked on values around whole numbers, halves and thousandths, at
  // every magnitude from a picosecond to a century.
  const auto by_definition = [](double seconds) -> SimTime {
    const double exact = seconds * 1e9;
    const double nearest = std::round(exact);
    const double ns = std::fabs(exact - nearest) < 1e-3 ? nearest : std::ceil(exact);
    return ns < 1 ? 1 : static_cast<SimTime>(ns);
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int checked = 0;
  for (double scale = 1e-12; scale < 4e9; scale *= 3.7) {
    for (int i = 0; i < 2000; ++i) {
      const double seconds = scale * unit(rng);
      // Also the neighbours of edge cases: n, n + 0.5 and n +- 0.001 nanoseconds.
      const double n = std::floor(seconds * 1e9);
      for (const double s : {seconds, n * 1e-9, (n + 0.5) * 1e-9, (n + 1e-3) * 1e-9, (n - 1e-3) * 1e-9,
                             std::nextafter(seconds, 0.0), std::nextafter(seconds, 1e300)}) {
        if (!(s > 0)) continue;
        INFO(s);
        REQUIRE(duration_to_ns(s) == by_definition(s));
        ++checked;
      }
    }
  }
  CHECK(checked > 100000);
}

