// SglangScheduler's bulk-decoding fast path (see DecodeRun in framework.hpp): a run of decode
// steps of an unchanged batch, each needing one new KV slot per request and decaying
// new_token_ratio once, with the cache evicted exactly as step-by-step decoding would.
#include <algorithm>

#include <fmt/format.h>

#include "sglang_scheduler.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {
// Longer runs are split: bounds the per-run arrays; the next run simply continues.
constexpr int64_t kMaxDecodeRunSteps = 4096;
}  // namespace

bool SglangScheduler::prepare_decode_run(DecodeRun& run) {
  // Only when every step would be a plain decode: nothing waits or is being chunked (else a
  // prefill comes first), and no sliding window (contexts would stop growing at it).
  if (!waiting_.empty() || chunked_ != nullptr || running_.empty() || config_.window_tokens > 0) return false;
  int64_t min_remaining = INT64_MAX;
  for (const RequestState* r : running_) {
    if (r->current_tokens() - r->computed_tokens != 1 || r->generated_tokens < 1 || r->in_flight) return false;
    min_remaining = std::min<int64_t>(min_remaining, r->request.output_tokens - r->generated_tokens);
  }
  const auto batch = static_cast<int64_t>(running_.size());
  run.batch = batch;
  run.max_steps = std::min(min_remaining - 1, kMaxDecodeRunSteps);
  if (run.max_steps < 2) return false;
  run.first_shape = StepShape(config_.window_tokens);
  DecodeSums decodes(config_.window_tokens);
  for (const RequestState* r : running_) decodes.add(r->computed_tokens);
  run.first_shape.add_decodes(decodes);
  // Slots are tokens: each step takes one per request, from the free slots or, by evicting,
  // from the unlocked cache; "in use" excludes the evictable cache, so a step fits while
  // in use + batch <= the pool.
  run.total_blocks = config_.max_total_tokens;
  run.blocks_after_first = stats().kv_used_blocks + batch;
  run.block_pattern.assign(1, batch);
  return true;
}

void SglangScheduler::apply_decode_run(int64_t steps, std::vector<RequestState*>& running) {
  const auto batch = static_cast<int64_t>(running_.size());
  for (int64_t step = 0; step < steps; ++step) {
    // plan_decode's check_decode_mem (the caller checked that the slots exist) and ratio decay.
    if (evict_for(batch) < batch)
      throw InternalError(fmt::format("SGLang decode run of {} steps: no {} slots at step {}", steps, batch, step));
    own_tokens_ += batch;  // one slot per request, credited to each below
    new_token_ratio_ = std::max(new_token_ratio_ - new_token_ratio_decay_, min_new_token_ratio_);
  }
  running.clear();
  for (RequestState* r : running_) {
    Sequence& s = sequence(*r);
    s.own_tokens += steps;
    r->computed_tokens += static_cast<int32_t>(steps);
    r->generated_tokens += static_cast<int32_t>(steps);
    if (r->finished())
      throw InternalError(fmt::format("SGLang decode run of {} steps: request {} finished", steps, r->request.id));
    running.push_back(r);
  }
  if (free_tokens() < 0)
    throw InternalError(fmt::format("SGLang decode run of {} steps overran the pool", steps));
}

}  // namespace llmpo
