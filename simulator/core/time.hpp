#pragma once
// Simulated time is an integer count of nanoseconds. Doubles live inside the cost model and the
// workload generator and cross into SimTime once, rounding up, never to zero for a positive span.
#include <cmath>
#include <cstdint>

#include "simulator/util/input_limits.hpp"

namespace llmpo {

using SimTime = int64_t;  // nanoseconds since the start of the run

inline constexpr SimTime kNsPerSecond = 1'000'000'000;
inline constexpr SimTime kNeverNs = INT64_MAX;

// Seconds to nanoseconds, rounded up; a positive duration is at least 1 ns. A value within a
// thousandth of a nanosecond of a whole number is that number: 0.018 s is 18,000,000 ns even
// though 0.018 * 1e9 evaluates to 18000000.000000004 in binary floating point.
// Saturates at kMaxSimTimeNs (146 years): a longer time would wrap int64 to a negative one; the
// simulation stops with an input error when its clock reaches that limit.
// Every step's duration crosses here, so it takes no libm call: for 0 < exact < 2^63 the cast
// truncates to floor(exact) and exact - floor(exact) is computed without rounding, so rounding
// up unless the fraction is under a thousandth is ceil, and "within a thousandth of the nearest
// whole number" in one compare (a fraction >= 0.5 rounds up either way).
inline SimTime duration_to_ns(double seconds) {
  if (!(seconds > 0)) return 0;
  const double exact = seconds * 1e9;
  if (!(exact < static_cast<double>(kMaxSimTimeNs))) return kMaxSimTimeNs;
  const auto whole = static_cast<SimTime>(exact);
  const double fraction = exact - static_cast<double>(whole);
  const SimTime ns = fraction < 1e-3 ? whole : whole + 1;
  return ns < 1 ? 1 : ns;
}

// A point in time (an arrival), rounded to the nearest nanosecond; saturates like duration_to_ns
// at both ends.
inline SimTime instant_to_ns(double seconds) {
  const double exact = seconds * 1e9;
  if (!(exact < static_cast<double>(kMaxSimTimeNs))) return std::isnan(exact) ? 0 : kMaxSimTimeNs;
  if (exact <= -static_cast<double>(kMaxSimTimeNs)) return -kMaxSimTimeNs;
  return static_cast<SimTime>(std::llround(exact));
}

inline double ns_to_s(SimTime ns) { return static_cast<double>(ns) * 1e-9; }
inline double ns_to_ms(SimTime ns) { return static_cast<double>(ns) * 1e-6; }

}  // namespace llmpo
