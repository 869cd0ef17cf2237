#pragma once
// A fixed-memory latency distribution for values too many to keep (every inter-token gap of a
// million-request run is hundreds of millions of values). Values fall into logarithmic buckets
// (the DDSketch scheme): bucket i holds (gamma^(i-1), gamma^i], gamma = (1 + a) / (1 - a), and a
// quantile is reported as the bucket's midpoint 2 gamma^i / (gamma + 1), which is within a
// relative error a = 0.5% of the exact sample quantile (numpy's 'lower' rank). Count, mean
// and standard deviation are exact (running sums).
#include <cstdint>
#include <vector>

namespace llmpo {

class LatencySketch {
 public:
  static constexpr double kRelativeError = 0.005;

  // Adds `count` copies of `value` (> 0; values <= 0 are counted in the lowest bucket).
  void add(double value, int64_t count = 1);

  int64_t count() const { return count_; }
  double mean() const;
  double std() const;  // population standard deviation, like numpy.std
  // p in [0, 100]; 0 when empty.
  double percentile(double p) const;

 private:
  int32_t bucket_of(double value) const;
  double bucket_value(int32_t index) const;

  std::vector<int64_t> counts_;  // counts_[i] is bucket offset_ + i
  int32_t offset_ = 0;
  int64_t count_ = 0;
  long double sum_ = 0, sum_squares_ = 0;
};

}  // namespace llmpo
