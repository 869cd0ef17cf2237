#pragma once
// vLLM's hybrid KV-cache allocator (vllm/v1/core/kv_cache_utils.py, get_kv_cache_groups and
// _get_kv_cache_groups_uniform_page_size; vllm/v1/core/single_type_kv_cache_manager.py):
// layers are grouped by attention type, every group holds the same number of layer slots
// (group_size_layers), and one KV block is one page in each slot of one group, so all groups
// share one pool of equally sized blocks. A full-attention group keeps a block for every
// block_size tokens; a sliding-window group frees the blocks that fell out of its window
// (SlidingWindowManager.remove_skipped_blocks), so it holds about window / block_size + 1.
// A model without sliding windows has one group of all its layers: the plain paged cache.
#include <cstdint>

namespace llmpo {

struct ModelSpec;

struct KvCacheLayout {
  int64_t group_size_layers = 1;  // layer slots per group = pages in one block
  int64_t full_groups = 1;        // groups of full-attention layers
  int64_t sliding_groups = 0;     // groups of sliding-window layers
  int64_t window_tokens = 0;      // the sliding groups' window (0 when there are none)
  int64_t block_size = 16;        // tokens per block

  int64_t num_groups() const { return full_groups + sliding_groups; }
  bool hybrid() const { return sliding_groups > 0; }
  int64_t blocks_for(int64_t tokens) const { return tokens <= 0 ? 0 : (tokens + block_size - 1) / block_size; }

  // Blocks one request holds, all groups together, once it has computed `computed_tokens` and
  // has slots for `tokens` tokens: a sliding group drops the blocks wholly before the first
  // token still inside the window of the next token, (computed - window + 1) / block_size
  // (SlidingWindowManager.remove_skipped_blocks / get_num_skipped_tokens).
  int64_t blocks_held(int64_t computed_tokens, int64_t tokens) const;

  // Blocks an admission must find free for a waiting request of `tokens` tokens when the whole
  // sequence must fit (KVCacheManager.allocate_slots with full_sequence_must_fit and
  // apply_admission_cap): full groups need every block, sliding groups at most their window's,
  // cdiv(window - 1, block_size) + 1.
  int64_t admission_blocks(int64_t tokens) const;
};

// The layout of the `layers` layers starting at `first_layer` (one pipeline stage) with vLLM's
// grouping rule: group_size = the smallest per-type layer count, or the largest when that is
// less than 1.25 x the smallest (fewer padding slots); each type then fills
// ceil(count / group_size) groups. hybrid = false (vLLM's --disable-hybrid-kv-cache-manager, or
// a framework without it) counts every layer at every token: one group of all layers.
KvCacheLayout kv_cache_layout(const ModelSpec& model, int64_t first_layer, int64_t layers, int64_t block_size,
                              bool hybrid);

}  // namespace llmpo
