// The host-memory KV tier (frameworks/kv_offload): LRU order as vLLM's LRUOffloadingManager keeps
// it, chain matching, refused stores, PCIe copy times for Llama-3-8B on an H100 worked by hand,
// the tier's size from kv_offloading_size, and the two config keys with their errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "../hardware/library_fixtures.hpp"
#include "../simulator/experiment_helpers.hpp"
#include "framework_config_fixtures.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/kv_offload/host_kv_sizing.hpp"
#include "frameworks/kv_offload/host_kv_tier.hpp"
#include "models/memory_plan.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;
using llmpo::test::error_of;
using llmpo::test::map_of;

namespace {

using Keys = std::vector<uint64_t>;

// A tier whose copy times do not matter to the test.
HostKvTier tier_of(int64_t capacity_blocks) { return HostKvTier(capacity_blocks, 2.0 * kMiB, 63.04e9); }

int64_t store(HostKvTier& tier, const Keys& keys) {
  const int64_t stored = tier.store(keys.data(), static_cast<int64_t>(keys.size()));
  tier.check_invariants();
  return stored;
}

int64_t match(HostKvTier& tier, const Keys& keys) {
  const int64_t hits = tier.match(keys.data(), static_cast<int64_t>(keys.size()));
  tier.check_invariants();
  return hits;
}

// One GPU's KV bytes per token of each pipeline stage of `model` with tensor parallelism `tp`.
std::vector<double> stage_kv_bytes(const std::string& model, int64_t tp) {
  MemoryPlanRequest request;
  request.parallel.tensor_parallel = tp;
  request.gpu_memory_bytes = test::gpus().find("H100-PCIe").memory_bytes;
  const MemoryPlan plan = plan_memory(test::models().find(model), request);
  std::vector<double> bytes;
  for (const StageMemory& stage : plan.stages) bytes.push_back(stage.kv_bytes_per_token);
  return bytes;
}

VllmSettings vllm_of(const std::string& yaml) {
  StrictMap config = map_of(yaml);
  return std::get<VllmSettings>(parse_framework_settings("VLLM", config, 79.2 * kGiB, "h100-pcie"));
}

}  // namespace

TEST_CASE("host KV tier: a stored chain is touched last to first, so under pressure it loses its tail first") {
  HostKvTier tier = tier_of(4);
  // Appended 1, 2, 3, then touched 3, 2, 1: block 1 (the chain's head) ends most recently used.
  CHECK(store(tier, {1, 2, 3}) == 3);
  CHECK(tier.keys_lru_first() == Keys{3, 2, 1});
  // Two new blocks, one free slot: one eviction, the LRU block 3 (the first chain's tail).
  CHECK(store(tier, {10, 11}) == 2);
  CHECK(tier.keys_lru_first() == Keys{2, 1, 11, 10});
  CHECK(tier.counters().evicted_blocks == 1);
  // Re-storing a present chain copies nothing; it only refreshes it (head most recent).
  CHECK(store(tier, {1, 2}) == 0);
  CHECK(tier.keys_lru_first() == Keys{11, 10, 2, 1});
  // Evictions now take the other chain, tail (11) before head (10).
  CHECK(store(tier, {20}) == 1);
  CHECK(tier.keys_lru_first() == Keys{10, 2, 1, 20});
  CHECK(store(tier, {21}) == 1);
  CHECK(tier.keys_lru_first() == Keys{2, 1, 20, 21});
  CHECK(tier.counters().stored_blocks == 7);
  CHECK(tier.counters().evicted_blocks == 3);
  CHECK(tier.size_blocks() == 4);
}

TEST_CASE("host KV tier: a store evicts before it inserts, so blocks of its own chain can go (as prepare_store does)") {
  HostKvTier tier = tier_of(4);
  CHECK(store(tier, {1, 2}) == 2);   // LRU first: 2, 1
  CHECK(store(tier, {7}) == 1);      // 2, 1, 7
  // Chain 1..5 with 1, 2 present: 3 new blocks, 1 free slot, so the 2 LRU blocks go: 2 and 1,
  // though they belong to this chain. They are not stored again (what to copy was decided first).
  CHECK(store(tier, {1, 2, 3, 4, 5}) == 3);
  CHECK(tier.keys_lru_first() == Keys{7, 5, 4, 3});
  CHECK_FALSE(tier.contains(1));
  CHECK(match(tier, {1, 2, 3, 4, 5}) == 0);
}

TEST_CASE("host KV tier: a match counts only the blocks present consecutively from the first") {
  HostKvTier tier = tier_of(8);
  store(tier, {1, 2});
  store(tier, {4, 5});
  CHECK(match(tier, {1, 2, 3, 4, 5}) == 2);  // stops at 3 though 4 and 5 are there
  CHECK(match(tier, {3, 4, 5}) == 0);        // the first block missing: no hit
  CHECK(match(tier, {4, 5}) == 2);
  CHECK(match(tier, {}) == 0);
  // Matching touches the present blocks, last to first: 4, 5 were matched last, head first.
  CHECK(tier.keys_lru_first() == Keys{2, 1, 5, 4});
  // Matching copies nothing; load() counts what the scheduler brings back.
  CHECK(tier.counters().loaded_blocks == 0);
  tier.load(2);
  CHECK(tier.counters().loaded_blocks == 2);
}

