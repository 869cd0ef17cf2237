// Bulk decoding's runs that straddle an arrival: the step an arrival falls in is advanced with the
// run, and the arrival still joins exactly when it would have while stepping. Timestamps worked
// out by hand (step = 10 ms + 1 ms per new token), and every recorded figure compared with the
// step-by-step path.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "scenario.hpp"
#include "simulator/metrics/run_metrics.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

// warmup_s: the runs measured only requests arriving from then on (SimulationOptions::measure_from_ns).
void check_same_run(const RunResult& bulk, const RunResult& stepped, double warmup_s = 0) {
  REQUIRE(bulk.requests.size() == stepped.requests.size());
  for (std::size_t i = 0; i < bulk.requests.size(); ++i) {
    INFO("request " << i);
    CHECK(bulk.requests[i].first_token_ns == stepped.requests[i].first_token_ns);
    CHECK(bulk.requests[i].completion_ns == stepped.requests[i].completion_ns);
    CHECK(bulk.requests[i].first_scheduled_ns == stepped.requests[i].first_scheduled_ns);
  }
  CHECK(bulk.steps == stepped.steps);
  CHECK(bulk.events == stepped.events);
  CHECK(bulk.end_ns == stepped.end_ns);
  CHECK(bulk.in_system_area_ns == stepped.in_system_area_ns);
  CHECK(bulk.kv_utilization_area_ns == stepped.kv_utilization_area_ns);
  CHECK(bulk.peak_kv_blocks == stepped.peak_kv_blocks);
  CHECK(bulk.batch_sequences_total == stepped.batch_sequences_total);
  // Inter-token gaps: the same multiset per request (bulk runs list a request's gaps together).
  auto sorted_gaps = [](const RunResult& run) {
    std::vector<std::pair<int64_t, SimTime>> gaps;
    for (const auto& g : run.itl) gaps.emplace_back(g.request, g.gap_ns);
    std::sort(gaps.begin(), gaps.end());
    return gaps;
  };
  CHECK(sorted_gaps(bulk) == sorted_gaps(stepped));
  MetricsOptions options;
  options.warmup_s = warmup_s;
  const RunMetrics mb = compute_run_metrics(bulk, options, {});
  const RunMetrics ms_ = compute_run_metrics(stepped, options, {});
  CHECK(mb.itl_ms.count == ms_.itl_ms.count);
  CHECK(mb.itl_ms.mean == ms_.itl_ms.mean);
  CHECK(mb.itl_ms.percentiles == ms_.itl_ms.percentiles);
  CHECK(mb.max_output_tokens_per_s == ms_.max_output_tokens_per_s);
  CHECK(mb.max_concurrent_requests == ms_.max_concurrent_requests);
  CHECK(bulk.preemptions == stepped.preemptions);
  REQUIRE(bulk.timeseries.size() == stepped.timeseries.size());
  for (std::size_t i = 0; i < bulk.timeseries.size(); ++i) {
    INFO("time series point " << i);
    CHECK(bulk.timeseries[i].span_ns == stepped.timeseries[i].span_ns);
    CHECK(bulk.timeseries[i].running == stepped.timeseries[i].running);
    CHECK(bulk.timeseries[i].waiting == stepped.timeseries[i].waiting);
    CHECK(bulk.timeseries[i].kv_utilization == stepped.timeseries[i].kv_utilization);
    CHECK(bulk.timeseries[i].output_tokens == stepped.timeseries[i].output_tokens);
  }
}

// A decodes alone from 20 ms in 11 ms steps (20, 31, 42, 53, ...). B arrives at 50, inside the
// step 42 -> 53; C at 53, the very instant that step ends.
const Workload kStraddled = open_loop({{0, 10, 40}, {50, 10, 5}, {53, 10, 5}});

}  // namespace

