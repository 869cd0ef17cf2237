#include "latency_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmpo {

namespace {
const double kGamma = (1 + LatencySketch::kRelativeError) / (1 - LatencySketch::kRelativeError);
const double kLogGamma = std::log(kGamma);
constexpr double kSmallest = 1.0;  // nanoseconds: shorter values share the lowest bucket
constexpr int64_t kWidestCachedNs = 1'000'000'000'000;  // see look_up
}  // namespace

int32_t LatencySketch::bucket_of(int64_t value_ns) {
  return static_cast<int32_t>(std::ceil(std::log(std::max(static_cast<double>(value_ns), kSmallest)) / kLogGamma));
}

int64_t LatencySketch::first_whole_in(int32_t index) {
  if (first_whole_ns_.empty()) first_whole_ns_.assign(static_cast<std::size_t>(bucket_of(kWidestCachedNs)) + 2, 0);
  int64_t& first = first_whole_ns_.at(static_cast<std::size_t>(index));
  if (first != 0) return first;
  // Next to the bucket's lower edge gamma^(index-1) (exp is off by an ulp or so), then moved onto
  // the first whole number that bucket_of itself puts at or above `index`.
  first = std::max<int64_t>(2, static_cast<int64_t>(std::floor(std::exp((index - 1) * kLogGamma))));
  while (bucket_of(first) < index) ++first;
  while (first > 2 && bucket_of(first - 1) >= index) --first;
  return first;
}

void LatencySketch::look_up(int64_t value_ns) {
  last_index_ = bucket_of(value_ns);
  first_ns_ = last_ns_ = value_ns;
  if (value_ns <= 1) {  // the lowest bucket: every value up to 1 ns
    first_ns_ = std::numeric_limits<int64_t>::min();
    return;
  }
  // Beyond this the argument below would not hold; such gaps (over 17 minutes) are rare.
  if (value_ns > kWidestCachedNs) return;
  // Every whole number between the bucket's first and last is in it too: for v < 10^12,
  // log(v) / log(gamma) of a whole number v inside the bucket lies at least
  // 1 / (v log gamma) > 1e-10 from the edges, far beyond its rounding error (under 1e-12), so the
  // range counts each value where bucket_of would.
  const int64_t first = first_whole_in(last_index_);
  const int64_t last = first_whole_in(last_index_ + 1) - 1;
  if (first > value_ns || last < value_ns) return;  // cannot happen (see above); the value alone is still exact
  first_ns_ = first;
  last_ns_ = last;
}

double LatencySketch::bucket_value(int32_t index) const {
  return 2.0 * std::pow(kGamma, index) / (kGamma + 1.0);
}

void LatencySketch::add(int64_t value_ns, int64_t count) {
  if (count <= 0) return;
  if (value_ns < first_ns_ || value_ns > last_ns_) look_up(value_ns);
  add_to_bucket(last_index_, count, static_cast<Int128>(value_ns) * count, static_cast<Int128>(value_ns) * value_ns * count);
}

void LatencySketch::add_to_bucket(int32_t index, int64_t values, Int128 sum_ns, Int128 sum_squares_ns2) {
  if (counts_.empty()) {
    offset_ = index;
    counts_.assign(1, 0);
  } else if (index < offset_) {
    counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (index >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<std::size_t>(index - offset_ + 1), 0);
  }
  counts_[static_cast<std::size_t>(index - offset_)] += values;
  count_ += values;
  sum_ns_ += sum_ns;
  sum_squares_ns2_ += sum_squares_ns2;
}

double LatencySketch::mean_ms() const {
  return count_ > 0 ? static_cast<double>(static_cast<long double>(sum_ns_) / count_) * 1e-6 : 0.0;
}

double LatencySketch::std_ms() const {
  if (count_ == 0) return 0.0;
  // n^2 variance = n sum(x^2) - (sum x)^2, exactly in integers (no cancellation error).
  const Int128 n = count_;
  const long double scaled = static_cast<long double>(n * sum_squares_ns2_ - sum_ns_ * sum_ns_);
  const long double variance_ns2 = scaled / (static_cast<long double>(count_) * static_cast<long double>(count_));
  return variance_ns2 > 0 ? static_cast<double>(std::sqrt(variance_ns2)) * 1e-6 : 0.0;
}

double LatencySketch::percentile_ms(double p) const {
  if (count_ == 0) return 0.0;
  // The rank numpy's 'lower' method would pick: floor(p/100 x (n - 1)), 0-based.
  const auto rank = static_cast<int64_t>(std::floor(p / 100.0 * static_cast<double>(count_ - 1)));
  int64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) return bucket_value(offset_ + static_cast<int32_t>(i)) * 1e-6;
  }
  return bucket_value(offset_ + static_cast<int32_t>(counts_.size()) - 1) * 1e-6;
}

}  // namespace llmpo
