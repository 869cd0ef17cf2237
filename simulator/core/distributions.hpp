#pragma once
// Random variates written out here rather than taken from <random>, whose distributions are
// allowed to differ between standard libraries (libstdc++ and libc++ give different normals for
// the same engine). Every sampler consumes a documented number of draws from one Rng, so the
// same (seed, purpose) gives the same values everywhere; the transcendental functions come from
// the C library (glibc's log/exp/cos are correctly rounded in practice).
#include <cstdint>
#include <vector>

#include "rng.hpp"

namespace llmpo {

// Exponential with rate `rate` (> 0), mean 1/rate; one draw (inversion: -ln(U)/rate, U in (0,1]).
double sample_exponential(Rng& rng, double rate);

// Standard normal by the Box-Muller transform, using its cosine branch only so that the sampler
// keeps no hidden state: always exactly two draws.
double sample_standard_normal(Rng& rng);
double sample_normal(Rng& rng, double mean, double stdev);

// A lognormal's parameters in log space. Users give the mean and standard deviation of the
// values themselves (token counts); taking the user's mean as mu would be the "log-space trap"
// (a mean of 256 would give values around e^256). The conversion is
//   sigma^2 = ln(1 + stdev^2 / mean^2),   mu = ln(mean) - sigma^2 / 2.
struct LognormalParams {
  double mu = 0.0;     // mean of ln(X)
  double sigma = 0.0;  // standard deviation of ln(X)
  static LognormalParams from_mean_stdev(double mean, double stdev);  // mean > 0, stdev >= 0
};
double sample_lognormal(Rng& rng, const LognormalParams& params);  // two draws

// Gamma with shape k > 0 and scale theta > 0 (mean k*theta, variance k*theta^2), by
// Marsaglia & Tsang (2000); for k < 1 it samples Gamma(k + 1) and multiplies by U^(1/k).
// The number of draws varies (rejection), but is fixed by the stream's contents.
double sample_gamma(Rng& rng, double shape, double scale);

// Uniform integer in [lo, hi] (inclusive), without modulo bias: draws are rejected above the
// largest multiple of the range size.
int64_t sample_uniform_int(Rng& rng, int64_t lo, int64_t hi);

// Zipf (truncated power law) over the integers [min, max], min >= 1:
//   P(v) = v^-exponent / sum_{w=min..max} w^-exponent.
// Sampled by inverting a precomputed cumulative table (binary search), one draw per sample.
class ZipfTable {
 public:
  static constexpr int64_t kMaxValues = 10'000'000;  // table size limit (80 MB of doubles)
  ZipfTable(int64_t min, int64_t max, double exponent);
  int64_t sample(Rng& rng) const;
  double probability(int64_t value) const;  // the exact P(value) the table encodes
  double mean() const;

 private:
  int64_t min_ = 1;
  std::vector<double> cumulative_;  // cumulative_[i] = P(v <= min + i); the last entry is 1
};

// One element of `values` (not empty), each with equal probability: an empirical distribution.
template <class T>
const T& sample_empirical(Rng& rng, const std::vector<T>& values) {
  return values[static_cast<std::size_t>(
      sample_uniform_int(rng, 0, static_cast<int64_t>(values.size()) - 1))];
}

// Fisher-Yates shuffle with our uniform integers (std::shuffle's order is library-specific).
template <class T>
void shuffle_in_place(Rng& rng, std::vector<T>& items) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(sample_uniform_int(rng, 0, static_cast<int64_t>(i) - 1));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace llmpo
