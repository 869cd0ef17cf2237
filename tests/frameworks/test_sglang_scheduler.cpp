// SGLang's scheduler (frameworks/sglang/sglang_scheduler.hpp) driven step by step: LPM ordering,
// chunked prefill, retraction under memory pressure, and a second chat turn that prefills only its
// new tokens. Every expected number is worked out in the comments.
#include <catch2/catch.hpp>

#include <memory>

#include "../simulator/scenario.hpp"
#include "framework_driver.hpp"
#include "frameworks/sglang/sglang_scheduler.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

SglangSchedulerConfig config(int64_t pool_tokens, SglangPolicy policy = SglangPolicy::fcfs) {
  SglangSchedulerConfig c;
  c.max_total_tokens = pool_tokens;
  c.max_model_len = 100000;
  c.max_running_requests = 16;
  c.policy = policy;
  return c;
}

// Runs steps 1, 2, ... at 2 ms intervals until nothing is left; returns the steps taken.
int run_until_idle(FrameworkDriver& driver, int first_step, int limit = 1000) {
  int step = first_step;
  while (step < limit && driver.step(step * 2 * kMs)) ++step;
  return step;
}

// System prompt (100) -> first user message (20) -> its reply (5): request A's content.
struct Conversation {
  PromptTree tree;
  int32_t system = tree.add(kNoPromptNode, 100);
  int32_t user0 = tree.add(system, 20);
  int32_t reply0 = tree.add(user0, 5);
};

// Serves A (prompt 120, 5 output tokens) to completion: its first 124 tokens (prompt + 4 of its
// output; the last output token is never fed back) end up in the cache.
void serve_first_request(FrameworkDriver& driver, Conversation& c) {
  RequestState& a = driver.request(120, 5);
  a.request.content_node = c.reply0;
  REQUIRE(driver.admit(a));
  REQUIRE(driver.step(0));  // prefill 120
  for (int i = 1; i <= 4; ++i) REQUIRE(driver.step(i * 2 * kMs));
  REQUIRE(a.finished());
}

void check_prefill_order(SglangPolicy policy, const std::vector<int>& expected_order) {
  Conversation c;
  const int32_t user1 = c.tree.add(c.system, 10);
  const int32_t reply_y = c.tree.add(user1, 3);
  const int32_t user_z = c.tree.add(c.reply0, 10);
  const int32_t reply_z = c.tree.add(user_z, 3);
  SglangScheduler scheduler(config(10000, policy));
  scheduler.use_prompts(&c.tree);
  FrameworkDriver driver(scheduler);
  serve_first_request(driver, c);
  CHECK(scheduler.radix().total_tokens() == 124);

  // Arrival order X, Y, Z. X shares nothing (prompt 50); Y = system + a new message (110, cached:
  // the system prompt's 100); Z = A's conversation + a new message (135, cached: A's 124).
  RequestState& x = driver.request(50, 3, 20 * kMs);
  RequestState& y = driver.request(110, 3, 20 * kMs);
  y.request.content_node = reply_y;
  RequestState& z = driver.request(135, 3, 20 * kMs);
  z.request.content_node = reply_z;
  for (RequestState* r : {&x, &y, &z}) REQUIRE(driver.admit(*r));
  REQUIRE(driver.plan(20 * kMs));
  const std::vector<RequestState*> by_id = {nullptr, &x, &y, &z};
  const auto& seqs = driver.last_plan().sequences;
  REQUIRE(seqs.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(seqs[i].request == by_id[static_cast<std::size_t>(expected_order[i])]);
  // Whatever the order, each prefills only what the cache lacks.
  CHECK(driver.cached(x) == 0);
  CHECK(driver.scheduled(x) == 50);
  CHECK(driver.cached(y) == 100);
  CHECK(driver.scheduled(y) == 10);
  CHECK(driver.cached(z) == 124);
  CHECK(driver.scheduled(z) == 11);  // A's last reply token (never computed) + 10 new ones
  CHECK(z.cached_prompt_tokens == 124);
  CHECK(y.cached_prompt_tokens == 100);
  CHECK(x.cached_prompt_tokens == 0);
  driver.complete(21 * kMs);
}

}  // namespace

