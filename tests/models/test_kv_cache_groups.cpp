// vLLM's hybrid KV-cache allocator (models/kv_cache_groups.hpp) and its effect on the memory
// plan. Gemma-3-27B: 62 layers, every 6th global (layers 6, 12, .., 60: 10 full-attention
// layers), 52 sliding-window layers of 1024 tokens, 16 KV heads of 128, bf16.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/kv_cache_groups.hpp"
#include "models/memory_plan.hpp"
#include "models/model_library.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;

namespace {

const ModelSpec& gemma3_27b() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib.find("Gemma3-27B");
}

}  // namespace

TEST_CASE("kv_cache_groups: Gemma-3-27B is one full group and six sliding groups of ten layers") {
  const KvCacheLayout layout = kv_cache_layout(gemma3_27b(), 0, 62, 16, true);
  // vLLM: group size = min(10, 52) = 10 (52 >= 1.25 x 10); full ceil(10/10) = 1, sliding
  // ceil(52/10) = 6 (the last with 8 padding slots).
  CHECK(layout.group_size_layers == 10);
  CHECK(layout.full_groups == 1);
  CHECK(layout.sliding_groups == 6);
  CHECK(layout.window_tokens == 1024);
  // Decoding at 32,768 tokens: the full group holds 2048 blocks; each sliding group
  // 2048 - (32767 - 1024 + 1) / 16 = 2048 - 1984 = 64. 2048 + 6 x 64 = 2432.
  CHECK(layout.blocks_held(32767, 32768) == 2432);
  // Admission of a 32,768-token prompt: 2048 + 6 x min(2048, cdiv(1023, 16) + 1 = 65) = 2438.
  CHECK(layout.admission_blocks(32768) == 2438);
  // Short sequences keep everything: 100 tokens = 7 blocks in each of the 7 groups.
  CHECK(layout.blocks_held(99, 100) == 49);

  const KvCacheLayout flat = kv_cache_layout(gemma3_27b(), 0, 62, 16, false);
  CHECK(flat.group_size_layers == 62);
  CHECK(flat.num_groups() == 1);
  CHECK(flat.blocks_held(32767, 32768) == 2048);
}

TEST_CASE("kv_cache_groups: Gemma-3-27B at 32k context holds about 5x more sequences than counting every layer") {
  // One layer's page: 2 x 16 heads x 128 x 2 B x 16 tokens = 131,072 B. A hybrid block is 10
  // pages (1,310,720 B); a block counting all 62 layers is 8,126,464 B.
  // With 64 GiB = 68,719,476,736 B of KV: hybrid 52,428 blocks / 2432 = 21 sequences;
  // every layer at every token: 8,456 blocks / 2048 = 4 sequences (21 / 4 = 5.25x).
  const double kv = 64.0 * kGiB;
  const KvCacheLayout hybrid = kv_cache_layout(gemma3_27b(), 0, 62, 16, true);
  const KvCacheLayout flat = kv_cache_layout(gemma3_27b(), 0, 62, 16, false);
  const auto hybrid_blocks = static_cast<int64_t>(std::floor(kv / (131072.0 * static_cast<double>(hybrid.group_size_layers))));
  const auto flat_blocks = static_cast<int64_t>(std::floor(kv / (131072.0 * static_cast<double>(flat.group_size_layers))));
  CHECK(hybrid_blocks == 52428);
  CHECK(flat_blocks == 8456);
  CHECK(hybrid_blocks / hybrid.blocks_held(32767, 32768) == 21);
  CHECK(flat_blocks / flat.blocks_held(32767, 32768) == 4);

  // The planner divides the same KV budget by the group's block bytes.
  MemoryPlanRequest r;
  r.gpu_memory_bytes = 141.0 * 1e9;  // an H200-sized card
  r.max_model_len = 32768;
  r.max_num_batched_tokens = 8192;
  r.max_num_seqs = 1024;
  const MemoryPlan with = plan_memory(gemma3_27b(), r);
  r.hybrid_kv_cache = false;
  const MemoryPlan without = plan_memory(gemma3_27b(), r);
  const double budget = with.limiting().kv_cache_bytes;
  REQUIRE(budget == without.limiting().kv_cache_bytes);
  CHECK(with.limiting().block_bytes == 1'310'720.0);
  CHECK(without.limiting().block_bytes == 8'126'464.0);
  CHECK(with.num_gpu_blocks == static_cast<int64_t>(std::floor(budget / 1'310'720.0)));
  CHECK(without.num_gpu_blocks == static_cast<int64_t>(std::floor(budget / 8'126'464.0)));
  CHECK(with.concurrent_sequences_at(32768) == with.num_gpu_blocks / 2432);
  CHECK(without.concurrent_sequences_at(32768) == without.num_gpu_blocks / 2048);
  // Capacity in 32k sequences before rounding to whole ones: 16,642,998,272 / 3,187,671,040 =
  // 5.22 times as many (a 32k sequence: 62 x 2048 pages flat, 10 x 2432 pages hybrid).
  const double ratio = (static_cast<double>(with.num_gpu_blocks) / 2432.0) /
                       (static_cast<double>(without.num_gpu_blocks) / 2048.0);
  CHECK(ratio == Approx(16'642'998'272.0 / 3'187'671'040.0).epsilon(0.001));
  // vLLM's "GPU KV cache size" divides the blocks among the 7 groups.
  CHECK(with.kv_capacity_tokens == with.num_gpu_blocks / 7 * 16);
}
