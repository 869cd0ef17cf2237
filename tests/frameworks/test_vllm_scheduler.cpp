#include <catch2/catch.hpp>

#include "framework_driver.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;

namespace {

VllmSchedulerConfig config_with(int64_t budget_tokens, int64_t max_num_seqs = 8, int64_t num_gpu_blocks = 1000,
                                int64_t block_size = 4) {
  VllmSchedulerConfig c;
  c.max_num_seqs = max_num_seqs;
  c.max_num_batched_tokens = budget_tokens;
  c.block_size = block_size;
  c.num_gpu_blocks = num_gpu_blocks;
  c.max_model_len = 1000;
  return c;
}

}  // namespace

TEST_CASE("vllm: a prompt longer than the token budget is prefilled in chunks and its first token comes from the last chunk") {
  VllmScheduler vllm(config_with(8));
  FrameworkDriver d(vllm);
  RequestState& r = d.request(20, 3);
  REQUIRE(d.admit(r));

  REQUIRE(d.step(0));  // chunk 1: tokens 0..7
  CHECK(d.cached(r) == 0);
  CHECK(d.scheduled(r) == 8);
  CHECK(d.events().emitted.empty());
  CHECK(r.computed_tokens == 8);
  CHECK(r.allocated_blocks == 2);
  CHECK(r.first_scheduled_ns == 0);

  REQUIRE(d.step(10 * kMs));  // chunk 2: tokens 8..15
  CHECK(d.cached(r) == 8);
  CHECK(d.scheduled(r) == 8);
  CHECK(d.events().emitted.empty());
  CHECK(r.generated_tokens == 0);

  REQUIRE(d.step(20 * kMs));  // chunk 3: the last 4 prompt tokens, then the first output token
  CHECK(d.cached(r) == 16);
  CHECK(d.scheduled(r) == 4);
  CHECK(d.emitted(r));
  CHECK(r.generated_tokens == 1);
  CHECK(r.computed_tokens == 20);
  CHECK(r.allocated_blocks == 5);

  REQUIRE(d.step(30 * kMs));  // decode: 20 cached, 1 new
  CHECK(d.cached(r) == 20);
  CHECK(d.scheduled(r) == 1);
  CHECK(d.last_plan().shape.decode.seqs == 1);
  CHECK(d.last_plan().shape.prefill.seqs == 0);
  CHECK(r.generated_tokens == 2);
  CHECK_FALSE(d.finished(r));

  REQUIRE(d.step(40 * kMs));
  CHECK(d.finished(r));
  CHECK(r.generated_tokens == 3);
  CHECK(r.allocated_blocks == 0);
  CHECK(vllm.stats().kv_used_blocks == 0);
  CHECK(vllm.idle());
  CHECK_FALSE(d.plan(50 * kMs));
  CHECK(d.wake_at_ns == kNeverNs);
}

TEST_CASE("vllm: decodes are scheduled before waiting prefills and share the token budget") {
  VllmScheduler vllm(config_with(8));
  FrameworkDriver d(vllm);
  RequestState& a = d.request(4, 5);
  RequestState& b = d.request(10, 2);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));

  // Step 1: both wait; A's whole prompt (4) then 4 of B's 10 tokens fill the budget of 8.
  REQUIRE(d.step(0));
  CHECK(d.scheduled(a) == 4);
  CHECK(d.scheduled(b) == 4);
  CHECK(d.emitted(a));
  CHECK_FALSE(d.emitted(b));

  // Step 2: running requests first, in admission order: A decodes (1), B gets the other 7 and
  // needs only 6 to finish its prompt.
  RequestState& c = d.request(20, 1, 1 * kMs);
  REQUIRE(d.admit(c));
  REQUIRE(d.step(10 * kMs));
  REQUIRE(d.last_plan().sequences.size() == 3);
  CHECK(d.last_plan().sequences[0].request == &a);
  CHECK(d.last_plan().sequences[1].request == &b);
  CHECK(d.scheduled(a) == 1);
  CHECK(d.scheduled(b) == 6);
  CHECK(d.scheduled(c) == 1);  // the waiting request gets what is left: 8 - 1 - 6
  CHECK(d.emitted(b));
  CHECK(d.last_plan().shape.new_tokens() == 8);

  // Step 3: A and B decode (2 tokens); C's prefill continues with the remaining 6.
  REQUIRE(d.step(20 * kMs));
  CHECK(d.scheduled(a) == 1);
  CHECK(d.scheduled(b) == 1);
  CHECK(d.scheduled(c) == 6);
  CHECK(d.cached(c) == 1);
  CHECK(d.finished(b));  // two output tokens: one from its prefill, one now
}

