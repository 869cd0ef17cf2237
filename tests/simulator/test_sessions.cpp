// Content identity (simulator/core/prompt_tree.hpp) and sessions in the event loop: follow-up
// turns are sent a think time after their previous turn's last token, by hand.
#include <catch2/catch.hpp>

#include <vector>

#include "scenario.hpp"
#include "simulator/core/prompt_tree.hpp"

using namespace llmpo;
using namespace llmpo::test;

TEST_CASE("prompt tree: block keys name equal prefixes equally and different ones differently") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 20);   // tokens [0, 20)
  const int32_t user_a = tree.add(system, 10);          // [20, 30)
  const int32_t user_b = tree.add(system, 30);          // [20, 50)
  const int32_t reply_a = tree.add(user_a, 7);          // [30, 37)
  CHECK(tree.end_tokens(reply_a) == 37);
  CHECK(tree.start_tokens(reply_a) == 30);
  CHECK(tree.length_tokens(user_b) == 30);

  std::vector<uint64_t> a, b;
  tree.block_keys(reply_a, 37, 8, a);  // blocks end at 8, 16, 24, 32
  tree.block_keys(user_b, 50, 8, b);   // 8, 16, 24, 32, 40, 48
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 6);
  // Tokens [0, 8) and [0, 16) lie in the shared system prompt; [0, 24) already holds 4 tokens
  // of each request's own message.
  CHECK(a[0] == prefix_key(system, 8));
  CHECK(a[1] == prefix_key(system, 16));
  CHECK(a[0] == b[0]);
  CHECK(a[1] == b[1]);
  CHECK(a[2] == prefix_key(user_a, 4));
  CHECK(b[2] == prefix_key(user_b, 4));
  CHECK(a[2] != b[2]);
  CHECK(a[3] == prefix_key(reply_a, 2));
  CHECK(tree.key_at(reply_a, 20) == prefix_key(system, 20));
  CHECK(tree.key_at(reply_a, 21) == prefix_key(user_a, 1));
  std::vector<int32_t> path;
  tree.path(reply_a, path);
  CHECK(path == std::vector<int32_t>{system, user_a, reply_a});
  // Fewer tokens than the path holds: only their full blocks.
  tree.block_keys(reply_a, 15, 8, a);
  CHECK(a.size() == 1);
  CHECK_THROWS(tree.block_keys(reply_a, 38, 8, a));
  CHECK_THROWS(tree.add(99, 5));
  CHECK_THROWS(tree.add(system, 0));
}

TEST_CASE("sessions: a follow-up turn is sent its think time after the previous turn's last token") {
  // Two sessions of two turns; each turn 10 prompt tokens (the follow-up's prompt is the
  // history + 5 new tokens) and 3 output tokens. Step = 10 ms + 1 ms per new token.
  Workload w = open_loop({{0, 10, 3}, {0, 18, 3}, {5, 10, 3}, {0, 18, 3}});
  auto& r = w.requests;
  // Session 0: requests 0 -> 1; session 1: requests 2 -> 3 (request 2 arrives at 5 ms).
  for (const int64_t id : {0, 1}) w.set_session(id, 0);
  for (const int64_t id : {2, 3}) w.set_session(id, 1);
  w.link_turns(0, 1, 100 * kMsNs);
  w.link_turns(2, 3, 50 * kMsNs);
  r[1].arrival_ns = kNeverNs;
  r[3].arrival_ns = kNeverNs;
  // Keep fixed arrivals sorted: request 2 (5 ms) after request 0 (0 ms); follow-ups anywhere.
  const RunResult result = simulate(w, vllm(2048), 1000, 16, 10, 1);
  REQUIRE(result.unsent_requests == 0);
  const auto& q = result.requests;
  // t=0: request 0 prefills (10 tokens): 20 ms -> first token at 20. Request 2 arrives at 5,
  // joins the next step: t=20 decode(0) + prefill(2) = 10 + 1 + 10 = 21 ms -> 41.
  // t=41: decode 0 (its 3rd token) and 2: 12 ms -> 53: request 0 done at 53.
  CHECK(ms(q[0].first_token_ns) == Approx(20));
  CHECK(ms(q[0].completion_ns) == Approx(53));
  // Its follow-up is sent 100 ms later, at 153.
  CHECK(ms(q[1].request.arrival_ns) == Approx(153));
  // Request 2: first token at 41, second at 53, third at t=53 + 11 = 64: follow-up at 114.
  CHECK(ms(q[2].completion_ns) == Approx(64));
  CHECK(ms(q[3].request.arrival_ns) == Approx(114));
  CHECK(q[1].outcome == RequestOutcome::completed);
  CHECK(q[3].outcome == RequestOutcome::completed);
}

