// vLLM's max_output_tokens_per_s counted while the simulation runs (output_token_buckets.hpp):
// the buckets start at the earliest arrival of a measured request that completed, which is only
// known once that request completes; tokens before then wait, and a rejected first arrival does
// not count as the origin.
#include <catch2/catch.hpp>

#include "scenario.hpp"
#include "simulator/metrics/output_token_buckets.hpp"
#include "simulator/metrics/run_metrics.hpp"
#include "simulator/metrics/vllm_peaks.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

RequestState arrived_at(int64_t id, SimTime arrival_ns) {
  RequestState r;
  r.request.id = static_cast<int32_t>(id);
  r.request.arrival_ns = arrival_ns;
  return r;
}

// One measured request, arrived at 0 and completed: the origin is known from the first step end.
struct OneCompletedRequest {
  std::vector<RequestState> requests = {arrived_at(0, 0)};
  OutputTokenCounter counter;
  OneCompletedRequest() {
    requests[0].outcome = RequestOutcome::completed;
    counter.on_measured_arrival(0);
  }
  void add(SimTime at_ns, int64_t tokens) { counter.add(at_ns, tokens, requests); }
};

}  // namespace

TEST_CASE("output token buckets: tokens wait until the earliest measured arrival completes") {
  constexpr SimTime s = kNsPerSecond;
  // Three measured arrivals: 0 at 0.1 s (rejected later), 1 at 0.5 s, 2 at 0.7 s.
  std::vector<RequestState> requests = {arrived_at(0, s / 10), arrived_at(1, s / 2), arrived_at(2, 7 * s / 10)};
  OutputTokenCounter counter;
  for (int64_t i = 0; i < 3; ++i) counter.on_measured_arrival(i);
  counter.add(3 * s / 10, 5, requests);  // 0.3 s: nothing settled yet, kept aside
  requests[0].outcome = RequestOutcome::rejected;
  requests[2].outcome = RequestOutcome::completed;  // a later arrival completing settles nothing
  counter.add(14 * s / 10, 2, requests);            // 1.4 s: request 1 still pending
  requests[1].outcome = RequestOutcome::completed;
  counter.add(16 * s / 10, 3, requests);  // origin 0.5 s now known
  counter.add(2 * s, 4, requests);
  const OutputTokenBuckets buckets = counter.finish(requests);
  CHECK(buckets.origin_ns == s / 2);
  // 0.3 s is before the origin (in no bucket); 1.4 s is 0.9 s after it (bucket 0); 1.6 s and
  // 2.0 s are 1.1 and 1.5 s after it (bucket 1: 3 + 4).
  // Bucket 0 was left behind when 1.6 s was counted: folded into the running maximum.
  CHECK(buckets.folded_most_tokens == 2);
  CHECK(buckets.folded_through_bucket == 0);
  REQUIRE(buckets.seconds.size() == 1);
  CHECK(buckets.seconds[0] == std::pair<int64_t, int64_t>{1, 7});
}

TEST_CASE("output token buckets: seconds left behind keep only their maximum, which the peak reads") {
  constexpr SimTime s = kNsPerSecond;
  OneCompletedRequest run;
  // Seconds 0..3 hold 4, 9, 2 and 5 tokens (two step ends in second 1).
  run.add(s / 2, 4);
  run.add(11 * s / 10, 6);
  run.add(19 * s / 10, 3);
  run.add(25 * s / 10, 2);
  run.add(35 * s / 10, 5);
  const OutputTokenBuckets buckets = run.counter.finish(run.requests);
  CHECK(buckets.folded_most_tokens == 9);
  CHECK(buckets.folded_through_bucket == 2);
  REQUIRE(buckets.seconds.size() == 1);
  CHECK(buckets.seconds[0] == std::pair<int64_t, int64_t>{3, 5});
  // The request ran [0, 3.6 s): five buckets, the fullest second 1's 9 tokens.
  CHECK(vllm_peaks_of({0}, {36 * s / 10}, buckets).max_output_tokens_per_s == 9.0);
  // Had it ended at 0.9 s (vLLM's ceil(0.9) + 1 = 2 buckets, 0 and 1), the folded second 2 would
  // lie past the last bucket: the maximum could include tokens vLLM leaves out, which is an
  // internal error, not a figure. Ending at 1.5 s (3 buckets) is fine.
  CHECK_THROWS_AS(vllm_peaks_of({0}, {9 * s / 10}, buckets), InternalError);
  CHECK(vllm_peaks_of({0}, {15 * s / 10}, buckets).max_output_tokens_per_s == 9.0);
}

TEST_CASE("output token buckets: a step end in a second already folded is an internal error, not a lost token") {
  constexpr SimTime s = kNsPerSecond;
  OneCompletedRequest run;
  run.add(s / 2, 4);
  run.add(25 * s / 10, 2);  // second 0 folded
  run.add(26 * s / 10, 1);  // the latest second: fine
  CHECK_THROWS_AS(run.add(7 * s / 10, 1), InternalError);
}

TEST_CASE("output token buckets: no measured request completed, no origin") {
  std::vector<RequestState> requests = {arrived_at(0, 0)};
  OutputTokenCounter counter;
  counter.on_measured_arrival(0);
  requests[0].outcome = RequestOutcome::rejected;
  const OutputTokenBuckets buckets = counter.finish(requests);
  CHECK(buckets.origin_ns == kNeverNs);
  CHECK(buckets.seconds.empty());
}

TEST_CASE("output token buckets: a simulated run whose first request is rejected counts from the second") {
  // 100 blocks of 16 tokens hold 1600 tokens: A (0 ms, prompt 2000) is refused. Budget 8, a
  // step costs 10 ms + 1 ms per new token.
  //   B (300 ms, prompt 4, output 3): 300 -> 314 prefill (token 1), 314 -> 325, 325 -> 336.
  //   C (1280 ms, prompt 4, output 2): 1280 -> 1294 (token 1), 1294 -> 1305 (token 2).
  // From B's arrival: [0.3, 1.3) s holds B's 3 tokens and C's first = 4, [1.3, 2.3) s C's second.
  // Counted from A's arrival instead, [0, 1) s would hold 3 and [1, 2) s 2.
  const Workload w = open_loop({{0, 2000, 2}, {300, 4, 3}, {1280, 4, 2}});
  const RunResult run = simulate(w, vllm(8), 100, 16, 10, 1);
  REQUIRE(run.requests[0].outcome == RequestOutcome::rejected);
  CHECK(ms(run.requests[1].completion_ns) == 336);
  CHECK(ms(run.requests[2].completion_ns) == 1305);
  CHECK(run.measured_token_bursts.empty());  // counted, not kept
  CHECK(run.measured_token_seconds.origin_ns == 300 * kMsNs);
  const RunMetrics m = compute_run_metrics(run, {}, {});
  CHECK(m.max_output_tokens_per_s == 4.0);
  CHECK(m.max_concurrent_requests == 1);
}

TEST_CASE("output token buckets: counted from another origin than the metrics' window is an error") {
  constexpr SimTime s = kNsPerSecond;
  OutputTokenBuckets counted;
  counted.origin_ns = s;
  counted.seconds = {{0, 3}};
  CHECK(vllm_peaks_of({s}, {2 * s}, counted).max_output_tokens_per_s == 3.0);
  CHECK_THROWS_AS(vllm_peaks_of({2 * s}, {3 * s}, counted), InternalError);
}
