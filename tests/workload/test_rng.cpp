#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "simulator/core/rng.hpp"

using namespace llmpo;

TEST_CASE("rng: splitmix64, xoshiro256** and FNV-1a match their reference implementations") {
  uint64_t state = 0;
  CHECK(splitmix64_next(state) == 0xe220a8397b1dcdafULL);
  CHECK(splitmix64_next(state) == 0x6e789e6aa1b965f4ULL);
  // Blackman & Vigna's xoshiro256starstar.c from the state {1, 2, 3, 4}.
  Rng rng = Rng::from_state({1, 2, 3, 4});
  CHECK(rng.next_u64() == 11520ULL);
  CHECK(rng.next_u64() == 0ULL);
  CHECK(rng.next_u64() == 1509978240ULL);
  CHECK(fnv1a_64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
}

TEST_CASE("rng: a stream's values are fixed forever by the seed and purpose (golden values)") {
  // Computed by an independent Python transcription of rng.cpp; a change here changes every
  // workload ever generated, so it must be deliberate.
  Rng rng = stream(42, "workload.arrivals");
  CHECK(rng.next_u64() == 0x7cafd15d250ee435ULL);
  CHECK(rng.next_u64() == 0x15800c33efb9aa1cULL);
  CHECK(rng.next_u64() == 0x5a0392b5141a59b8ULL);
  Rng again = stream(42, "workload.arrivals");
  CHECK(again.uniform01() == 0.48705776714364957);
  CHECK(again.uniform01() == 0.08398510234812895);
}

TEST_CASE("rng: the same seed and purpose give identical streams") {
  Rng a = stream(7, "x");
  Rng b = stream(7, "x");
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u64() == b.next_u64());
}

TEST_CASE("rng: different purposes or seeds give unrelated streams") {
  constexpr int kSamples = 200'000;
  const auto correlation = [&](Rng a, Rng b) {
    double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < kSamples; ++i) {
      const double x = a.uniform01(), y = b.uniform01();
      sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
    }
    const double n = kSamples;
    const double cov = sab / n - (sa / n) * (sb / n);
    return cov / std::sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
  };
  // Independent streams: the sample correlation has standard error 1/sqrt(N) ~ 0.0022.
  CHECK(std::fabs(correlation(stream(1, "workload.arrivals"), stream(1, "workload.prompt_tokens"))) < 0.012);
  CHECK(std::fabs(correlation(stream(1, "workload.arrivals"), stream(2, "workload.arrivals"))) < 0.012);
  CHECK(std::fabs(correlation(stream(0, "a"), stream(0, "b"))) < 0.012);
  // And no shared prefix: the first outputs of many streams are all distinct.
  std::set<uint64_t> first;
  for (uint64_t seed = 0; seed < 100; ++seed)
    for (const char* purpose : {"workload.arrivals", "workload.prompt_tokens", "workload.output_tokens"})
      first.insert(stream(seed, purpose).next_u64());
  CHECK(first.size() == 300);
}

TEST_CASE("rng: uniform01 lies in 0 (included) to 1 (excluded) with mean 1/2 and variance 1/12") {
  Rng rng = stream(3, "uniform");
  constexpr int kSamples = 200'000;
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double u = rng.uniform01();
    sum += u; sum2 += u * u;
    lo = std::min(lo, u); hi = std::max(hi, u);
  }
  const double mean = sum / kSamples;
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);
  CHECK(mean == Approx(0.5).margin(5 * std::sqrt(1.0 / 12 / kSamples)));
  CHECK(sum2 / kSamples - mean * mean == Approx(1.0 / 12).epsilon(0.01));
  Rng other = stream(3, "uniform_open");
  for (int i = 0; i < 1000; ++i) {
    const double u = other.uniform_open01();
    REQUIRE(u > 0.0);
    REQUIRE(u <= 1.0);
  }
}
