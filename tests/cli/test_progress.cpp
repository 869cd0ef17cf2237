// The progress line's estimate of the time left: the share done and the remaining seconds.
#include <catch2/catch.hpp>

#include "simulator/cli/progress.hpp"

using namespace llmpo;

TEST_CASE("progress: the share done weighs requests when the plan counted them, else runs") {
  // 3 of 4 runs done but only 1,000 of 10,000 requests: a long run is still going.
  CHECK(*progress_fraction(3, 4, 1000, 10000) == Approx(0.1));
  CHECK(*progress_fraction(3, 4, 0, 0) == Approx(0.75));
  CHECK_FALSE(progress_fraction(3, 0, 5, 0).has_value());
  // Poisson arrivals over a duration are counted by their mean: more than expected stays at 100%.
  CHECK(*progress_fraction(1, 1, 10500, 10000) == 1.0);
}

TEST_CASE("progress: time left is elapsed x (1 - done) / done, once the rate says something") {
  CHECK(*eta_seconds(10.0, 0.25) == Approx(30.0));  // a quarter in 10 s: 30 s more
  CHECK(*eta_seconds(4.0, 0.8) == Approx(1.0));
  CHECK(*eta_seconds(0.2, 1.0) == 0.0);
  CHECK_FALSE(eta_seconds(0.5, 0.5).has_value());   // under a second
  CHECK_FALSE(eta_seconds(30.0, 0.005).has_value()); // under 1% done
}

TEST_CASE("progress: durations read as seconds, minutes or hours") {
  CHECK(format_duration(0.4) == "0s");
  CHECK(format_duration(42.4) == "42s");
  CHECK(format_duration(185) == "3m05s");
  CHECK(format_duration(3720) == "1h02m");
  CHECK(format_duration(-3) == "0s");
}

TEST_CASE("progress: the line reads counts with thousands separators and the clocks as durations") {
  // 3 of 4 runs, 68,200 of 272,800 requests in 1 s of wall time, 72 h 40 min simulated.
  const ProgressCounts counts{3, 4, 68200, 272800, 72 * 3600 + 40 * 60};
  CHECK(progress_text(counts, "runs", 1.0) ==
        "runs 3/4 done | 68,200 requests | 68,200 req/s | simulated clock 72h40m | 25% | ETA 3s");
  // Before a second has passed the time left is not guessed; without totals there is no share.
  CHECK(progress_text(counts, "runs", 0.5) ==
        "runs 3/4 done | 68,200 requests | 136,400 req/s | simulated clock 72h40m | 25% | ETA ...");
  CHECK(progress_text({2, 0, 10, 0, 42}, "candidates", 2.0) ==
        "candidates 2 done | 10 requests | 5 req/s | simulated clock 42s");
}
