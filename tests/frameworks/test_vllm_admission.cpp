// vLLM V1 KV accounting with the hybrid allocator's sliding-window groups. Every number is
// worked out by hand in the comments.
#include <catch2/catch.hpp>

#include "framework_driver.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;

namespace {

// 10 blocks of 16 tokens, 64 tokens per step.
VllmSchedulerConfig small_cache() {
  VllmSchedulerConfig c;
  c.max_num_seqs = 4;
  c.max_num_batched_tokens = 64;
  c.block_size = 16;
  c.num_gpu_blocks = 10;
  c.max_model_len = 1000;
  return c;
}

}  // namespace

TEST_CASE("vllm hybrid KV: a sliding-window group gives back the blocks that left its window") {
  // 1 full + 1 sliding group, window 8 tokens, blocks of 4; prompt 20 in chunks of 8, 3 outputs.
  VllmSchedulerConfig c = small_cache();
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