TEST_CASE("vllm: max_num_seqs caps the running requests and the rest wait in arrival order") {
  VllmScheduler vllm(config_with(100, /*max_num_seqs=*/2));
  FrameworkDriver d(vllm);
  RequestState& a = d.request(2, 2);
  RequestState& b = d.request(2, 2);
  RequestState& c = d.request(2, 2);
  for (RequestState* r : {&a, &b, &c}) REQUIRE(d.admit(*r));

  REQUIRE(d.step(0));
  CHECK(d.last_plan().sequences.size() == 2);
  CHECK(d.scheduled(c) == 0);
  CHECK(vllm.stats().running == 2);
  CHECK(vllm.stats().waiting == 1);
  CHECK(c.first_scheduled_ns == kNeverNs);

  REQUIRE(d.step(10 * kMs));  // A and B decode their last tokens; C still has no seat
  CHECK(d.scheduled(c) == 0);
  CHECK(d.finished(a));
  CHECK(d.finished(b));

  REQUIRE(d.step(20 * kMs));
  CHECK(d.scheduled(c) == 2);
  CHECK(c.first_scheduled_ns == 20 * kMs);
}

TEST_CASE("vllm: running out of KV blocks preempts the most recently admitted request, which is recomputed later") {
  // 4 blocks of 4 tokens. A and B: 4-token prompts, 8 output tokens (3 blocks each when done).
  // Prefix caching off (--no-enable-prefix-caching): the whole recompute of vLLM's V1 paper
  // behaviour; the cached case has its own test below.
  VllmSchedulerConfig config = config_with(64, 8, /*num_gpu_blocks=*/4, /*block_size=*/4);
  config.enable_prefix_caching = false;
  VllmScheduler vllm(config);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(4, 8);
  RequestState& b = d.request(4, 8);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));

  // Step 1: both prefill (1 block each). Steps 2-5: decodes at positions 4..7 need 2 blocks each.
  SimTime now = 0;
  for (int step = 1; step <= 5; ++step, now += 10 * kMs) REQUIRE(d.step(now));
  CHECK(a.computed_tokens == 8);
  CHECK(b.computed_tokens == 8);
  CHECK(b.generated_tokens == 5);
  CHECK(vllm.stats().kv_used_blocks == 4);

  // A newcomer that would fit in the block left over after the preemption.
  RequestState& c = d.request(1, 1, now - kMs);
  REQUIRE(d.admit(c));

  // Step 6: A's 9th token needs a third block; none is free, so B (the tail) is preempted.
  REQUIRE(d.step(now));
  now += 10 * kMs;
  CHECK(d.last_plan().preempted == 1);
  CHECK(d.last_plan().sequences.size() == 1);  // no waiting request joins a step that preempted
  CHECK(d.scheduled(a) == 1);
  CHECK(b.computed_tokens == 0);
  CHECK(b.allocated_blocks == 0);
  CHECK(b.generated_tokens == 5);  // the output so far is kept
  CHECK(b.preemptions == 1);
  CHECK(a.allocated_blocks == 3);
  CHECK(vllm.stats().preemptions == 1);
  CHECK(vllm.stats().running == 1);
  CHECK(vllm.stats().waiting == 2);

  // Step 7: B is at the front of the waiting queue and needs 3 blocks for its 9 tokens; only 1 is
  // free, and C behind it does not jump the queue.
  REQUIRE(d.step(now));
  now += 10 * kMs;
  CHECK(d.last_plan().sequences.size() == 1);
  CHECK(d.scheduled(b) == 0);
  CHECK(d.scheduled(c) == 0);

  // Step 8: A's last token; its 3 blocks return.
  REQUIRE(d.step(now));
  now += 10 * kMs;
  CHECK(d.finished(a));
  CHECK(vllm.stats().kv_used_blocks == 0);

  // Step 9: B recomputes its prompt and its 5 generated tokens in one prefill, then samples its
  // 6th token; C comes after it.
  REQUIRE(d.step(now));
  now += 10 * kMs;
  REQUIRE(d.last_plan().sequences.size() == 2);
  CHECK(d.last_plan().sequences[0].request == &b);
  CHECK(d.cached(b) == 0);
  CHECK(d.scheduled(b) == 9);
  CHECK(d.emitted(b));
  CHECK(b.generated_tokens == 6);
  CHECK(d.finished(c));

  REQUIRE(d.step(now));
  now += 10 * kMs;
  REQUIRE(d.step(now));
  CHECK(d.finished(b));
  CHECK(b.generated_tokens == 8);
  CHECK(vllm.stats().kv_used_blocks == 0);
  CHECK(vllm.idle());
}

