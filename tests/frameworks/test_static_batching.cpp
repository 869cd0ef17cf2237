#include <catch2/catch.hpp>

#include "framework_driver.hpp"
#include "frameworks/static_batching/static_batching.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;

namespace {

constexpr SimTime kS = kNsPerSecond;

StaticBatchingConfig config_with(int64_t batch_size, SimTime timeout_ns, int64_t num_gpu_blocks = 1000,
                                 int64_t block_size = 4) {
  StaticBatchingConfig c;
  c.batch_size = batch_size;
  c.batch_timeout_ns = timeout_ns;
  c.block_size = block_size;
  c.num_gpu_blocks = num_gpu_blocks;
  c.max_model_len = 1000;
  return c;
}

}  // namespace

TEST_CASE("static: a batch starts as soon as batch_size requests are waiting") {
  StaticBatching fw(config_with(2, 10 * kS));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 2, 0);
  REQUIRE(d.admit(a));
  CHECK_FALSE(d.plan(0));
  CHECK(d.wake_at_ns == 10 * kS);  // the oldest request's timeout

  RequestState& b = d.request(6, 2, 1 * kS);
  REQUIRE(d.admit(b));
  REQUIRE(d.plan(1 * kS));
  CHECK(d.last_plan().sequences.size() == 2);
  CHECK(d.scheduled(a) == 4);
  CHECK(d.scheduled(b) == 6);
  CHECK(d.last_plan().shape.prefill.seqs == 2);
  CHECK(d.last_plan().shape.prefill.query_tokens == 10);
  CHECK(a.first_scheduled_ns == 1 * kS);
  CHECK(b.first_scheduled_ns == 1 * kS);
}

TEST_CASE("static: fewer than batch_size requests start once the oldest has waited batch_timeout_s") {
  StaticBatching fw(config_with(4, 10 * kS));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 1, 2 * kS);
  RequestState& b = d.request(4, 1, 5 * kS);
  REQUIRE(d.admit(a));
  CHECK_FALSE(d.plan(2 * kS));
  CHECK(d.wake_at_ns == 12 * kS);
  REQUIRE(d.admit(b));
  CHECK_FALSE(d.plan(5 * kS));
  CHECK(d.wake_at_ns == 12 * kS);  // still the oldest's deadline
  REQUIRE(d.plan(12 * kS));
  CHECK(d.last_plan().sequences.size() == 2);
  CHECK(a.first_scheduled_ns == 12 * kS);
}

TEST_CASE("static: with batch_timeout_s 0 a batch starts at once with whatever is waiting") {
  StaticBatching fw(config_with(4, 0));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 1, 3 * kS);
  REQUIRE(d.admit(a));
  REQUIRE(d.plan(3 * kS));
  CHECK(d.last_plan().sequences.size() == 1);
  CHECK(d.wake_at_ns == kNeverNs);
}

TEST_CASE("static: KV for every member's whole prompt and output is reserved when the batch starts") {
  StaticBatching fw(config_with(2, 0, 1000, 4));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 8);   // 12 tokens: 3 blocks
  RequestState& b = d.request(5, 12);  // 17 tokens: 5 blocks
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  REQUIRE(d.plan(0));
  CHECK(a.allocated_blocks == 3);
  CHECK(b.allocated_blocks == 5);
  CHECK(fw.stats().kv_used_blocks == 8);
  CHECK(fw.stats().running == 2);
}

