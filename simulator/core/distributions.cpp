#include "distributions.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "simulator/util/error.hpp"

namespace llmpo {

double sample_exponential(Rng& rng, double rate) {
  if (!(rate > 0)) throw InternalError("sample_exponential: rate must be positive");
  return -std::log(rng.uniform_open01()) / rate;
}

double sample_standard_normal(Rng& rng) {
  const double u1 = rng.uniform_open01();  // (0, 1]: the logarithm stays finite
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double sample_normal(Rng& rng, double mean, double stdev) {
  return mean + stdev * sample_standard_normal(rng);
}

LognormalParams LognormalParams::from_mean_stdev(double mean, double stdev) {
  if (!(mean > 0) || !(stdev >= 0))
    throw InternalError("lognormal: mean must be positive and stdev non-negative");
  const double ratio = stdev / mean;
  const double sigma2 = std::log1p(ratio * ratio);
  return {std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2)};
}

double sample_lognormal(Rng& rng, const LognormalParams& params) {
  return std::exp(params.mu + params.sigma * sample_standard_normal(rng));
}

double sample_gamma(Rng& rng, double shape, double scale) {
  if (!(shape > 0) || !(scale > 0)) throw InternalError("sample_gamma: shape and scale must be positive");
  if (shape < 1.0) {
    // Boost: if Y ~ Gamma(k + 1) and U ~ U(0,1], then Y * U^(1/k) ~ Gamma(k).
    const double boosted = sample_gamma(rng, shape + 1.0, 1.0);
    return scale * boosted * std::pow(rng.uniform_open01(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = sample_standard_normal(rng);
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = rng.uniform_open01();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return scale * d * v;  // cheap squeeze
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return scale * d * v;
  }
}

int64_t sample_uniform_int(Rng& rng, int64_t lo, int64_t hi) {
  if (hi < lo) throw InternalError("sample_uniform_int: empty range");
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);  // size - 1
  if (span == UINT64_MAX) return static_cast<int64_t>(rng.next_u64());
  const uint64_t size = span + 1;
  // Accept draws below the largest multiple of `size` that fits in 2^64, then reduce.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % size + 1) % size;
  uint64_t draw = rng.next_u64();
  while (draw > limit) draw = rng.next_u64();
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + draw % size);
}

ZipfTable::ZipfTable(int64_t min, int64_t max, double exponent) : min_(min) {
  if (min < 1 || max < min || !(exponent >= 0) || !std::isfinite(exponent))
    throw InternalError("ZipfTable: need 1 <= min <= max and a finite exponent >= 0");
  if (max - min + 1 > kMaxValues) throw InternalError("ZipfTable: range too large");
  cumulative_.resize(static_cast<std::size_t>(max - min + 1));
  double total = 0.0;
  for (std::size_t i = 0; i < cumulative_.size(); ++i) {
    total += std::pow(static_cast<double>(min + static_cast<int64_t>(i)), -exponent);
    cumulative_[i] = total;
  }
  for (double& c : cumulative_) c /= total;
  cumulative_.back() = 1.0;  // so that every U < 1 finds an entry despite rounding
}

int64_t ZipfTable::sample(Rng& rng) const {
  const double u = rng.uniform01();
  // The first value whose cumulative probability exceeds u.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return min_ + static_cast<int64_t>(it - cumulative_.begin());
}

double ZipfTable::probability(int64_t value) const {
  const int64_t i = value - min_;
  if (i < 0 || i >= static_cast<int64_t>(cumulative_.size())) return 0.0;
  const auto index = static_cast<std::size_t>(i);
  return index == 0 ? cumulative_[0] : cumulative_[index] - cumulative_[index - 1];
}

double ZipfTable::mean() const {
  double sum = 0.0;
  for (std::size_t i = 0; i < cumulative_.size(); ++i)
    sum += static_cast<double>(min_ + static_cast<int64_t>(i)) * probability(min_ + static_cast<int64_t>(i));
  return sum;
}

}  // namespace llmpo