TEST_CASE("vllm: a request whose own growth cannot be met preempts itself and stops the running pass") {
  // 3 blocks of 4 tokens. A (prompt 4) holds 2 blocks, B (prompt 4) 1: B's decode needs a second.
  VllmScheduler vllm(config_with(64, 8, /*num_gpu_blocks=*/3, /*block_size=*/4));
  FrameworkDriver d(vllm);
  RequestState& a = d.request(5, 4);  // 5 tokens: 2 blocks
  RequestState& b = d.request(4, 4);  // 4 tokens: 1 block; its first decode needs a second
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  REQUIRE(d.step(0));
  CHECK(vllm.stats().kv_used_blocks == 3);

  REQUIRE(d.step(10 * kMs));  // A decodes at position 5 (still 2 blocks); B, the tail, gives way
  CHECK(d.last_plan().preempted == 1);
  CHECK(d.scheduled(a) == 1);
  CHECK(d.scheduled(b) == 0);
  CHECK(b.preemptions == 1);
  CHECK(b.generated_tokens == 1);
  CHECK(vllm.stats().waiting == 1);
}

TEST_CASE("vllm: every KV block returns to the pool once every request has finished") {
  VllmScheduler vllm(config_with(16, 4, /*num_gpu_blocks=*/12, /*block_size=*/4));
  FrameworkDriver d(vllm);
  std::vector<RequestState*> all;
  for (int i = 0; i < 12; ++i) {
    RequestState& r = d.request(3 + 5 * (i % 4), 2 + 3 * (i % 3), i * kMs);
    REQUIRE(d.admit(r));
    all.push_back(&r);
  }
  SimTime now = 0;
  int steps = 0;
  while (d.step(now)) {  // check_invariants() runs after every step
    now += 10 * kMs;
    REQUIRE(++steps < 1000);
  }
  for (const RequestState* r : all) {
    CHECK(r->finished());
    CHECK(r->allocated_blocks == 0);
  }
  CHECK(vllm.stats().kv_used_blocks == 0);
  CHECK(vllm.stats().preemptions > 0);  // 12 blocks are too few for 4 such requests at once
  CHECK(vllm.idle());
}

TEST_CASE("vllm: requests that can never be served are rejected at admission with a reason") {
  VllmScheduler vllm(config_with(64, 8, /*num_gpu_blocks=*/4, /*block_size=*/4));
  FrameworkDriver d(vllm);
  RequestState& too_long = d.request(990, 20);  // 1010 > max_model_len 1000
  CHECK_FALSE(d.admit(too_long));
  CHECK(too_long.reject_reason == RejectReason::exceeds_max_model_len);

  RequestState& too_big = d.request(10, 7);  // 17 tokens = 5 blocks > 4
  CHECK_FALSE(d.admit(too_big));
  CHECK(too_big.reject_reason == RejectReason::exceeds_kv_capacity);

  RequestState& fits = d.request(10, 6);  // 16 tokens = 4 blocks
  CHECK(d.admit(fits));
  CHECK(fits.reject_reason == RejectReason::none);
  CHECK(vllm.stats().waiting == 1);
  CHECK(std::string(to_string(RejectReason::exceeds_kv_capacity)) == "exceeds_kv_capacity");
}