TEST_CASE("sessions: a rejected turn ends its session, its later turns counted unsent") {
  // max_model_len is large; the second turn needs more KV than the cache holds (2 blocks of 16).
  Workload w = open_loop({{0, 10, 2}, {0, 40, 2}, {0, 10, 2}});
  auto& r = w.requests;
  w.link_turns(0, 1, 0);
  w.link_turns(1, 2, 0);
  r[1].arrival_ns = kNeverNs;
  r[2].arrival_ns = kNeverNs;
  const RunResult result = simulate(w, vllm(2048), 2, 16, 10, 1);
  CHECK(result.requests[0].outcome == RequestOutcome::completed);
  CHECK(result.requests[1].outcome == RequestOutcome::rejected);
  CHECK(result.requests[1].reject_reason == RejectReason::exceeds_kv_capacity);
  CHECK(result.requests[2].outcome == RequestOutcome::pending);
  CHECK(result.unsent_requests == 1);
}

TEST_CASE("sessions: session_affinity keeps a session's follow-ups on its first turn's replica") {
  // Three single-turn-then-follow-up sessions over two replicas. least_outstanding would send
  // a follow-up to the emptier replica; affinity keeps it with its history.
  Workload w = open_loop({{0, 10, 2}, {0, 10, 2}, {1, 10, 2}, {0, 10, 2}});
  auto& r = w.requests;
  w.set_session(0, 7);
  w.set_session(3, 7);
  w.link_turns(0, 3, 0);
  r[3].arrival_ns = kNeverNs;
  const RunResult result = simulate(w, vllm(2048), 100, 16, 10, 1, 2, RouterPolicy::session_affinity);
  const auto& q = result.requests;
  CHECK(q[0].instance == 0);
  CHECK(q[1].instance == 1);
  CHECK(q[3].instance == q[0].instance);
  // At its send (41 ms) replica 0 still serves request 2 and replica 1 is idle: without
  // affinity the follow-up would leave its cached history behind.
  const RunResult spread = simulate(w, vllm(2048), 100, 16, 10, 1, 2, RouterPolicy::least_outstanding);
  CHECK(ms(spread.requests[3].request.arrival_ns) == Approx(41));
  CHECK(spread.requests[3].instance == 1);
}

TEST_CASE("sessions: session_affinity keeps a trace's session together by its id, without follow-ups") {
  // A trace's turns have fixed arrivals. Requests 1 and 3 share session 4, 0 and 2 have none.
  Workload w = open_loop({{0, 10, 50}, {0, 10, 2}, {40, 10, 2}, {41, 10, 2}});
  w.set_session(1, 4);
  w.set_session(3, 4);
  // 0 -> replica 0, 1 -> replica 1 (ties to the lowest index). Request 1 is done at 31 ms
  // (prefill 10 + 10 ms, one decode 11 ms); request 0 decodes its 50 tokens well past 41 ms.
  // Request 2 (40 ms) goes to the replica with fewer outstanding: 1. At 41 ms each replica has
  // one outstanding: least_outstanding sends request 3 to replica 0, affinity to its session's 1.
  const RunResult sticky = simulate(w, vllm(2048), 100, 16, 10, 1, 2, RouterPolicy::session_affinity);
  CHECK(sticky.requests[0].instance == 0);
  CHECK(sticky.requests[1].instance == 1);
  CHECK(sticky.requests[2].instance == 1);
  CHECK(sticky.requests[3].instance == 1);
  const RunResult spread = simulate(w, vllm(2048), 100, 16, 10, 1, 2, RouterPolicy::least_outstanding);
  CHECK(spread.requests[2].instance == 1);
  CHECK(spread.requests[3].instance == 0);
}
