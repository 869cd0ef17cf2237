#pragma once
// Time series at a fixed interval: the time-average of running and waiting sequences and of KV
// use in each interval, and the output tokens produced in it. Values are integrated between
// state changes, so nothing polls: an idle stretch costs one update, not one per interval.
//
// Memory and rows grow with the work (state changes, steps), never with the simulated span: a
// stretch of consecutive intervals in which nothing changed (the same averages, no tokens) is
// one point whose span covers the whole stretch, and whole intervals of one state are added in
// one go. A trace spanning years at a 1 s interval, or 1 ns intervals over a busy run, therefore
// holds a few points per event (timeseries.csv writes one row per point).
#include <cstdint>
#include <vector>

#include "simulator/core/time.hpp"

namespace llmpo {

struct TimeseriesPoint {
  double start_s = 0;
  SimTime span_ns = 0;        // the interval's length, or the stretch's (the last one may be shorter)
  double running = 0;         // time-average over the interval
  double waiting = 0;
  double kv_utilization = 0;  // used / total blocks, time-average
  int64_t output_tokens = 0;  // produced in the interval
  // The span in seconds, as the rows write it (computed, not stored: 8 of a point's bytes).
  double span_s() const { return static_cast<double>(span_ns) * 1e-9; }
};
// A busy run holds about one point per simulated interval (a 10M-request run: 3.8M points).
static_assert(sizeof(TimeseriesPoint) <= 48, "TimeseriesPoint grew: see the note above");

class TimeseriesRecorder {
 public:
  explicit TimeseriesRecorder(SimTime interval_ns) : interval_ns_(interval_ns) {}

  // The state from `now` on (until the next call). Calls must come in time order.
  void set_state(SimTime now, double running, double waiting, double kv_utilization) {
    if (now > last_ns_) integrate_to(now);  // at the instant of the last update: nothing to add
    running_ = running;
    waiting_ = waiting;
    kv_ = kv_utilization;
  }
  // Tokens produced at `now` (not before the latest set_state's interval). Inline for the common
  // case, a step end inside the open interval: integrate_to's one piece, then the tokens.
  void add_tokens(SimTime now, int64_t tokens) {
    if (interval_ns_ > 0 && now > last_ns_ && now - open_index_ * interval_ns_ < interval_ns_) {
      add_piece(last_ns_, now);
      last_ns_ = now;
      open_.tokens += tokens;
      return;
    }
    add_tokens_across(now, tokens);
  }
  // The run is expected to end near `end_ns`: room for that many intervals' points (at most
  // `max_points`) is reserved now, so that the array does not grow by doubling, copying itself
  // into fresh pages each time (a 10M-request run: 183 MB of points, and the copies' page faults
  // were seconds of system time). Untouched capacity costs address space only; a run that goes
  // on longer grows as before.
  void expect_end(SimTime end_ns, std::size_t max_points);
  // Closes the integration at `end` and returns the points [0, end).
  std::vector<TimeseriesPoint> finish(SimTime end);
  // Points held so far (the memory test's measure).
  std::size_t points_held() const { return points_.size(); }

 private:
  struct Bucket {
    double running_ns = 0, waiting_ns = 0, kv_ns = 0;  // value x time
    int64_t tokens = 0;
    bool touched = false;  // any time or tokens added
  };
  void integrate_to(SimTime now);
  // The state held over [from, to), inside the open interval, into its bucket.
  void add_piece(SimTime from, SimTime to) {
    const double span = static_cast<double>(to - from);
    open_.running_ns += running_ * span;
    open_.waiting_ns += waiting_ * span;
    open_.kv_ns += kv_ * span;
    open_.touched = true;
  }
  // add_tokens at an instant that closes intervals (or at the last update's).
  void add_tokens_across(SimTime now, int64_t tokens);
  // Appends `count` consecutive intervals of `span_ns` each holding `bucket`, starting at `start`.
  void emit(SimTime start, SimTime span_ns, const Bucket& bucket, int64_t count);

  SimTime interval_ns_;
  SimTime last_ns_ = 0;
  double running_ = 0, waiting_ = 0, kv_ = 0;
  int64_t open_index_ = 0;  // the interval being filled: [open_index_ x interval, + interval)
  Bucket open_;
  std::vector<TimeseriesPoint> points_;
};

}  // namespace llmpo