TEST_CASE("vllm: without chunked prefill a prompt longer than the token budget is rejected at admission") {
  VllmSchedulerConfig c = config_with(8);
  c.enable_chunked_prefill = false;
  VllmScheduler vllm(c);
  FrameworkDriver d(vllm);
  RequestState& long_prompt = d.request(9, 1);
  CHECK_FALSE(d.admit(long_prompt));
  CHECK(long_prompt.reject_reason == RejectReason::exceeds_token_budget);
  CHECK(std::string(to_string(RejectReason::exceeds_token_budget)) == "exceeds_token_budget");
  RequestState& whole_budget = d.request(8, 5);
  CHECK(d.admit(whole_budget));
}

TEST_CASE("vllm: without chunked prefill a prompt waits for a step with room for all of it") {
  VllmSchedulerConfig config = config_with(8);
  config.enable_chunked_prefill = false;
  VllmScheduler vllm(config);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(4, 3);
  REQUIRE(d.admit(a));
  REQUIRE(d.step(0));  // A's prefill
  RequestState& b = d.request(8, 1, 1 * kMs);
  RequestState& c = d.request(2, 1, 2 * kMs);
  REQUIRE(d.admit(b));
  REQUIRE(d.admit(c));

  REQUIRE(d.step(10 * kMs));  // A decodes; 7 tokens left are not enough for B's 8, and C queues behind B
  CHECK(d.last_plan().sequences.size() == 1);
  CHECK(d.scheduled(a) == 1);
  REQUIRE(d.step(20 * kMs));  // A's last token
  CHECK(d.finished(a));

  REQUIRE(d.step(30 * kMs));  // the whole budget: B in one piece; nothing left for C
  CHECK(d.scheduled(b) == 8);
  CHECK(d.cached(b) == 0);
  CHECK(d.scheduled(c) == 0);
  CHECK(d.finished(b));
  REQUIRE(d.step(40 * kMs));
  CHECK(d.scheduled(c) == 2);
}

TEST_CASE("vllm: without chunked prefill a recompute longer than a whole step is chunked rather than stuck") {
  // Budget 8, 10 blocks of 4. A and B: 1-token prompts, 30 output tokens, decoding in lockstep.
  // At step 21 A needs a 6th block, both hold 5 and none is free: B is preempted with 21 tokens
  // to recompute, more than any step holds whole. vLLM would refuse to start with this config
  // (max_num_batched_tokens < max_model_len); here B waits for a step of its own, then goes on in
  // budget-sized chunks.
  VllmSchedulerConfig config = config_with(8, 8, /*num_gpu_blocks=*/10, /*block_size=*/4);
  config.enable_chunked_prefill = false;
  config.enable_prefix_caching = false;  // the whole 21 tokens are recomputed
  VllmScheduler vllm(config);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(1, 30);
  RequestState& b = d.request(1, 30);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  SimTime now = 0;
  std::vector<std::pair<int32_t, int32_t>> b_after_preemption;  // (cached, new) of B's steps
  int step = 0;
  while (d.step(now)) {
    now += 10 * kMs;
    ++step;
    if (step == 21) {
      CHECK(d.last_plan().preempted == 1);
      CHECK(b.generated_tokens == 20);
    }
    if (step > 21 && d.scheduled(b) > 0) b_after_preemption.emplace_back(d.cached(b), d.scheduled(b));
    REQUIRE(step < 100);
  }
  CHECK(a.finished());
  CHECK(b.finished());
  CHECK(b.preemptions == 1);
  REQUIRE(b_after_preemption.size() >= 3);
  CHECK(b_after_preemption[0] == std::make_pair(0, 8));  // step 31, after A finished at step 30
  CHECK(b_after_preemption[1] == std::make_pair(8, 8));
  CHECK(b_after_preemption[2] == std::make_pair(16, 5));
  CHECK(step == 42);  // then 9 decodes for B's tokens 22..30
  CHECK(vllm.stats().kv_used_blocks == 0);
}