TEST_CASE("decode runs: an arrival inside a run's last step joins at that step's end, as when stepping") {
  // Without async scheduling both wait for the step 42 -> 53 (C's arrival at its end comes after
  // its step_end), then one step: A's decode + two prefills of 10 = 21 tokens, 53 -> 84. Then
  // 3 decodes of 13 ms: B and C emit their 5th token at 84 + 4 x 13 = 136; A (token 5 at 84,
  // 9 at 136) decodes alone from there: token 40 at 136 + 31 x 11 = 477.
  const RunResult bulk = simulate(kStraddled, vllm(64), 100, 16, 10, 1);
  const RunResult stepped = simulate(kStraddled, vllm(64), 100, 16, 10, 1, 1, RouterPolicy::round_robin, false, false);
  check_same_run(bulk, stepped);
  CHECK(ms(bulk.requests[0].first_token_ns) == 20);
  CHECK(ms(bulk.requests[1].first_token_ns) == 84);
  CHECK(ms(bulk.requests[2].first_token_ns) == 84);
  CHECK(ms(bulk.requests[1].completion_ns) == 136);
  CHECK(ms(bulk.requests[2].completion_ns) == 136);
  CHECK(ms(bulk.requests[0].completion_ns) == 477);
}

TEST_CASE("decode runs: with async scheduling an arrival inside the step waits one more step, one at its end does not") {
  // B arrives while 42 -> 53 runs: held back, it misses the step planned at 53. C arrives at 53
  // after that step ended, so it is admitted at once and the step planned at 53 takes it:
  // A + C's prefill = 11 tokens, 53 -> 74 (C's first token). Then A + C + B's prefill = 12
  // tokens, 74 -> 96 (B's first token); 13 ms steps to C's 5th token at 96 + 3 x 13 = 135; then
  // 12 ms: B's 5th at 147; A (token 10 at 147) alone: token 40 at 147 + 30 x 11 = 477.
  const RunResult bulk = simulate(kStraddled, vllm(64), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true);
  const RunResult stepped = simulate(kStraddled, vllm(64), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true, false);
  check_same_run(bulk, stepped);
  CHECK(ms(bulk.requests[2].first_token_ns) == 74);
  CHECK(ms(bulk.requests[1].first_token_ns) == 96);
  CHECK(ms(bulk.requests[2].completion_ns) == 135);
  CHECK(ms(bulk.requests[1].completion_ns) == 147);
  CHECK(ms(bulk.requests[0].completion_ns) == 477);
}

TEST_CASE("decode runs: with async scheduling a run goes on through the step planned before held-back arrivals join") {
  // A (prompt 13) decodes alone from 23 ms: 34, 45, 56, 67. B arrives at 50 (inside 45 -> 56):
  // held back, admitted after the step 56 -> 67 was planned; C at 60 (inside that one) waits for
  // the step after. 67 -> 88: A + B's prefill (11 tokens); 88 -> 110: A + B + C's prefill (12).
  // 13 ms steps: B's 5th token at 149; then A + C, 12 ms: C's 5th at 161; A alone from its 11th
  // token at 161: its 40th at 161 + 29 x 11 = 480. A's context crosses a 16-token block in the
  // step 56 -> 67: until 56 the cache holds one block, as the time series must show.
  const Workload w = open_loop({{0, 13, 40}, {50, 10, 5}, {60, 10, 5}});
  const RunResult bulk = simulate(w, vllm(64), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true);
  const RunResult stepped = simulate(w, vllm(64), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true, false);
  check_same_run(bulk, stepped);
  CHECK(ms(bulk.requests[1].first_token_ns) == 88);
  CHECK(ms(bulk.requests[2].first_token_ns) == 110);
  CHECK(ms(bulk.requests[1].completion_ns) == 149);
  CHECK(ms(bulk.requests[2].completion_ns) == 161);
  CHECK(ms(bulk.requests[0].completion_ns) == 480);
}

