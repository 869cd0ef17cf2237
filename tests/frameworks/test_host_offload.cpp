// The host-memory KV tier wired into vLLM's prefix cache: a request whose hit reaches into host
// memory waits for the copy (vLLM's WAITING_FOR_REMOTE_KVS) while others run, and the tier's
// block granularity (LMCache's 256-token chunks over 16-token GPU blocks). By hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "framework_driver.hpp"
#include "frameworks/vllm/host_offload_tier.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"
#include "keep_evicted_tier.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;

namespace {

VllmSchedulerConfig four_blocks_of_four() {
  VllmSchedulerConfig c;
  c.max_num_seqs = 8;
  c.max_num_batched_tokens = 64;
  c.block_size = 4;
  c.num_gpu_blocks = 4;
  c.max_model_len = 1000;
  return c;
}

}  // namespace

TEST_CASE("host offload: a request whose hit is in host memory waits for the copy, then prefills only its own tokens") {
  // As in the tier-hook test: A (8 tokens) finishes, B (15 tokens) takes all 4 blocks, evicting
  // A's 2 into the tier. C = A's 8 tokens + 4 of its own; copying back costs 5 ms per block.
  PromptTree tree;
  const int32_t a_path = tree.add(kNoPromptNode, 9), b_path = tree.add(kNoPromptNode, 16);
  const int32_t c_path = tree.add(a_path, 4);
  test::KeepEvictedTier tier;
  tier.load_ns_per_block = 5 * kMs;
  VllmScheduler vllm(four_blocks_of_four());
  vllm.use_prompts(&tree);
  vllm.set_host_tier(&tier);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(8, 1);
  a.request.content_node = a_path;
  REQUIRE(d.admit(a));
  REQUIRE(d.step(0));
  RequestState& b = d.request(15, 1);
  b.request.content_node = b_path;
  REQUIRE(d.admit(b));
  REQUIRE(d.step(10 * kMs));  // B done at 11 ms: its 4 blocks are free (cached)
  RequestState& c = d.request(12, 1);
  c.request.content_node = c_path;
  REQUIRE(d.admit(c));
  // At 20 ms C starts loading its 2 host blocks (10 ms): nothing to run, wake at 30 ms.
  CHECK_FALSE(d.plan(20 * kMs));
  CHECK(d.wake_at_ns == 30 * kMs);
  CHECK(vllm.stats().waiting == 1);
  CHECK(vllm.stats().kv_used_blocks == 2);  // the loaded blocks are held while copying
  CHECK(c.cached_prompt_tokens == 8);
  CHECK(c.host_loaded_tokens == 8);
  // A request arriving meanwhile runs while C loads; it cannot take C's blocks.
  RequestState& e = d.request(4, 1);
  REQUIRE(d.admit(e));
  REQUIRE(d.step(25 * kMs));
  CHECK(d.scheduled(e) == 4);
  CHECK(d.scheduled(c) == 0);
  // At 30 ms the copy is done: C computes only its own 4 tokens over 8 cached ones.
  REQUIRE(d.step(30 * kMs));
  CHECK(d.cached(c) == 8);
  CHECK(d.scheduled(c) == 4);
  CHECK(c.first_scheduled_ns == 30 * kMs);
  CHECK(d.finished(c));
  CHECK(vllm.stats().waiting == 0);
  // One lookup of 12 tokens, 8 hits (A's and B's lookups hit nothing).
  CHECK(vllm.stats().prefix_query_tokens == 8 + 15 + 12 + 4);
  CHECK(vllm.stats().prefix_hit_tokens == 8);
}

TEST_CASE("host offload: LMCache's 256-token chunks extend a 16-token-block hit only by whole chunks") {
  // 600 tokens = 37 full GPU blocks of 16 = 2 full chunks of 256 (16 GPU blocks each).
  PromptTree tree;
  const int32_t path = tree.add(kNoPromptNode, 600);
  std::vector<uint64_t> keys;
  tree.block_keys(path, 600, 16, keys);
  REQUIRE(keys.size() == 37);
  HostKvTierSpec spec;
  spec.backend = "lmcache";
  spec.block_tokens = 256;
  spec.block_bytes_per_gpu = 32.0 * 1024 * 1024;  // 256 tokens x 128 KiB (Llama-3-8B, bf16)
  spec.block_bytes_replica = spec.block_bytes_per_gpu;
  spec.capacity_blocks = 10;
  spec.pcie_bytes_per_s = 64e9;
  HostOffloadTier tier(spec, 16);
  // Blocks 0..14 filled: no chunk complete yet; blocks 15..36: chunks 0 and 1 complete.
  tier.filled(keys.data(), 0, 15);
  CHECK(tier.tier().size_blocks() == 0);
  tier.filled(keys.data(), 15, 37);
  CHECK(tier.tier().size_blocks() == 2);
  CHECK(tier.tier().contains(keys[15]));
  CHECK(tier.tier().contains(keys[31]));
  // No GPU hit: both chunks, 32 GPU blocks. A GPU hit of 20 blocks ends inside chunk 1: the
  // extension is the rest of chunk 1 (12 blocks). A GPU hit of 32: nothing further cached.
  CHECK(tier.further_hit_blocks(keys, 0, 36) == 32);
  CHECK(tier.further_hit_blocks(keys, 20, 16) == 12);
  CHECK(tier.further_hit_blocks(keys, 32, 4) == 0);
  // Capped by what the caller may take.
  CHECK(tier.further_hit_blocks(keys, 0, 10) == 10);
  // Loading 12 GPU blocks moves their whole chunk: one 32 MiB copy at 64 GB/s + 6 us.
  const SimTime expected = static_cast<SimTime>(std::llround((32.0 * 1024 * 1024 / 64e9 + 6e-6) * 1e9));
  CHECK(std::llabs(tier.load(12) - expected) <= 1);
  CHECK(tier.tier().counters().loaded_blocks == 1);
  CHECK_THROWS(HostOffloadTier(spec, 48));  // 256 is not a whole number of 48-token blocks
}
