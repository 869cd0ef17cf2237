// Metric definitions as vLLM's `vllm bench serve` computes them (numpy percentiles, population
// std, TPOT per request), checked on small hand-made runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "simulator/metrics/latency_sketch.hpp"
#include "simulator/metrics/run_metrics.hpp"
#include "simulator/metrics/timeseries.hpp"

using namespace llmpo;

namespace {

constexpr SimTime kMs = 1'000'000;

RequestState completed(int64_t id, SimTime arrival, SimTime first_token, SimTime completion, int32_t tokens) {
  RequestState r;
  r.request.id = static_cast<int32_t>(id);
  r.request.arrival_ns = arrival;
  r.request.prompt_tokens = 10;
  r.request.output_tokens = tokens;
  r.generated_tokens = tokens;
  r.first_scheduled_ns = arrival;
  r.first_token_ns = first_token;
  r.completion_ns = completion;
  r.outcome = RequestOutcome::completed;
  return r;
}

}  // namespace

TEST_CASE("metrics: percentiles interpolate linearly between ranks like numpy.percentile") {
  const std::vector<double> v = {1, 2, 3, 4};
  // numpy.percentile([1,2,3,4], p): rank = p/100 x 3.
  CHECK(percentile_linear(v, 50) == Approx(2.5));
  CHECK(percentile_linear(v, 99) == Approx(3.97));   // 1 + ... rank 2.97 -> 3 + 0.97
  CHECK(percentile_linear(v, 0) == Approx(1));
  CHECK(percentile_linear(v, 100) == Approx(4));
  CHECK(percentile_linear({7}, 90) == Approx(7));
}

TEST_CASE("metrics: std is the population standard deviation (numpy.std)") {
  const Stat s = summarize({2, 4, 4, 4, 5, 5, 7, 9}, {50});
  CHECK(s.mean == Approx(5));
  CHECK(s.std == Approx(2));  // sqrt(32 / 8)
  CHECK(s.median == Approx(4.5));
}

TEST_CASE("metrics: TPOT is per request and one-token requests are left out, and ITL is pooled") {
  RunResult run;
  // A: arrival 0, first token 100 ms, last 400 ms, 4 tokens -> TTFT 100, TPOT 100, E2EL 400.
  // B: arrival 50, one token at 150 ms -> TTFT 100, no TPOT, E2EL 100.
  run.requests = {completed(0, 0, 100 * kMs, 400 * kMs, 4), completed(1, 50 * kMs, 150 * kMs, 150 * kMs, 1)};
  for (const int64_t gap_ms : {50, 100, 150}) run.itl_ms.add(gap_ms * kMs);
  run.end_ns = 400 * kMs;
  const RunMetrics m = compute_run_metrics(run, {}, {});
  CHECK(m.ttft_ms.mean == Approx(100));
  CHECK(m.tpot_ms.count == 1);
  CHECK(m.tpot_ms.mean == Approx(100));
  CHECK(m.itl_ms.count == 3);
  CHECK(m.itl_ms.mean == Approx(100));
  CHECK(m.e2el_ms.mean == Approx(250));
  // Two requests over 0.4 s; 5 output and 20 input tokens.
  CHECK(m.duration_s == Approx(0.4));
  CHECK(m.request_throughput == Approx(5));
  CHECK(m.output_throughput == Approx(12.5));
  CHECK(m.total_token_throughput == Approx(62.5));
}

TEST_CASE("metrics: goodput counts only requests meeting every SLO, a class's own SLO first") {
  RunResult run;
  run.requests = {completed(0, 0, 100 * kMs, 400 * kMs, 4), completed(1, 0, 300 * kMs, 500 * kMs, 3)};
  run.requests[1].request.class_id = 1;
  run.end_ns = 500 * kMs;
  MetricsOptions options;
  options.slo.ttft_ms = 200;  // A meets it (100); B's class has its own, looser bound
  Slo loose;
  loose.ttft_ms = 400;
  CHECK(compute_run_metrics(run, options, {Slo{}, loose}).goodput == Approx(2 / 0.5));
  CHECK(compute_run_metrics(run, options, {}).goodput == Approx(1 / 0.5));
  CHECK(compute_run_metrics(run, options, {}).slo_attainment == Approx(0.5));
}

TEST_CASE("metrics: warm-up and cool-down exclude requests by arrival time") {
  RunResult run;
  for (int64_t i = 0; i < 10; ++i)
    run.requests.push_back(completed(i, i * 1000 * kMs, i * 1000 * kMs + 10 * kMs, i * 1000 * kMs + 50 * kMs, 2));
  run.end_ns = 9050 * kMs;
  MetricsOptions options;
  options.warmup_s = 2.0;    // drops arrivals at 0 and 1 s
  options.cooldown_s = 2.0;  // last arrival 9 s: drops those after 7 s (8 and 9 s)
  const RunMetrics m = compute_run_metrics(run, options, {});
  CHECK(m.completed == 10);
  CHECK(m.measured == 6);  // arrivals at 2..7 s
  // Span: from the end of the warm-up (2 s) to the last measured completion (7.05 s).
  CHECK(m.duration_s == Approx(5.05));
}