TEST_CASE("decode runs: random small workloads give exactly the step-by-step run") {
  // Whole-millisecond arrivals, think times and step costs make arrivals land on step ends often:
  // the instants where a run that straddles or ends with completions could go wrong. Open loop,
  // closed loop and sessions; with and without async scheduling; one to three replicas (runs
  // straddle only on one), routed round robin or by KV use; caches small enough to preempt and
  // refuse. Every figure of check_same_run must match. (Written after a run was found recording
  // the KV blocks of a next step that could not fit as a peak, and summing replicas' KV use in
  // another order than observe(): both fixed.)
  std::mt19937_64 rng(20261206);
  auto pick = [&](std::initializer_list<int64_t> values) {
    return *(values.begin() + static_cast<std::ptrdiff_t>(rng() % values.size()));
  };
  auto uniform = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  for (int trial = 0; trial < 600; ++trial) {
    Workload w;
    w.classes.push_back({"default", 1.0, {}});
    const int64_t mode = trial % 3;  // 0 open loop, 1 closed loop, 2 sessions
    const int64_t n = uniform(5, 40);
    std::vector<int64_t> arrivals_ms(static_cast<std::size_t>(n));
    for (auto& a : arrivals_ms) a = uniform(0, 300);
    std::sort(arrivals_ms.begin(), arrivals_ms.end());
    int64_t session = 0;
    bool previous_continues = false;  // sessions: the request before links to the next one
    for (int64_t i = 0; i < n; ++i) {
      Request r;
      r.id = static_cast<int32_t>(i);
      r.prompt_tokens = static_cast<int32_t>(uniform(1, 150));
      r.output_tokens = static_cast<int32_t>(uniform(1, 60));
      r.arrival_ns = mode == 1 ? 0 : arrivals_ms[static_cast<std::size_t>(i)] * kMsNs;
      SimTime think_ns = 0;
      const bool continues = mode == 2 && previous_continues;
      if (mode == 2) {
        // A session continues with probability 1/2: its next turn follows this one's reply.
        if (continues) {
          r.arrival_ns = kNeverNs;
          think_ns = pick({0, 4}) * kMsNs;
        } else {
          ++session;
        }
        previous_continues = i + 1 < n && rng() % 2 == 0;
      }
      w.requests.push_back(r);
      if (mode == 2) w.set_session(i, session);
      if (continues) w.link_turns(i - 1, i, think_ns);
    }
    if (mode == 1) {
      w.closed_loop = true;
      w.clients = uniform(1, 6);
      w.think_time_ns = pick({0, 3}) * kMsNs;
      for (auto& r : w.requests) r.client_id = static_cast<int32_t>(r.id % w.clients);
    }
    const VllmSettings settings = vllm(pick({8, 32, 256}), pick({2, 4, 64}), pick({4, 16}));
    const int64_t blocks = pick({30, 200, 2000});
    const double base_ms = static_cast<double>(pick({3, 10}));
    const bool async = rng() % 2 == 0;
    INFO("trial " << trial << ", mode " << mode << ", async " << async << ", blocks " << blocks);
    const int64_t reps = pick({1, 2, 3});
    const RouterPolicy router = rng() % 2 ? RouterPolicy::round_robin : RouterPolicy::least_kv;
    INFO("replicas " << reps << " router " << to_string(router));
    // Every fourth trial measures only requests arriving from 100 ms (a warm-up): the others'
    // gaps stay out of the ITL sketch but are still kept one by one (vLLM's detailed itls).
    const SimTime measure_from_ns = trial % 4 == 1 ? 100 * kMsNs : 0;
    INFO("measured from " << measure_from_ns << " ns");
    const RunResult bulk =
        simulate(w, settings, blocks, settings.block_size, base_ms, 1, reps, router, async, true, measure_from_ns);
    const RunResult stepped =
        simulate(w, settings, blocks, settings.block_size, base_ms, 1, reps, router, async, false, measure_from_ns);
    check_same_run(bulk, stepped, static_cast<double>(measure_from_ns) * 1e-9);
  }
}