TEST_CASE("sglang scheduler: lpm prefills the longest cached prefix first, fcfs keeps arrival order") {
  check_prefill_order(SglangPolicy::lpm, {3, 2, 1});   // Z (124 cached), Y (100), X (0)
  check_prefill_order(SglangPolicy::fcfs, {1, 2, 3});  // X, Y, Z as they came
}

TEST_CASE("sglang scheduler: a prompt longer than chunked_prefill_size is prefilled in chunks") {
  SglangSchedulerConfig c = config(10000);
  c.chunked_prefill_size = 64;
  SglangScheduler scheduler(c);
  FrameworkDriver driver(scheduler);
  RequestState& a = driver.request(150, 2);
  RequestState& b = driver.request(10, 1);
  REQUIRE(driver.admit(a));
  REQUIRE(driver.admit(b));
  // Step 1: A's first 64 tokens use the whole chunk budget; B waits.
  REQUIRE(driver.step(0));
  CHECK(driver.scheduled(a) == 64);
  CHECK(driver.cached(a) == 0);
  CHECK(driver.scheduled(b) == 0);
  CHECK_FALSE(driver.emitted(a));
  // Step 2: the chunked request goes first: 64 more (128 of 150); B still waits.
  REQUIRE(driver.step(2 * kMs));
  CHECK(driver.scheduled(a) == 64);
  CHECK(driver.cached(a) == 64);
  CHECK(driver.scheduled(b) == 0);
  // Step 3: A's last 22 tokens leave 42 of the chunk budget, enough for B's 10.
  REQUIRE(driver.step(4 * kMs));
  CHECK(driver.scheduled(a) == 22);
  CHECK(driver.cached(a) == 128);
  CHECK(driver.scheduled(b) == 10);
  CHECK(driver.emitted(a));
  CHECK(driver.finished(b));
  // Step 4: A decodes its second token.
  REQUIRE(driver.step(6 * kMs));
  CHECK(driver.scheduled(a) == 1);
  CHECK(driver.finished(a));
  CHECK(scheduler.stats().kv_used_blocks == 0);
}

TEST_CASE("sglang scheduler: decode retracts the request with fewest outputs, longest prompt first") {
  // A pool of 100 tokens. A: prompt 30, 40 outputs; B: prompt 20, 40 outputs. Conservativeness
  // 0.1 makes new_token_ratio 0.07, so B is admitted beside A: at step 2 the budget is
  // free 70 - A's 39 remaining x 0.07 = 67.27 > B's 20 + 40 + 1 = 61.
  SglangSchedulerConfig c = config(100);
  c.schedule_conservativeness = 0.1;
  SglangScheduler scheduler(c);
  FrameworkDriver driver(scheduler);
  RequestState& a = driver.request(30, 40);
  RequestState& b = driver.request(20, 40);
  REQUIRE(driver.admit(a));
  REQUIRE(driver.admit(b));
  REQUIRE(driver.step(0));  // prefill A (30)
  CHECK(driver.scheduled(b) == 0);
  REQUIRE(driver.step(2 * kMs));  // prefill B (20): SGLang prefills before it decodes
  CHECK(driver.scheduled(b) == 20);
  CHECK(driver.scheduled(a) == 0);
  // Steps 3..27 decode both: 2 slots each, 50 free slots gone after 25 steps.
  for (int step = 3; step <= 27; ++step) {
    REQUIRE(driver.step(step * 2 * kMs));
    REQUIRE(driver.last_plan().preempted == 0);
  }
  CHECK(scheduler.free_tokens() == 0);
  CHECK(a.generated_tokens == 26);
  CHECK(b.generated_tokens == 26);
  // Step 28: no slot for the next tokens. Equal outputs (26), so the longer prompt, A's, is
  // retracted; its 25 decode slots are freed (enough for 20 steps of B), its prompt stays
  // cached, and new_token_ratio becomes min(1, (26 + 20 x 1) / 40) = 1.
  REQUIRE(driver.step(28 * 2 * kMs));
  CHECK(driver.last_plan().preempted == 1);
  CHECK(driver.scheduled(a) == 0);
  CHECK(driver.scheduled(b) == 1);
  CHECK(a.preemptions == 1);
  CHECK(a.computed_tokens == 0);
  CHECK(scheduler.new_token_ratio() == 1.0);
  CHECK(scheduler.radix().evictable_tokens() == 30);
  REQUIRE(scheduler.waiting().size() == 1);
  // A waits until B is done (step 41: 14 more tokens after its 26th); then, at step 42, it is
  // prefilled again from its cached prompt: 30 cached, 26 generated tokens recomputed.
  for (int step = 29; step <= 41; ++step) {
    REQUIRE(driver.step(step * 2 * kMs));
    CHECK(driver.scheduled(a) == 0);
  }
  CHECK(b.finished());
  REQUIRE(driver.step(42 * 2 * kMs));
  CHECK(driver.cached(a) == 30);
  CHECK(driver.scheduled(a) == 26);
  run_until_idle(driver, 43);
  CHECK(a.finished());
  CHECK(a.generated_tokens == 40);
  CHECK(b.preemptions == 0);
  CHECK(scheduler.stats().kv_used_blocks == 0);
  CHECK(scheduler.stats().preemptions == 1);
}

