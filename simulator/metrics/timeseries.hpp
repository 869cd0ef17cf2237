#pragma once
// Time series at a fixed interval: the time-average of running and waiting sequences and of KV
// use in each interval, and the output tokens produced in it. Values are integrated between
// state changes, so nothing polls: an idle stretch costs one update, not one per interval.
#include <cstdint>
#include <vector>

#include "simulator/core/time.hpp"

namespace llmpo {

struct TimeseriesPoint {
  double start_s = 0;
  double span_s = 0;          // the interval's length (the last one may be shorter)
  double running = 0;         // time-average over the interval
  double waiting = 0;
  double kv_utilization = 0;  // used / total blocks, time-average
  int64_t output_tokens = 0;  // produced in the interval
};

class TimeseriesRecorder {
 public:
  explicit TimeseriesRecorder(SimTime interval_ns) : interval_ns_(interval_ns) {}

  // The state from `now` on (until the next call). Calls must come in time order.
  void set_state(SimTime now, double running, double waiting, double kv_utilization);
  void add_tokens(SimTime now, int64_t tokens);
  // Closes the integration at `end` and returns the points [0, end).
  std::vector<TimeseriesPoint> finish(SimTime end);

 private:
  struct Bucket {
    double running_ns = 0, waiting_ns = 0, kv_ns = 0;  // value x time
    int64_t tokens = 0;
  };
  void integrate_to(SimTime now);
  Bucket& bucket(std::size_t index);

  SimTime interval_ns_;
  SimTime last_ns_ = 0;
  double running_ = 0, waiting_ = 0, kv_ = 0;
  std::vector<Bucket> buckets_;
};

}  // namespace llmpo