TEST_CASE("host KV tier: a store larger than the whole tier is refused and changes nothing") {
  HostKvTier tier = tier_of(2);
  store(tier, {1});
  CHECK(store(tier, {5, 6, 7}) == 0);
  CHECK(tier.counters().refused_stores == 1);
  CHECK(tier.keys_lru_first() == Keys{1});
  CHECK(tier.counters().evicted_blocks == 0);
  // Two new blocks fit once block 1 is evicted.
  CHECK(store(tier, {5, 6}) == 2);
  CHECK(tier.keys_lru_first() == Keys{6, 5});
  HostKvTier empty = tier_of(0);
  CHECK(store(empty, {1}) == 0);
  CHECK(match(empty, {1}) == 0);
}

TEST_CASE("host KV tier: PCIe copy times of Llama-3-8B blocks on an H100 PCIe (gen5 x16), by hand") {
  // Llama-3-8B: 2 (K, V) x 32 layers x 8 KV heads x 128 x 2 B (bf16) = 131,072 B per token, so a
  // 16-token block is 2 MiB = 2,097,152 B. PCIe gen5 x16 here: 0.985 GB/s x 4 x 16 lanes =
  // 63.04 GB/s per direction. One block: 2,097,152 / 63.04e9 = 33.267005 us of transfer + 6 us
  // of cudaMemcpyAsync = 39.267005 us; ten blocks 392.670051 us (SimTime rounds up: 392,671 ns).
  const GpuSpec& h100 = test::gpus().find("H100-PCIe");
  const double pcie = h100.link.pcie_bandwidth_bytes_per_s();
  CHECK(pcie == Approx(63.04e9));
  const std::vector<double> tp1 = stage_kv_bytes("Llama3-8B", 1);
  REQUIRE(tp1.size() == 1);
  CHECK(tp1[0] == 131072);

  const HostKvTierSpec spec = plan_host_kv_tier(10, "native", 16, tp1, 1, pcie);
  CHECK(spec.block_tokens == 16);
  CHECK(spec.block_bytes_per_gpu == 2097152);
  const HostKvTier tier = make_host_kv_tier(spec);
  CHECK(tier.load_time_ns(0) == 0);
  CHECK(tier.load_time_ns(1) == 39268);
  CHECK(tier.load_time_ns(10) == 392671);
  CHECK(tier.store_time_ns(10) == 392671);

  // TP 2: each GPU holds 4 of the 8 KV heads and copies its 1 MiB shard over its own link at the
  // same time: 1,048,576 / 63.04e9 = 16.633503 us + 6 us = 22.633503 us; ten blocks 226,336 ns.
  const std::vector<double> tp2 = stage_kv_bytes("Llama3-8B", 2);
  CHECK(tp2[0] == 65536);
  const HostKvTier sharded = make_host_kv_tier(plan_host_kv_tier(10, "native", 16, tp2, 2, pcie));
  CHECK(sharded.load_time_ns(10) == 226336);

  // LMCache moves 256-token chunks: 32 MiB / 63.04e9 = 532.272081 us + 6 us = 538,273 ns.
  const HostKvTier chunks = make_host_kv_tier(plan_host_kv_tier(10, "lmcache", 16, tp1, 1, pcie));
  CHECK(chunks.load_time_ns(1) == 538273);
}

TEST_CASE("host KV tier: kv_offloading_size is the replica's total, as vLLM sums it over TP ranks") {
  const double pcie = 63.04e9;
  // 10 GiB / 2 MiB per 16-token block of Llama-3-8B = 5,120 blocks.
  const HostKvTierSpec one = plan_host_kv_tier(10, "native", 16, {131072}, 1, pcie);
  CHECK(one.block_bytes_replica == 2097152);
  CHECK(one.capacity_blocks == 5120);
  // TP 2: a block is still 2 MiB over the two GPUs (1 MiB each), so still 5,120 blocks; vLLM's
  // CPUOffloadingSpec divides cpu_bytes_to_use by page bytes x layers x world_size alike.
  const HostKvTierSpec two = plan_host_kv_tier(10, "native", 16, {65536}, 2, pcie);
  CHECK(two.block_bytes_per_gpu == 1048576);
  CHECK(two.block_bytes_replica == 2097152);
  CHECK(two.capacity_blocks == 5120);
  // PP 2 (16 layers a stage): the same 2 MiB over the two stages.
  CHECK(plan_host_kv_tier(10, "native", 16, {65536, 65536}, 1, pcie).capacity_blocks == 5120);
  // LMCache: 10 GiB / 32 MiB chunks = 320; a 32-token GPU block does not change the chunk.
  const HostKvTierSpec lmcache = plan_host_kv_tier(10, "lmcache", 32, {131072}, 1, pcie);
  CHECK(lmcache.block_tokens == 256);
  CHECK(lmcache.capacity_blocks == 320);
  // 1.999 MiB holds no 2 MiB block: an input error saying how much would.
  CHECK_THAT(error_of([&] { plan_host_kv_tier(1.999 / 1024, "native", 16, {131072}, 1, pcie); }),
             Contains("holds no KV block") && Contains("2.000 MiB") && Contains("0.0020 GiB"));
  CHECK(make_host_kv_tier(one).capacity_blocks() == 5120);
}