TEST_CASE("timeseries: values are time-averaged within each interval and idle gaps cost nothing extra") {
  TimeseriesRecorder recorder(10 * kMs);
  recorder.set_state(0, 2, 0, 0.5);
  recorder.set_state(5 * kMs, 4, 1, 0.25);   // 2 for 5 ms, then 4 for 5 ms -> mean 3
  recorder.add_tokens(7 * kMs, 6);
  recorder.set_state(10 * kMs, 0, 0, 0);
  const auto points = recorder.finish(30 * kMs);
  // The two idle intervals [10, 30) ms are one point: nothing changed between them.
  REQUIRE(points.size() == 2);
  CHECK(points[0].running == Approx(3));
  CHECK(points[0].waiting == Approx(0.5));
  CHECK(points[0].kv_utilization == Approx(0.375));
  CHECK(points[0].output_tokens == 6);
  CHECK(points[1].running == Approx(0));
  CHECK(points[1].span_ns == 20 * kMs);
}

TEST_CASE("latency sketch: percentiles are within 0.5% of the exact sample, count, mean and std exact") {
  LatencySketch sketch;
  std::vector<double> exact;
  uint64_t x = 99;
  for (int i = 0; i < 100'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t ns = 1'000'000 + static_cast<int64_t>((x >> 24) % 200'000'000);  // 1 to 201 ms
    sketch.add(ns);
    exact.push_back(static_cast<double>(ns) * 1e-6);
  }
  std::sort(exact.begin(), exact.end());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9}) {
    INFO("p" << p);
    const double lower_rank = exact[static_cast<std::size_t>(std::floor(p / 100 * static_cast<double>(exact.size() - 1)))];
    CHECK(std::fabs(sketch.percentile_ms(p) / lower_rank - 1) <= LatencySketch::kRelativeError);
  }
  const Stat s = summarize(exact, {50});
  CHECK(sketch.count() == 100'000);
  CHECK(sketch.mean_ms() == Approx(s.mean).epsilon(1e-12));
  CHECK(sketch.std_ms() == Approx(s.std).epsilon(1e-9));
}

TEST_CASE("latency sketch: values added in order land in the buckets of values looked up one by one") {
  // The sketch remembers the whole numbers its last bucket holds; values at and next to every
  // bucket edge from 2 ns to beyond 10^12 ns, added in rising order (mostly through that memory),
  // must fill the same buckets as the same values each added after a 0 (so each is looked up).
  const double gamma = (1 + LatencySketch::kRelativeError) / (1 - LatencySketch::kRelativeError);
  std::vector<int64_t> values;
  for (int index = 70; index <= 2900; index += 3) {
    const auto edge = static_cast<int64_t>(std::pow(gamma, index));
    for (int64_t v = edge - 2; v <= edge + 2; ++v) values.push_back(v);
  }
  LatencySketch in_order, one_by_one;
  for (const int64_t v : values) {
    in_order.add(v);
    one_by_one.add(v);
    one_by_one.add(0);
  }
  in_order.add(0, static_cast<int64_t>(values.size()));
  REQUIRE(in_order.count() == one_by_one.count());
  // The value at each rank (numpy's 'lower' rank of p, p halfway between ranks) is the same.
  const auto n = static_cast<double>(in_order.count() - 1);
  int mismatches = 0;
  for (int64_t rank = 0; rank < in_order.count() - 1; ++rank) {
    const double p = 100.0 * (static_cast<double>(rank) + 0.5) / n;
    if (in_order.percentile_ms(p) != one_by_one.percentile_ms(p)) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("latency sketch: add_each gives exactly what adding each value in turn gives") {
  // Drifting step durations (the decode runs' case), with jumps across buckets, values of 1 ns and
  // less (the lowest bucket) and beyond 10^12 ns (never cached), each series added `count` times.
  uint64_t x = 7;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  LatencySketch each, one_by_one;
  for (int series = 0; series < 300; ++series) {
    std::vector<int64_t> values;
    int64_t v = static_cast<int64_t>(next() % 50'000'000);
    if (series % 10 == 3) v = -5;
    if (series % 10 == 7) v = 999'999'999'990 + static_cast<int64_t>(next() % 20);
    const auto length = static_cast<std::size_t>(next() % 400);
    for (std::size_t i = 0; i < length; ++i) {
      values.push_back(v);
      v += next() % 8 == 0 ? static_cast<int64_t>(next() % 3'000'000) : static_cast<int64_t>(next() % 5);
    }
    const auto count = static_cast<int64_t>(next() % 4);  // 0 too: adds nothing
    each.add_each(values.size(), count, [&values](std::size_t i) { return values[i]; });
    for (const int64_t value : values) one_by_one.add(value, count);
  }
  REQUIRE(one_by_one.count() > 50'000);
  CHECK(each.count() == one_by_one.count());
  CHECK(each.mean_ms() == one_by_one.mean_ms());
  CHECK(each.std_ms() == one_by_one.std_ms());
  for (int p = 0; p <= 1000; ++p) {
    INFO("p" << p / 10.0);
    CHECK(each.percentile_ms(p / 10.0) == one_by_one.percentile_ms(p / 10.0));
  }
}

TEST_CASE("metrics: a rejected request counts against SLO attainment") {
  RunResult run;
  run.requests = {completed(0, 0, 100 * kMs, 400 * kMs, 4)};
  RequestState refused;
  refused.request.id = 1;
  refused.request.arrival_ns = 50 * kMs;
  refused.outcome = RequestOutcome::rejected;
  refused.reject_reason = RejectReason::exceeds_max_model_len;
  refused.completion_ns = 50 * kMs;
  run.requests.push_back(refused);
  run.end_ns = 400 * kMs;
  MetricsOptions options;
  options.slo.ttft_ms = 200;
  const RunMetrics m = compute_run_metrics(run, options, {});
  CHECK(m.slo_attainment == Approx(0.5));  // 1 good of 2 that asked
  CHECK(m.goodput == Approx(1 / 0.4));
}
