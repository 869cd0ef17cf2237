#include "kv_cache_groups.hpp"

#include <algorithm>

#include "model_spec.hpp"

namespace llmpo {

int64_t KvCacheLayout::blocks_held(int64_t computed_tokens, int64_t tokens) const {
  const int64_t all = blocks_for(tokens);
  int64_t held = full_groups * all;
  if (sliding_groups > 0) {
    const int64_t skipped_tokens = std::max<int64_t>(0, computed_tokens - window_tokens + 1);
    held += sliding_groups * std::max<int64_t>(0, all - skipped_tokens / block_size);
  }
  return held;
}

int64_t KvCacheLayout::admission_blocks(int64_t tokens) const {
  const int64_t all = blocks_for(tokens);
  int64_t need = full_groups * all;
  if (sliding_groups > 0) need += sliding_groups * std::min(all, blocks_for(window_tokens - 1) + 1);
  return need;
}

KvCacheLayout kv_cache_layout(const ModelSpec& model, int64_t first_layer, int64_t layers, int64_t block_size,
                              bool hybrid) {
  KvCacheLayout layout;
  layout.block_size = block_size;
  int64_t sliding = 0;
  for (int64_t i = first_layer; i < first_layer + layers; ++i)
    if (model.is_sliding_layer(i)) ++sliding;
  const int64_t full = layers - sliding;
  if (!hybrid || sliding == 0 || layers <= 0) {
    layout.group_size_layers = std::max<int64_t>(1, layers);
    return layout;
  }
  layout.window_tokens = model.sliding_window.window_tokens;
  if (full == 0) {  // every layer sliding (Mistral-style): one sliding group
    layout.group_size_layers = sliding;
    layout.full_groups = 0;
    layout.sliding_groups = 1;
    return layout;
  }
  const int64_t smallest = std::min(full, sliding);
  const int64_t largest = std::max(full, sliding);
  const int64_t group = 4 * largest < 5 * smallest ? largest : smallest;  // largest < 1.25 x smallest
  layout.group_size_layers = group;
  layout.full_groups = (full + group - 1) / group;
  layout.sliding_groups = (sliding + group - 1) / group;
  return layout;
}

}  // namespace llmpo
