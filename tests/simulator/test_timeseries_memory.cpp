// The time series holds what happened, not the simulated span: stretches of intervals in which
// nothing changed are one point, so a tiny interval or a span of years costs a few points per
// state change (before, one bucket per interval: 1 ns intervals or a 4e9 s trace ran out of memory).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "experiment_helpers.hpp"
#include "simulator/metrics/timeseries.hpp"

namespace llmpo {
namespace {

using test::fresh_dir;
using test::read_csv;
using test::run_cli_args;
using test::write_file;

constexpr SimTime kMs = 1'000'000;

TEST_CASE("timeseries memory: 1 ns intervals over 3e18 ns hold a few points per state change") {
  TimeseriesRecorder recorder(1);  // 1 ns: 3e18 intervals
  recorder.set_state(0, 2, 1, 0.5);
  recorder.add_tokens(1'000'000'000'000'000, 7);
  recorder.set_state(1'000'000'000'000'000, 3, 0, 0.25);
  recorder.set_state(2'000'000'000'000'003, 0, 0, 0);
  CHECK(recorder.points_held() <= 6u);
  const auto points = recorder.finish(3'000'000'000'000'000'000);
  // [0, 1e15): one stretch of state 2; the interval with the tokens; the stretch of state 3;
  // the idle stretch to the end.
  REQUIRE(points.size() == 4);
  CHECK(points[0].running == 2);
  CHECK(points[0].span_ns == 1'000'000'000'000'000);
  CHECK(points[1].output_tokens == 7);
  CHECK(points[1].span_ns == 1);
  CHECK(points[1].running == 3);  // the state from the tokens' instant on
  CHECK(points[2].running == 3);
  CHECK(points[2].span_ns == 1'000'000'000'000'002);
  CHECK(points[3].running == 0);
  SimTime covered = 0;
  for (const auto& p : points) covered += p.span_ns;
  CHECK(covered == 3'000'000'000'000'000'000);
}

TEST_CASE("timeseries memory: a long idle gap is one point, busy intervals one point each") {
  TimeseriesRecorder recorder(10 * kMs);
  recorder.set_state(0, 2, 0, 0.5);
  recorder.add_tokens(4 * kMs, 1);
  recorder.add_tokens(14 * kMs, 1);  // each 10 ms interval had a token: two points
  recorder.set_state(20 * kMs, 0, 0, 0);
  recorder.set_state(1'000'000 * kMs, 1, 0, 0.1);  // 99,998 idle intervals
  const auto points = recorder.finish(1'000'005 * kMs);
  REQUIRE(points.size() == 4);
  CHECK(points[0].span_ns == 10 * kMs);
  CHECK(points[1].span_ns == 10 * kMs);
  CHECK(points[2].start_s == ns_to_s(20 * kMs));
  CHECK(points[2].span_ns == (1'000'000 - 20) * kMs);
  CHECK(points[3].span_ns == 5 * kMs);  // the last, shorter interval
  CHECK(points[3].running == 1);
}

TEST_CASE("timeseries memory: room for the expected end is reserved once, and capped") {
  // A run expected to last 100 s at a 1 s interval: its 100 busy intervals fill the room
  // reserved up front, never moving to a larger array.
  TimeseriesRecorder busy(1'000 * kMs);
  busy.expect_end(100'000 * kMs, 1'000);
  for (SimTime s = 0; s < 100; ++s) busy.add_tokens(s * 1'000 * kMs + 5 * kMs, 1);
  const auto points = busy.finish(100'000 * kMs);
  CHECK(points.size() == 100);
  CHECK(points.capacity() == 101);  // end / interval + 1, reserved once
  // 1 ns intervals over 3e18 ns would ask for 3e18 points: the cap bounds the reservation.
  TimeseriesRecorder sparse(1);
  sparse.expect_end(3'000'000'000'000'000'000, 64);
  sparse.set_state(5, 1, 0, 0.5);
  const auto few = sparse.finish(3'000'000'000'000'000'000);
  CHECK(few.size() == 2);
  CHECK(few.capacity() == 64);
}

std::string experiment(const std::string& arrival, const std::string& simulation_extra = "", int requests = 20) {
  return "simulation:\n  seed: 1\n" + simulation_extra +
         "hardware:\n  gpu0: {preset: H100-SXM, count: 8}\n"
         "workload:\n  arrival: " + arrival + "\n  num_requests: " + std::to_string(requests) + "\n"
         "  prompt_tokens: {distribution: fixed, value: 256}\n  output_tokens: {distribution: fixed, value: 64}\n"
         "frameworks_to_test:\n  - name: v\n    type: VLLM\n"
         "    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}\n";
}

int64_t timeseries_rows(const std::string& tag, const std::string& text) {
  const std::string dir = fresh_dir(tag);
  const auto run = run_cli_args({"run", write_file(dir, "exp.yaml", text), "--out", dir + "/out", "--quiet"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  return static_cast<int64_t>(read_csv(dir + "/out/timeseries.csv").size()) - 1;
}

TEST_CASE("timeseries memory: rows follow the work, not interval x span") {
  // 20 requests of 64 tokens: a few hundred state changes at most, whatever the span.
  const int64_t busy = timeseries_rows("ts-tiny", experiment("{process: poisson, rate_per_s: 4}",
                                                               "  timeseries_interval_s: 1e-9\n"));
  CHECK(busy > 10);
  CHECK(busy < 3000);  // ~5e9 intervals of 1 ns
  // Think times of 1e5 s: ~1e6 one-second intervals, nearly all idle.
  CHECK(timeseries_rows("ts-think", experiment("{process: closed_loop, clients: 4, think_time_s: 1e5}")) < 500);
  // A rate of 1e-6/s: a span of ~2e7 s.
  CHECK(timeseries_rows("ts-rate", experiment("{process: poisson, rate_per_s: 1e-6}")) < 500);
}

// The recorder as it was before stretches were merged (commit 5f112c2): one bucket per interval.
class BucketPerInterval {
 public:
  explicit BucketPerInterval(SimTime interval_ns) : interval_ns_(interval_ns) {}
  void set_state(SimTime now, double running, double waiting, double kv) {
    integrate_to(now);
    running_ = running;
    waiting_ = waiting;
    kv_ = kv;
  }
  void add_tokens(SimTime now, int64_t tokens) { bucket(static_cast<std::size_t>(now / interval_ns_)).tokens += tokens; }
  std::vector<TimeseriesPoint> finish(SimTime end) {
    integrate_to(end);
    std::vector<TimeseriesPoint> points;
    const auto count = static_cast<std::size_t>((end + interval_ns_ - 1) / interval_ns_);
    for (std::size_t i = 0; i < count; ++i) {
      const Bucket b = i < buckets_.size() ? buckets_[i] : Bucket{};
      const SimTime start = static_cast<SimTime>(i) * interval_ns_;
      const double span = static_cast<double>(std::min(end, start + interval_ns_) - start);
      TimeseriesPoint p;
      p.start_s = ns_to_s(start);
      p.span_ns = std::min(end, start + interval_ns_) - start;
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

 private:
  struct Bucket {
    double running_ns = 0, waiting_ns = 0, kv_ns = 0;
    int64_t tokens = 0;
  };
  Bucket& bucket(std::size_t index) {
    if (index >= buckets_.size()) buckets_.resize(index + 1);
    return buckets_[index];
  }
  void integrate_to(SimTime now) {
    if (now <= last_ns_) return;
    SimTime t = last_ns_;
    while (t < now) {
      const auto index = static_cast<std::size_t>(t / interval_ns_);
      const SimTime until = std::min(now, static_cast<SimTime>(index + 1) * interval_ns_);
      const double span = static_cast<double>(until - t);
      Bucket& b = bucket(index);
      b.running_ns += running_ * span;
      b.waiting_ns += waiting_ * span;
      b.kv_ns += kv_ * span;
      t = until;
    }
    last_ns_ = now;
  }
  SimTime interval_ns_;
  SimTime last_ns_ = 0;
  double running_ = 0, waiting_ = 0, kv_ = 0;
  std::vector<Bucket> buckets_;
};

TEST_CASE("timeseries memory: each point, split back into its intervals, is bit for bit the old recorder's") {
  // Random engine-like histories: state changes at random instants (often several per interval,
  // sometimes none for many), tokens at some of them, idle stretches. Every value is compared
  // exactly: the rows written for intervals in which something changed are those of before.
  uint64_t x = 7;
  const auto next = [&](uint64_t bound) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 24) % bound;
  };
  for (int history = 0; history < 200; ++history) {
    const SimTime interval = 1 + static_cast<SimTime>(next(50));
    TimeseriesRecorder recorder(interval);
    BucketPerInterval old(interval);
    SimTime t = 0;
    for (int change = 0; change < 60; ++change) {
      const bool idle = next(4) == 0;
      const double running = idle ? 0 : static_cast<double>(next(9));
      const double waiting = idle ? 0 : static_cast<double>(next(3));
      const double kv = idle ? 0 : static_cast<double>(next(1000)) / 997.0;
      if (next(3) == 0) {
        const auto tokens = static_cast<int64_t>(next(5));
        recorder.add_tokens(t, tokens);
        old.add_tokens(t, tokens);
      }
      recorder.set_state(t, running, waiting, kv);
      old.set_state(t, running, waiting, kv);
      t += static_cast<SimTime>(next(4) == 0 ? next(40 * static_cast<uint64_t>(interval)) : next(static_cast<uint64_t>(interval)));
    }
    const SimTime end = t + static_cast<SimTime>(next(static_cast<uint64_t>(interval)));
    const auto merged = recorder.finish(end);
    const auto expected = old.finish(end);
    std::size_t i = 0;
    SimTime start = 0;
    for (const auto& p : merged) {
      for (SimTime covered = 0; covered < p.span_ns; covered += interval, ++i) {
        REQUIRE(i < expected.size());
        const TimeseriesPoint& e = expected[i];
        INFO("history " << history << ", interval " << i);
        CHECK(ns_to_s(start + covered) == e.start_s);
        CHECK(p.running == e.running);
        CHECK(p.waiting == e.waiting);
        CHECK(p.kv_utilization == e.kv_utilization);
        CHECK(p.output_tokens == e.output_tokens);
        // A point that stands for one interval is written exactly as before (its rate too).
        if (p.span_ns <= interval) CHECK(p.span_ns == e.span_ns);
      }
      start += p.span_ns;
    }
    CHECK(i == expected.size());
    CHECK(start == end);
  }
}

TEST_CASE("timeseries memory: a busy run still writes one row per interval") {
  const std::string dir = fresh_dir("ts-normal");
  const auto run = run_cli_args(
      {"run", write_file(dir, "exp.yaml", experiment("{process: poisson, rate_per_s: 40}", "", 400)), "--out", dir + "/out", "--quiet"});
  REQUIRE(run.code == 0);
  const auto rows = read_csv(dir + "/out/timeseries.csv");
  REQUIRE(rows.size() > 3);
  for (std::size_t r = 1; r < rows.size(); ++r) CHECK(rows[r][1] == std::to_string(r - 1));  // t_s = 0, 1, 2, ...
}

}  // namespace
}  // namespace llmpo
