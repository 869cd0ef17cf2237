#include "timeseries.hpp"

#include <algorithm>

namespace llmpo {

TimeseriesRecorder::Bucket& TimeseriesRecorder::bucket(std::size_t index) {
  if (index >= buckets_.size()) buckets_.resize(index + 1);
  return buckets_[index];
}

void TimeseriesRecorder::integrate_to(SimTime now) {
  if (interval_ns_ <= 0 || now <= last_ns_) return;
  SimTime t = last_ns_;
  while (t < now) {
    const auto index = static_cast<std::size_t>(t / interval_ns_);
    const SimTime bucket_end = static_cast<SimTime>(index + 1) * interval_ns_;
    const SimTime until = std::min(now, bucket_end);
    const double span = static_cast<double>(until - t);
    Bucket& b = bucket(index);
    b.running_ns += running_ * span;
    b.waiting_ns += waiting_ * span;
    b.kv_ns += kv_ * span;
    t = until;
  }
  last_ns_ = now;
}

void TimeseriesRecorder::set_state(SimTime now, double running, double waiting, double kv_utilization) {
  integrate_to(now);
  running_ = running;
  waiting_ = waiting;
  kv_ = kv_utilization;
}

void TimeseriesRecorder::add_tokens(SimTime now, int64_t tokens) {
  if (interval_ns_ <= 0) return;
  bucket(static_cast<std::size_t>(now / interval_ns_)).tokens += tokens;
}

std::vector<TimeseriesPoint> TimeseriesRecorder::finish(SimTime end) {
  integrate_to(end);
  std::vector<TimeseriesPoint> points;
  if (interval_ns_ <= 0) return points;
  const auto count = static_cast<std::size_t>((end + interval_ns_ - 1) / interval_ns_);
  for (std::size_t i = 0; i < count; ++i) {
    const Bucket b = i < buckets_.size() ? buckets_[i] : Bucket{};
    const SimTime start = static_cast<SimTime>(i) * interval_ns_;
    const double span = static_cast<double>(std::min(end, start + interval_ns_) - start);
    TimeseriesPoint p;
    p.start_s = ns_to_s(start);
    p.span_s = span * 1e-9;
    if (span > 0) {
      p.running = b.running_ns / span;
      p.waiting = b.waiting_ns / span;
      p.kv_utilization = b.kv_ns / span;
    }
    p.output_tokens = b.tokens;
    points.push_back(p);
  }
  return points;
}

}  // namespace llmpo
