// vLLM V1 admission and KV accounting rules added for current releases: the whole-prompt
// reservation (scheduler_reserve_full_isl, vLLM #37307) and the hybrid allocator's
// sliding-window groups. Every number is worked out by hand in the comments.
#include <catch2/catch.hpp>

#include "framework_driver.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;

namespace {

// 10 blocks of 16 tokens, 64 tokens per step.
VllmSchedulerConfig small_cache(bool reserve_full_isl) {
  VllmSchedulerConfig c;
  c.max_num_seqs = 4;
  c.max_num_batched_tokens = 64;
  c.block_size = 16;
  c.num_gpu_blocks = 10;
  c.max_model_len = 1000;
  c.reserve_full_isl = reserve_full_isl;
  return c;
}

}  // namespace

TEST_CASE("vllm admission: a prompt is admitted only when blocks for all of it are free") {
  // A: 32-token prompt (2 blocks), 10 outputs (42 tokens: at most 3 blocks).
  // B: 144-token prompt = 9 blocks (145 tokens with its output: 10 blocks, the whole cache).
  VllmScheduler vllm(small_cache(true));
  FrameworkDriver d(vllm);
  RequestState& a = d.request(32, 10);
  RequestState& b = d.request(144, 1);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));

  // Step 1: A takes 32 tokens (2 blocks, 8 free), 32 of the budget remain. B's first chunk would
  // need 2 blocks, but min(144, 1000) = 144 tokens need 9 > 8 free: B is not admitted.
  REQUIRE(d.step(0));
  CHECK(d.scheduled(a) == 32);
  CHECK(d.scheduled(b) == 0);
  CHECK(vllm.stats().waiting == 1);
  CHECK(vllm.stats().kv_used_blocks == 2);

  // A decodes 9 more tokens (steps 2..10); B waits the whole time, since A holds 2-3 blocks.
  for (int step = 2; step <= 10; ++step) {
    REQUIRE(d.step(step * 10 * kMs));
    CHECK(d.scheduled(b) == 0);
  }
  CHECK(d.finished(a));
  // Step 11: all 10 blocks free; B's first chunk of 64 tokens (4 blocks) runs.
  REQUIRE(d.step(110 * kMs));
  CHECK(d.scheduled(b) == 64);
  CHECK(b.allocated_blocks == 4);
}

TEST_CASE("vllm admission: without the reservation the first chunk alone decides (vLLM before 0.19)") {
  VllmScheduler vllm(small_cache(false));
  FrameworkDriver d(vllm);
  RequestState& a = d.request(32, 10);
  RequestState& b = d.request(144, 1);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  // Step 1: A 32 tokens (2 blocks); B's chunk of 32 tokens needs 2 blocks of the 8 free: admitted.
  REQUIRE(d.step(0));
  CHECK(d.scheduled(a) == 32);
  CHECK(d.scheduled(b) == 32);
  CHECK(vllm.stats().kv_used_blocks == 4);
}

TEST_CASE("vllm hybrid KV: a sliding-window group gives back the blocks that left its window") {
  // 1 full + 1 sliding group, window 8 tokens, blocks of 4; prompt 20 in chunks of 8, 3 outputs.
  VllmSchedulerConfig c = small_cache(true);
  c.block_size = 4;
  c.num_gpu_blocks = 100;
  c.max_num_batched_tokens = 8;
  c.window_tokens = 8;
  c.kv_layout = KvCacheLayout{1, 1, 1, 8, 4};
  VllmScheduler vllm(c);
  FrameworkDriver d(vllm);
  RequestState& r = d.request(20, 3);
  REQUIRE(d.admit(r));
  // Held = full cdiv(n, 4) + sliding (cdiv(n, 4) - (computed - 8 + 1) / 4):
  REQUIRE(d.step(0));  // computed 0 -> n 8: 2 + 2
  CHECK(r.allocated_blocks == 4);
  REQUIRE(d.step(10 * kMs));  // computed 8 -> n 16: 4 + (4 - 1 / 4 = 4)
  CHECK(r.allocated_blocks == 8);
  REQUIRE(d.step(20 * kMs));  // computed 16 -> n 20: 5 + (5 - 9 / 4 = 3)
  CHECK(r.allocated_blocks == 8);
  REQUIRE(d.step(30 * kMs));  // decode, computed 20 -> n 21: 6 + (6 - 13 / 4 = 3)
  CHECK(r.allocated_blocks == 9);
  CHECK(vllm.stats().kv_used_blocks == 9);
  REQUIRE(d.step(40 * kMs));  // the third output token: finished, all returned
  CHECK(d.finished(r));
  CHECK(vllm.stats().kv_used_blocks == 0);
}
