#include "timeseries.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/core/huge_pages.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

void TimeseriesRecorder::emit(SimTime start, SimTime span_ns, const Bucket& b, int64_t count) {
  // The same arithmetic, in the same order, as when every interval was its own point: the
  // values written are bit for bit those of before.
  const double span = static_cast<double>(span_ns);
  TimeseriesPoint p;
  p.start_s = ns_to_s(start);
  p.span_ns = span_ns;
  if (span > 0) {
    p.running = b.running_ns / span;
    p.waiting = b.waiting_ns / span;
    p.kv_utilization = b.kv_ns / span;
  }
  p.output_tokens = b.tokens;
  // Only whole intervals of one state come `count` at a time, and they hold no tokens.
  if (count > 1 && p.output_tokens != 0) throw InternalError("time series: a stretch of intervals with tokens");
  // Exact comparison on purpose: only intervals whose rows would print identically merge.
  const auto same = [](double x, double y) { return !(x < y) && !(y < x); };
  if (points_.empty() || points_.back().output_tokens != 0 || p.output_tokens != 0 ||
      !same(points_.back().running, p.running) || !same(points_.back().waiting, p.waiting) ||
      !same(points_.back().kv_utilization, p.kv_utilization)) {
    make_room_huge(points_);
    points_.push_back(p);
    --count;
  }
  TimeseriesPoint& last = points_.back();
  if (count > 0) last.span_ns += span_ns * count;
}

void TimeseriesRecorder::integrate_to(SimTime now) {
  if (interval_ns_ <= 0 || now <= last_ns_) return;
  SimTime t = last_ns_;
  while (t < now) {
    const SimTime start = open_index_ * interval_ns_;
    const SimTime end = start + interval_ns_;
    if (t == start && !open_.touched && now >= end) {
      // Whole intervals of one state: one piece each, added as one stretch.
      const int64_t whole = (now - t) / interval_ns_;
      const double span = static_cast<double>(interval_ns_);
      Bucket b;
      b.running_ns = running_ * span;
      b.waiting_ns = waiting_ * span;
      b.kv_ns = kv_ * span;
      emit(start, interval_ns_, b, whole);
      open_index_ += whole;
      t = start + whole * interval_ns_;
      continue;
    }
    const SimTime until = std::min(now, end);
    add_piece(t, until);
    t = until;
    if (t == end) {
      emit(start, interval_ns_, open_, 1);
      open_ = Bucket{};
      ++open_index_;
    }
  }
  last_ns_ = now;
}

void TimeseriesRecorder::add_tokens_across(SimTime now, int64_t tokens) {
  if (interval_ns_ <= 0) return;
  // The state since the last call held until now: integrating first closes the intervals before
  // `now` (the next set_state(now) then adds nothing), so the tokens land in the open one.
  integrate_to(now);
  // now / interval_ns_ != open_index_, without the division (start <= last_ns_ <= now).
  const SimTime open_start_ns = open_index_ * interval_ns_;
  if (now < open_start_ns || now - open_start_ns >= interval_ns_)
    throw InternalError(fmt::format("time series: tokens at {} ns after the interval was closed (at {} ns)", now, last_ns_));
  open_.tokens += tokens;
  open_.touched = true;
}

void TimeseriesRecorder::expect_end(SimTime end_ns, std::size_t max_points) {
  if (interval_ns_ <= 0 || end_ns <= 0) return;
  const auto intervals = static_cast<std::size_t>(end_ns / interval_ns_) + 1;
  reserve_huge(points_, std::min(intervals, max_points));
}

std::vector<TimeseriesPoint> TimeseriesRecorder::finish(SimTime end) {
  integrate_to(end);
  if (interval_ns_ <= 0) return {};
  const SimTime start = open_index_ * interval_ns_;
  if (end > start) emit(start, end - start, open_, 1);  // the last, shorter interval
  open_ = Bucket{};
  return std::move(points_);
}

}  // namespace llmpo
