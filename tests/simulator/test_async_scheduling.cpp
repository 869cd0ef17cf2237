// vLLM V1 async scheduling (EngineCore.step_with_batch_queue): step N+1 is planned when step N
// is launched, so a request that arrives while a step runs first runs in the step after next.
// Timings worked out by hand with a step of 10 ms + 1 ms per new token.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace llmpo;
using namespace llmpo::test;

TEST_CASE("async scheduling: a request arriving during a step joins the step after the next one") {
  // A at 0 ms (prompt 10, output 3), B at 5 ms (prompt 10, output 2); budget 100.
  // Synchronous:  step 1  0 -> 20  A prefill (10 tokens)          A token 1 at 20
  //               step 2 20 -> 41  A decode + B prefill (11)      A token 2, B token 1 at 41
  //               step 3 41 -> 53  A decode + B decode (2)        A done at 53, B done at 53
  // Asynchronous: step 2 was planned at 0 without B (B arrived during step 1):
  //               step 2 20 -> 31  A decode (1)                   A token 2 at 31
  //               step 3 31 -> 52  A decode + B prefill (11)      A done at 52, B token 1 at 52
  //               step 4 52 -> 63  B decode (1)                   B done at 63
  const Workload w = open_loop({{0, 10, 3}, {5, 10, 2}});
  const RunResult sync = simulate(w, vllm(100), 100, 16, 10, 1);
  CHECK(ms(sync.requests[0].completion_ns) == 53);
  CHECK(ms(sync.requests[1].first_token_ns) == 41);
  CHECK(ms(sync.requests[1].completion_ns) == 53);
  CHECK(sync.steps == 3);

  const RunResult async = simulate(w, vllm(100), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true);
  CHECK(ms(async.requests[0].first_token_ns) == 20);
  CHECK(ms(async.requests[0].completion_ns) == 52);
  CHECK(ms(async.requests[1].first_scheduled_ns) == 31);
  CHECK(ms(async.requests[1].first_token_ns) == 52);
  CHECK(ms(async.requests[1].completion_ns) == 63);
  CHECK(async.steps == 4);
}

TEST_CASE("async scheduling: an idle engine starts a new request at once") {
  // Nothing runs when B arrives at 100 ms: the engine loop picks it up immediately.
  //   A: 0 -> 20 prefill (token 1), 20 -> 31 decode (done).  B: 100 -> 120 prefill, 120 -> 131.
  const Workload w = open_loop({{0, 10, 2}, {100, 10, 2}});
  const RunResult async = simulate(w, vllm(100), 100, 16, 10, 1, 1, RouterPolicy::round_robin, true);
  CHECK(ms(async.requests[0].completion_ns) == 31);
  CHECK(ms(async.requests[1].first_scheduled_ns) == 100);
  CHECK(ms(async.requests[1].first_token_ns) == 120);
  CHECK(ms(async.requests[1].completion_ns) == 131);
}
