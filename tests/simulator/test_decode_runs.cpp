// Bulk decoding's runs that straddle an arrival: the step an arrival falls in is advanced with the
// run, and the arrival still joins exactly when it would have while stepping. Timestamps worked
// out by hand (step = 10 ms + 1 ms per new token), and every recorded figure compared with the
// step-by-step path.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

void check_same_run(const RunResult& bulk, const RunResult& stepped) {
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
  CHECK(bulk.itl.size() == stepped.itl.size());
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
