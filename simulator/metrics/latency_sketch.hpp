#pragma once
// A fixed-memory latency distribution for values too many to keep (every inter-token gap of a
// million-request run is hundreds of millions of values). Values fall into logarithmic buckets
// (the DDSketch scheme): bucket i holds (gamma^(i-1), gamma^i], gamma = (1 + a) / (1 - a), and a
// quantile is reported as the bucket's midpoint 2 gamma^i / (gamma + 1), which is within a
// relative error a = 0.5% of the exact sample quantile (numpy's 'lower' rank). Values are
// whole nanoseconds; count, mean and standard deviation are exact (integer running sums, so
// the result does not depend on the order values arrive in).
#include <cstdint>
#include <vector>

namespace llmpo {

__extension__ using Int128 = __int128;  // exact sums of squared nanoseconds

class LatencySketch {
 public:
  static constexpr double kRelativeError = 0.005;

  // Adds `count` copies of a duration of `value_ns` nanoseconds (values <= 0 share the lowest
  // bucket).
  void add(int64_t value_ns, int64_t count = 1);
  // Adds `count` copies of each of value_ns_at(0), ..., value_ns_at(n - 1): the same as n calls
  // of add, with one bucket update per stretch of values in one bucket (a decode run's step
  // durations drift by nanoseconds, so its steps' gaps share a bucket for hundreds of steps).
  template <class ValueAt>
  void add_each(std::size_t n, int64_t count, ValueAt value_ns_at) {
    if (count <= 0) return;
    std::size_t i = 0;
    while (i < n) {
      if (const int64_t v = value_ns_at(i); v < first_ns_ || v > last_ns_) look_up(v);
      int64_t values = 0;
      Int128 sum = 0, squares = 0;
      for (; i < n; ++i) {
        const int64_t v = value_ns_at(i);
        if (v < first_ns_ || v > last_ns_) break;
        ++values;
        sum += v;
        squares += static_cast<Int128>(v) * v;
      }
      add_to_bucket(last_index_, values * count, sum * count, squares * count);
    }
  }

  int64_t count() const { return count_; }
  double mean_ms() const;
  double std_ms() const;  // population standard deviation, like numpy.std
  // p in [0, 100], in milliseconds; 0 when empty.
  double percentile_ms(double p) const;

 private:
  static int32_t bucket_of(int64_t value_ns);
  // `values` more in bucket `index`, whose sum and sum of squares are given (exact integers).
  void add_to_bucket(int32_t index, int64_t values, Int128 sum_ns, Int128 sum_squares_ns2);
  double bucket_value(int32_t index) const;
  // Finds value_ns's bucket (one logarithm) and the whole numbers it holds, for the next adds.
  void look_up(int64_t value_ns);
  // The smallest whole number of nanoseconds bucket_of puts in bucket `index` or above, found
  // once per bucket (1 <= index <= the bucket of kWidestCachedNs + 1).
  int64_t first_whole_in(int32_t index);

  std::vector<int64_t> counts_;  // counts_[i] is bucket offset_ + i
  // Gaps repeat or drift slowly (a batch's requests share their step times, and a decode run's
  // steps grow by a few nanoseconds each): the last bucket looked up and the whole numbers of
  // nanoseconds it holds, [first_ns_, last_ns_], so that most adds take no logarithm.
  int64_t first_ns_ = 1, last_ns_ = 0;  // empty until the first add
  int32_t last_index_ = 0;
  std::vector<int64_t> first_whole_ns_;  // first_whole_in's answers by index; 0: not yet found
  int32_t offset_ = 0;
  int64_t count_ = 0;
  Int128 sum_ns_ = 0, sum_squares_ns2_ = 0;
};

}  // namespace llmpo