TEST_CASE("host KV tier: kv_offloading_size and kv_offloading_backend are read with vLLM's names and defaults") {
  const VllmSettings defaults = vllm_of("x: 1\n");
  CHECK_FALSE(defaults.kv_offloading_size_gib.has_value());
  CHECK(defaults.kv_offloading_backend == "native");

  const VllmSettings set = vllm_of("kv_offloading_size: 64\nkv_offloading_backend: lmcache\n");
  REQUIRE(set.kv_offloading_size_gib.has_value());
  CHECK(*set.kv_offloading_size_gib == 64);
  CHECK(set.kv_offloading_backend == "lmcache");

  const nlohmann::json j = settings_to_json(set);
  CHECK(j["kv_offloading_size"] == 64.0);
  CHECK(j["kv_offloading_backend"] == "lmcache");
  const nlohmann::json none = settings_to_json(defaults);
  CHECK(none["kv_offloading_size"].is_null());
  CHECK(none["kv_offloading_backend"] == "native");

  const auto vllm_keys = deployment_config_keys_for("VLLM");
  for (const char* key : {"kv_offloading_size", "kv_offloading_backend"}) {
    CHECK(std::find(vllm_keys.begin(), vllm_keys.end(), key) != vllm_keys.end());
    const auto static_keys = deployment_config_keys_for("STATIC");
    CHECK(std::find(static_keys.begin(), static_keys.end(), key) == static_keys.end());
  }
}

TEST_CASE("host KV tier: a bad size or backend names file:line, the key and what is valid") {
  CHECK_THAT(error_of([] { vllm_of("x: 1\nkv_offloading_size: -4\n"); }),
             Contains("exp.yaml:2") && Contains("kv_offloading_size"));
  CHECK_THAT(error_of([] { vllm_of("x: 1\nkv_offloading_size: 0\n"); }),
             Contains("exp.yaml:2") && Contains("kv_offloading_size"));
  CHECK_THAT(error_of([] { vllm_of("x: 1\nkv_offloading_size: lots\n"); }),
             Contains("exp.yaml:2") && Contains("kv_offloading_size"));
  CHECK_THAT(error_of([] { vllm_of("x: 1\nx2: 2\nkv_offloading_backend: mooncake\n"); }),
             Contains("exp.yaml:3") && Contains("kv_offloading_backend") && Contains("native") &&
                 Contains("lmcache"));
}

TEST_CASE("host KV tier: an experiment file sizes each vLLM replica's tier, or stops at kv_offloading_size") {
  using namespace llmpo::test;
  // Llama-3-8B on an H100-SXM: 10 GiB / 2 MiB blocks = 5,120 blocks; no tier for STATIC or unset.
  const Checked ok = validate_text(with_edits(kTwoFrameworks, {{"      max_num_seqs: 64", "      max_num_seqs: 64\n"
                                                                "      kv_offloading_size: 10"}}),
                                   "host-tier-ok");
  INFO(ok.run.err);
  REQUIRE(ok.run.code == 0);
  CHECK_THAT(ok.run.out, Contains("host KV tier (native): 5120 blocks x 16 tokens, 2.000 MiB per block on each GPU"));
  const ExperimentPlan plan = plan_experiment(read_experiment(ok.file, {}), Libraries::load());
  REQUIRE(plan.runs.size() == 2);
  REQUIRE(plan.runs[0].host_kv_tier.has_value());
  CHECK(plan.runs[0].host_kv_tier->capacity_blocks == 5120);
  CHECK(plan.runs[0].host_kv_tier->pcie_bytes_per_s == Approx(63.04e9));
  CHECK_FALSE(plan.runs[1].host_kv_tier.has_value());

  // 0.001 GiB (1.024 MiB) holds no 2 MiB block: exit 2 at the key's line.
  const Checked small = validate_text(with_edits(kTwoFrameworks, {{"      max_num_seqs: 64", "      max_num_seqs: 64\n"
                                                                   "      kv_offloading_size: 0.001"}}),
                                      "host-tier-small");
  CHECK(small.run.code == 2);
  CHECK_THAT(small.run.err, Contains("exp.yaml:18") && Contains("kv_offloading_size") && Contains("holds no KV block"));
  // The key is vLLM's: a STATIC entry refuses it as unknown.
  const Checked on_static = validate_text(
      with_edits(kTwoFrameworks, {{"      batch_size: 8", "      batch_size: 8\n      kv_offloading_size: 10"}}),
      "host-tier-static");
  CHECK(on_static.run.code == 2);
  CHECK_THAT(on_static.run.err, Contains("kv_offloading_size"));
}
