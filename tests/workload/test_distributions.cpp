#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <numeric>

#include "simulator/core/distributions.hpp"

using namespace llmpo;

namespace {

constexpr int kSamples = 200'000;

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments_of(const std::function<double()>& draw) {
  double sum = 0, sum2 = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = draw();
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / kSamples;
  return {mean, (sum2 - kSamples * mean * mean) / (kSamples - 1)};
}

// Five standard errors of a sample mean: a deterministic stream either passes or the sampler
// is wrong, but the bound is what honest sampling noise allows.
double mean_tolerance(double stdev) { return 5.0 * stdev / std::sqrt(kSamples); }

}  // namespace

TEST_CASE("distributions: exponential samples have mean 1/rate and variance 1/rate^2") {
  Rng rng = stream(11, "exp");
  const double rate = 4.0;
  const Moments m = moments_of([&] { return sample_exponential(rng, rate); });
  CHECK(m.mean == Approx(1 / rate).margin(mean_tolerance(1 / rate)));
  // Variance of the sample variance for an exponential: sigma^4 * 8 / N -> 5 se = 3.2%.
  CHECK(m.variance == Approx(1 / (rate * rate)).epsilon(0.035));
}

TEST_CASE("distributions: normal samples have the requested mean and standard deviation") {
  Rng rng = stream(12, "normal");
  const Moments m = moments_of([&] { return sample_normal(rng, 100.0, 15.0); });
  CHECK(m.mean == Approx(100.0).margin(mean_tolerance(15.0)));
  CHECK(std::sqrt(m.variance) == Approx(15.0).epsilon(0.01));  // se of stdev ~ 1/sqrt(2N) = 0.16%
}

TEST_CASE("distributions: lognormal takes mean and stdev in token space, not log space") {
  const LognormalParams p = LognormalParams::from_mean_stdev(256.0, 128.0);
  // sigma^2 = ln(1 + 0.25), mu = ln 256 - sigma^2 / 2: not mu = 256 (the log-space trap).
  CHECK(p.sigma == Approx(std::sqrt(std::log(1.25))));
  CHECK(p.mu == Approx(std::log(256.0) - 0.5 * std::log(1.25)));
  Rng rng = stream(13, "lognormal");
  const Moments m = moments_of([&] { return sample_lognormal(rng, p); });
  CHECK(m.mean == Approx(256.0).margin(mean_tolerance(128.0)));
  CHECK(std::sqrt(m.variance) == Approx(128.0).epsilon(0.02));
  // A heavier tail: CV 2, where a log-space mistake would be off by orders of magnitude.
  const LognormalParams heavy = LognormalParams::from_mean_stdev(100.0, 200.0);
  Rng rng2 = stream(14, "lognormal");
  const Moments h = moments_of([&] { return sample_lognormal(rng2, heavy); });
  CHECK(h.mean == Approx(100.0).epsilon(0.03));
  CHECK(std::sqrt(h.variance) == Approx(200.0).epsilon(0.15));  // heavy tail: the sample stdev is noisy
}

TEST_CASE("distributions: gamma samples have mean k*theta and variance k*theta^2, also for shape below 1") {
  for (const double shape : {0.2, 0.5, 1.0, 2.5, 9.0}) {
    INFO("shape " << shape);
    Rng rng = stream(15, "gamma");
    const double scale = 3.0;
    const Moments m = moments_of([&] { return sample_gamma(rng, shape, scale); });
    const double stdev = std::sqrt(shape) * scale;
    CHECK(m.mean == Approx(shape * scale).margin(mean_tolerance(stdev)));
    // Excess kurtosis 6/k: allow 5 se of the sample variance.
    const double variance_se = std::sqrt((2.0 + 6.0 / shape) / kSamples);
    CHECK(m.variance == Approx(shape * scale * scale).epsilon(5 * variance_se));
  }
}

TEST_CASE("distributions: uniform integers cover lo..hi evenly and never leave it") {
  Rng rng = stream(16, "uniform_int");
  std::map<int64_t, int> counts;
  for (int i = 0; i < kSamples; ++i) ++counts[sample_uniform_int(rng, 3, 7)];
  REQUIRE(counts.size() == 5);
  CHECK(counts.begin()->first == 3);
  CHECK(counts.rbegin()->first == 7);
  const double p = 0.2;
  for (const auto& [value, count] : counts)
    CHECK(count / double(kSamples) == Approx(p).margin(5 * std::sqrt(p * (1 - p) / kSamples)));
  CHECK(sample_uniform_int(rng, 5, 5) == 5);
  CHECK(sample_uniform_int(rng, INT64_MIN, INT64_MAX) != sample_uniform_int(rng, INT64_MIN, INT64_MAX));
}

TEST_CASE("distributions: zipf frequencies follow 1/k^s normalized over min..max") {
  const double s = 1.2;
  const ZipfTable table(1, 50, s);
  double norm = 0;
  for (int k = 1; k <= 50; ++k) norm += std::pow(k, -s);
  for (int k = 1; k <= 50; ++k) CHECK(table.probability(k) == Approx(std::pow(k, -s) / norm));
  Rng rng = stream(17, "zipf");
  std::map<int64_t, int> counts;
  for (int i = 0; i < kSamples; ++i) ++counts[table.sample(rng)];
  CHECK(counts.begin()->first >= 1);
  CHECK(counts.rbegin()->first <= 50);
  for (int k = 1; k <= 50; ++k) {
    const double p = std::pow(k, -s) / norm;
    INFO("k = " << k);
    CHECK(counts[k] / double(kSamples) == Approx(p).margin(5 * std::sqrt(p * (1 - p) / kSamples)));
  }
  // An offset range: P(v) proportional to v^-s for v in [100, 200].
  const ZipfTable offset(100, 200, 2.0);
  CHECK(offset.probability(100) / offset.probability(200) == Approx(4.0));
  CHECK(offset.probability(99) == 0.0);
}

TEST_CASE("distributions: empirical sampling draws each listed value equally often") {
  const std::vector<int32_t> values = {10, 20, 20, 40};
  Rng rng = stream(18, "empirical");
  std::map<int32_t, int> counts;
  for (int i = 0; i < kSamples; ++i) ++counts[sample_empirical(rng, values)];
  REQUIRE(counts.size() == 3);
  CHECK(counts[20] / double(kSamples) == Approx(0.5).margin(5 * std::sqrt(0.25 / kSamples)));
  CHECK(counts[10] / double(kSamples) == Approx(0.25).margin(5 * std::sqrt(0.1875 / kSamples)));
}

TEST_CASE("distributions: a seeded shuffle is a permutation and repeats exactly") {
  std::vector<int> a(1000), b(1000);
  std::iota(a.begin(), a.end(), 0);
  std::iota(b.begin(), b.end(), 0);
  Rng r1 = stream(19, "shuffle"), r2 = stream(19, "shuffle");
  shuffle_in_place(r1, a);
  shuffle_in_place(r2, b);
  CHECK(a == b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) REQUIRE(sorted[static_cast<std::size_t>(i)] == i);
  int fixed_points = 0;
  for (int i = 0; i < 1000; ++i) fixed_points += a[static_cast<std::size_t>(i)] == i;
  CHECK(fixed_points < 10);  // a random permutation has about 1
}
