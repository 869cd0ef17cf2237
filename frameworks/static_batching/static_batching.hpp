#pragma once
// Static (request-level) batching, as Hugging Face `generate` on a list of prompts and the
// AI-Flux seed's batch_size do it. A batch forms only when none is running: batch_size waiting
// requests (FIFO), or fewer once the oldest has waited batch_timeout_s. Its first step prefills
// every member's prompt and samples each one's first token; then every step decodes one token
// for every member until the longest is done. A member that has finished stays in the batch as
// padding - HF keeps computing its row - so it is still stepped (and costed) but emits nothing.
// Nobody joins a running batch. KV for each member's whole prompt + output is reserved when the
// batch starts and all of it is freed when the batch ends.
#include <cstdint>
#include <deque>
#include <vector>

#include "frameworks/framework.hpp"
#include "frameworks/kv_block_manager.hpp"

namespace llmpo {

struct StaticBatchingConfig {
  int64_t batch_size = 4;          // most requests per batch
  SimTime batch_timeout_ns = 0;    // how long the oldest waits for a full batch (0 = not at all)
  int64_t block_size = 16;         // tokens per KV block (for reservation accounting)
  int64_t num_gpu_blocks = 0;      // KV blocks in the cache
  int64_t max_model_len = 0;       // longest prompt + output accepted
  int64_t window_tokens = 0;       // the model's sliding window, for StepShape (0 = none)
};

class StaticBatching final : public Framework {
 public:
  // Throws InternalError for non-positive sizes or a negative timeout.
  explicit StaticBatching(const StaticBatchingConfig& config);

  // Rejects prompt + output > max_model_len (exceeds_max_model_len) and a request whose own
  // reservation is larger than the whole cache (exceeds_batch_capacity).
  bool admit(RequestState& r, SimTime now) override;
  // When no batch runs and one cannot form yet, returns false with wake_at_ns = the instant the
  // oldest waiting request's timeout expires. plan.sequences lists every member, padding
  // included (new_tokens = 1 for a padded row, whose position keeps advancing).
  bool plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) override;
  void complete_step(SimTime now, const StepPlan& plan, StepEvents& events) override;
  FrameworkStats stats() const override;
  void check_invariants() const override;

 private:
  bool form_batch(SimTime now, SimTime& wake_at_ns);

  StaticBatchingConfig config_;
  KvBlockManager kv_;
  std::vector<RequestState*> batch_;  // members of the running batch, in FIFO order
  int64_t live_members_ = 0;          // members not finished yet
  int32_t decode_steps_done_ = 0;     // decode steps completed by the running batch
  bool prefilled_ = false;            // has the running batch's prefill step completed?
  std::deque<RequestState*> waiting_;
};

}  // namespace llmpo