TEST_CASE("sglang scheduler: a second chat turn prefills only its new tokens") {
  // Turn 1: prompt 100, reply 10. Turn 2 (sent 50 ms after turn 1's last token): turn 1's 110
  // tokens + 20 new = prompt 130, reply 5. Step = 10 ms + 1 ms per new token.
  PromptTree tree;
  const int32_t first_prompt = tree.add(kNoPromptNode, 100);
  const int32_t first_reply = tree.add(first_prompt, 10);
  const int32_t second_prompt = tree.add(first_reply, 20);
  const int32_t second_reply = tree.add(second_prompt, 5);
  Workload w = open_loop({{0, 100, 10}, {0, 130, 5}});
  auto& r = w.requests;
  r[0].content_node = first_reply;
  r[1].arrival_ns = kNeverNs;
  w.set_session(0, 0);
  w.set_session(1, 0);
  w.link_turns(0, 1, 50 * kMsNs);
  r[1].content_node = second_reply;
  w.prompts = std::make_shared<PromptTree>(tree);

  SglangSettings settings;
  const RunResult cached = simulate(w, settings, 10000, 1, 10, 1);
  const auto& q = cached.requests;
  // Turn 1: prefill 100 -> 110 ms; 9 decodes of 11 ms -> 209. Turn 2 sent at 259.
  CHECK(ms(q[0].first_token_ns) == Approx(110));
  CHECK(ms(q[0].completion_ns) == Approx(209));
  CHECK(ms(q[1].request.arrival_ns) == Approx(259));
  // 109 tokens are cached (turn 1's prompt and 9 of its 10 reply tokens): 21 are prefilled,
  // 10 + 21 = 31 ms -> 290; then 4 decodes -> 334.
  CHECK(q[1].cached_prompt_tokens == 109);
  CHECK(ms(q[1].first_token_ns) == Approx(290));
  CHECK(ms(q[1].completion_ns) == Approx(334));

  // Without the radix cache the whole 130-token prompt is prefilled: 140 ms -> 399.
  settings.disable_radix_cache = true;
  const RunResult uncached = simulate(w, settings, 10000, 1, 10, 1);
  CHECK(uncached.requests[1].cached_prompt_tokens == 0);
  CHECK(ms(uncached.requests[1].first_token_ns) == Approx(399));
}

TEST_CASE("sglang scheduler: requests that could never fit are rejected with the reason") {
  SglangScheduler scheduler(config(100));
  FrameworkDriver driver(scheduler);
  // 60 + 39 + 1 page = 100: not below the pool of 100.
  RequestState& too_big = driver.request(60, 39);
  CHECK_FALSE(driver.admit(too_big));
  CHECK(too_big.reject_reason == RejectReason::exceeds_kv_capacity);
  RequestState& fits = driver.request(60, 38);
  CHECK(driver.admit(fits));
  SglangSchedulerConfig short_context = config(10000);
  short_context.max_model_len = 50;
  SglangScheduler limited(short_context);
  FrameworkDriver limited_driver(limited);
  RequestState& too_long = limited_driver.request(40, 11);
  CHECK_FALSE(limited_driver.admit(too_long));
  CHECK(too_long.reject_reason == RejectReason::exceeds_max_model_len);
}
