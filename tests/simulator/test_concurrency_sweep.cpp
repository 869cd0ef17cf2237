// vLLM's max_concurrent_requests from a sweep that holds only the open intervals' ends
// (ConcurrencySweep, vllm_peaks.hpp): the same count as the sweep over two sorted arrays, worked
// by hand and checked against it on random intervals; out-of-order input is refused, and the
// metrics then fall back to the arrays.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "simulator/metrics/run_metrics.hpp"
#include "simulator/metrics/vllm_peaks.hpp"

using namespace llmpo;

namespace {

// The count by the arrays' sweep, with every token in one counted second at the first start.
int64_t by_arrays(const std::vector<std::pair<SimTime, SimTime>>& intervals) {
  std::vector<SimTime> starts, ends;
  for (const auto& [start, end] : intervals) {
    starts.push_back(start);
    ends.push_back(end);
  }
  OutputTokenBuckets counted;
  counted.origin_ns = *std::min_element(starts.begin(), starts.end());
  return vllm_peaks_of(std::move(starts), std::move(ends), counted).max_concurrent_requests;
}

RequestState completed(int32_t id, SimTime arrival_ns, SimTime completion_ns) {
  RequestState r;
  r.request.id = id;
  r.request.arrival_ns = arrival_ns;
  r.completion_ns = completion_ns;
  r.outcome = RequestOutcome::completed;
  return r;
}

}  // namespace

TEST_CASE("concurrency sweep: worked by hand") {
  ConcurrencySweep sweep;
  CHECK(sweep.empty());
  // A [0, 25), B [5, 10), C [10, 32), D [10, 11), E [40, 50): at 10 B ends as C and D start
  // (an end first), so A, C, D are open: 3. E starts after all of them ended: 1.
  for (const auto& [start, end] : std::vector<std::pair<SimTime, SimTime>>{{0, 25}, {5, 10}, {10, 32}, {10, 11}, {40, 50}})
    REQUIRE(sweep.add(start, end));
  CHECK(sweep.most() == 3);
  CHECK(sweep.first_start_ns() == 0);
  CHECK(sweep.last_end_ns() == 50);

  OutputTokenBuckets counted;
  counted.origin_ns = 0;
  counted.seconds = {{0, 7}};
  const VllmPeaks peaks = vllm_peaks_of_sweep(sweep, counted);
  CHECK(peaks.max_concurrent_requests == 3);
  CHECK(peaks.max_output_tokens_per_s == 7.0);
  CHECK(vllm_peaks_of_sweep(ConcurrencySweep{}, counted).max_concurrent_requests == 0);  // vLLM's zeros
}

TEST_CASE("concurrency sweep: refuses a start before the last one, and an empty interval") {
  ConcurrencySweep sweep;
  REQUIRE(sweep.add(10, 20));
  CHECK_FALSE(sweep.add(9, 30));
  ConcurrencySweep empty_interval;
  CHECK_FALSE(empty_interval.add(10, 10));
}

TEST_CASE("concurrency sweep: the arrays' count on random intervals with tied starts and ends") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    // Coarse instants so that starts tie with starts and ends with starts.
    std::uniform_int_distribution<SimTime> gap(0, 3), length(1, 40);
    std::vector<std::pair<SimTime, SimTime>> intervals;
    SimTime start = 0;
    ConcurrencySweep sweep;
    for (int i = 0; i < 400; ++i) {
      start += gap(rng);
      intervals.emplace_back(start, start + length(rng));
      REQUIRE(sweep.add(intervals.back().first, intervals.back().second));
    }
    CHECK(sweep.most() == by_arrays(intervals));
  }
}

TEST_CASE("concurrency sweep: requests out of arrival order fall back to the arrays' sweep") {
  // A closed loop or sessions set arrivals as they go: request 1 arrives before request 0.
  RunResult run;
  run.requests = {completed(0, 30, 100), completed(1, 10, 40), completed(2, 35, 50)};
  run.measured_token_seconds.origin_ns = 10;
  const VllmPeaks peaks = compute_vllm_peaks(run, [](const RequestState&) { return true; });
  CHECK(peaks.max_concurrent_requests == 3);  // at 35: [30, 100), [10, 40) and [35, 50)
}