TEST_CASE("static: finished members stay in the batch as padding, stepped but silent, until the longest is done") {
  StaticBatching fw(config_with(2, 0));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 2);
  RequestState& b = d.request(6, 4);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));

  REQUIRE(d.step(0));  // prefill: each member's first token
  CHECK(d.emitted(a));
  CHECK(d.emitted(b));
  CHECK(a.computed_tokens == 4);

  REQUIRE(d.step(10 * kMs));  // decode 1: A's second and last token
  CHECK(d.cached(a) == 4);
  CHECK(d.cached(b) == 6);
  CHECK(d.finished(a));
  CHECK(fw.stats().running == 2);  // A still holds its row and its KV
  CHECK(a.allocated_blocks == 2);

  REQUIRE(d.step(20 * kMs));  // decode 2: A is padding
  CHECK(d.last_plan().shape.decode.seqs == 2);
  CHECK(d.cached(a) == 5);  // the padded row's position keeps advancing
  CHECK(d.cached(b) == 7);
  CHECK_FALSE(d.emitted(a));
  CHECK(d.emitted(b));
  CHECK(d.events().emitted.size() == 1);
  CHECK(a.generated_tokens == 2);

  REQUIRE(d.step(30 * kMs));  // decode 3: B's last token ends the batch
  CHECK(d.last_plan().shape.decode.seqs == 2);
  CHECK(d.finished(b));
  CHECK(b.generated_tokens == 4);
  CHECK(fw.stats().running == 0);
  CHECK(fw.stats().kv_used_blocks == 0);
  CHECK(a.allocated_blocks == 0);
  CHECK(fw.idle());
}

TEST_CASE("static: a request that arrives while a batch runs waits for the next batch") {
  StaticBatching fw(config_with(2, 0));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 3);
  REQUIRE(d.admit(a));
  REQUIRE(d.step(0));  // a batch of one: the timeout is 0
  RequestState& b = d.request(4, 1, 5 * kMs);
  REQUIRE(d.admit(b));
  REQUIRE(d.step(10 * kMs));
  CHECK(d.last_plan().sequences.size() == 1);
  CHECK(d.scheduled(b) == 0);
  REQUIRE(d.step(20 * kMs));
  CHECK(d.finished(a));
  CHECK(b.first_scheduled_ns == kNeverNs);
  REQUIRE(d.step(30 * kMs));
  CHECK(d.scheduled(b) == 4);
  CHECK(b.first_scheduled_ns == 30 * kMs);
}

TEST_CASE("static: a batch takes fewer members when the cache cannot hold all their reservations") {
  StaticBatching fw(config_with(3, 0, /*num_gpu_blocks=*/6, /*block_size=*/4));
  FrameworkDriver d(fw);
  RequestState& a = d.request(4, 8);  // 3 blocks each
  RequestState& b = d.request(4, 8);
  RequestState& c = d.request(4, 8);
  for (RequestState* r : {&a, &b, &c}) REQUIRE(d.admit(*r));
  REQUIRE(d.plan(0));
  CHECK(d.last_plan().sequences.size() == 2);
  CHECK(d.scheduled(c) == 0);
  CHECK(fw.stats().kv_used_blocks == 6);
  CHECK(fw.stats().waiting == 1);
}

TEST_CASE("static: a batch of one serves requests strictly one after another") {
  StaticBatching fw(config_with(1, 0));
  FrameworkDriver d(fw);
  RequestState& a = d.request(3, 2);
  RequestState& b = d.request(3, 2);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  SimTime now = 0;
  std::vector<const RequestState*> order;
  while (d.step(now)) {
    REQUIRE(d.last_plan().sequences.size() == 1);
    order.push_back(d.last_plan().sequences[0].request);
    now += 10 * kMs;
  }
  CHECK(order == std::vector<const RequestState*>{&a, &a, &b, &b});
  CHECK(b.first_scheduled_ns == 20 * kMs);
  CHECK(fw.idle());
}

TEST_CASE("static: requests that can never be served are rejected at admission with a reason") {
  StaticBatching fw(config_with(2, 0, /*num_gpu_blocks=*/4, /*block_size=*/4));
  FrameworkDriver d(fw);
  RequestState& too_long = d.request(995, 10);
  CHECK_FALSE(d.admit(too_long));
  CHECK(too_long.reject_reason == RejectReason::exceeds_max_model_len);
  RequestState& too_big = d.request(10, 7);  // 5 blocks > 4
  CHECK_FALSE(d.admit(too_big));
  CHECK(too_big.reject_reason == RejectReason::exceeds_batch_capacity);
  RequestState& fits = d.request(10, 6);
  CHECK(d.admit(fits));
}
