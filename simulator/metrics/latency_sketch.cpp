#include "latency_sketch.hpp"

#include <algorithm>
#include <cmath>

namespace llmpo {

namespace {
const double kGamma = (1 + LatencySketch::kRelativeError) / (1 - LatencySketch::kRelativeError);
const double kLogGamma = std::log(kGamma);
constexpr double kSmallest = 1e-9;  // values below (1 ns in ms, say) share the lowest bucket
}  // namespace

int32_t LatencySketch::bucket_of(double value) const {
  return static_cast<int32_t>(std::ceil(std::log(std::max(value, kSmallest)) / kLogGamma));
}

double LatencySketch::bucket_value(int32_t index) const {
  return 2.0 * std::pow(kGamma, index) / (kGamma + 1.0);
}

void LatencySketch::add(double value, int64_t count) {
  if (count <= 0) return;
  const int32_t index = bucket_of(value);
  if (counts_.empty()) {
    offset_ = index;
    counts_.assign(1, 0);
  } else if (index < offset_) {
    counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (index >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<std::size_t>(index - offset_ + 1), 0);
  }
  counts_[static_cast<std::size_t>(index - offset_)] += count;
  count_ += count;
  sum_ += static_cast<long double>(value) * count;
  sum_squares_ += static_cast<long double>(value) * value * count;
}

double LatencySketch::mean() const { return count_ > 0 ? static_cast<double>(sum_ / count_) : 0.0; }

double LatencySketch::std() const {
  if (count_ == 0) return 0.0;
  const long double m = sum_ / count_;
  const long double variance = sum_squares_ / count_ - m * m;
  return variance > 0 ? static_cast<double>(std::sqrt(variance)) : 0.0;
}

double LatencySketch::percentile(double p) const {
  if (count_ == 0) return 0.0;
  // The rank numpy's 'lower' method would pick: floor(p/100 x (n - 1)), 0-based.
  const auto rank = static_cast<int64_t>(std::floor(p / 100.0 * static_cast<double>(count_ - 1)));
  int64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) return bucket_value(offset_ + static_cast<int32_t>(i));
  }
  return bucket_value(offset_ + static_cast<int32_t>(counts_.size()) - 1);
}

}  // namespace llmpo
