#pragma once
// vLLM V1's scheduler (vllm/v1/core/sched/scheduler.py, FCFS policy) as a Framework. There are
// no prefill and decode phases: every step, each request gets
//   num_new = current_tokens - computed_tokens
// tokens (1 for a decode, the rest of its prompt for a partly prefilled one), within a per-step
// token budget of max_num_batched_tokens. Running requests go first, in admission order; then,
// if nothing was preempted, waiting requests in FIFO order. When the KV cache runs out, the
// most recently admitted running request is preempted by recompute: its blocks are freed, it
// goes to the front of the waiting queue, and its prompt and generated tokens are prefilled
// again when it is readmitted.
//
// Automatic prefix caching (on by default in V1; PrefixBlockPool): a waiting request first takes
// the longest cached run of its leading full blocks (get_computed_blocks, capped at
// num_tokens - 1), so its first step computes only the tokens after them while attention still
// reads the whole context; blocks are shared by reference count, and freed ones stay cached until
// reused in LRU order. Requests with content identity (Request::content_node) hit each other's
// prompts and outputs; requests without it can only re-hit their own blocks after a preemption,
// so a preempted request recomputes only its evicted tail. With sliding-window layers prefix
// caching is not modelled (no hits). Speculative decoding (speculative_config.hpp): a decode
// request is scheduled with 1 + k tokens and gains accepted + 1. Not modelled:
// long_prefill_token_threshold. Async scheduling is the simulation's (Replica::async_scheduling).
// Admission (reserve_full_isl): see VllmSchedulerConfig. With sliding-window layers the KV
// blocks are counted per group (models/kv_cache_groups.hpp).
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "frameworks/framework.hpp"
#include "frameworks/kv_block_manager.hpp"
#include "speculative_config.hpp"
#include "prefix_block_pool.hpp"

namespace llmpo {

struct VllmSchedulerConfig {
  int64_t max_num_seqs = 256;             // most requests running at once
  int64_t max_num_batched_tokens = 2048;  // token budget of one step
  bool enable_chunked_prefill = true;     // may a prompt be split over several steps?
  int64_t block_size = 16;                // tokens per KV block
  int64_t num_gpu_blocks = 0;             // KV blocks in the cache
  int64_t max_model_len = 0;              // longest prompt + output accepted
  int64_t window_tokens = 0;              // the model's sliding window, for StepShape (0 = none)
  bool enable_prefix_caching = true;      // V1 default: full blocks are cached by content and reused
  // Admission reserves the whole sequence (vLLM #37307, SchedulerConfig.scheduler_reserve_full_isl,
  // scheduler.py passes it as allocate_slots(full_sequence_must_fit=...)): a waiting request is
  // admitted only if blocks for min(prompt + generated, max_model_len) tokens are free, although
  // only its first chunk is allocated now. vLLM's watermark (default 0) is not modelled.
  bool reserve_full_isl = true;
  // Page groups of the hybrid allocator (block_size is overwritten with block_size above);
  // the default is one group with no window: the plain paged cache.
  KvCacheLayout kv_layout;
  // Speculative decoding: drafts per decode step (0 = none), the KV slots allocated ahead of
  // them for a model-based drafter (vLLM's num_lookahead_tokens), and the acceptance draws
  // (required when num_speculative_tokens > 0).
  int64_t num_speculative_tokens = 0;
  int64_t lookahead_tokens = 0;
  std::shared_ptr<const AcceptanceModel> acceptance;
};

class VllmScheduler final : public Framework {
 public:
  // Throws InternalError for non-positive sizes (configs are validated when read).
  explicit VllmScheduler(const VllmSchedulerConfig& config);

  // Rejects, in this order: prompt + output > max_model_len (exceeds_max_model_len); more
  // blocks for prompt + output than the whole cache (exceeds_kv_capacity); without chunked
  // prefill, a prompt longer than max_num_batched_tokens (exceeds_token_budget: no step could
  // ever hold it; vLLM refuses to start when max_num_batched_tokens < max_model_len in that
  // mode, and here the requests that would not fit are refused instead).
  bool admit(RequestState& r, SimTime now) override;
  bool plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) override;
  void complete_step(SimTime now, const StepPlan& plan, StepEvents& events) override;
  FrameworkStats stats() const override;
  bool prepare_decode_run(DecodeRun& run) override;
  void apply_decode_run(int64_t steps, std::vector<RequestState*>& running) override;
  bool prepare_decode_run_after(const StepPlan& step, DecodeRun& run) override;
  void apply_decode_run_after(const StepPlan& step, int64_t steps, std::vector<RequestState*>& running) override;
  void check_invariants() const override;
  void use_prompts(const PromptTree* prompts) override;
  // A host-memory tier that extends prefix hits (see PrefixCacheTier); ignored without prefix
  // caching. Not owned; must outlive the scheduler.
  void set_host_tier(PrefixCacheTier* tier);
  // The same, owned by the scheduler (a deployment's kv_offloading_size).
  void own_host_tier(std::unique_ptr<PrefixCacheTier> tier);

  const VllmSchedulerConfig& config() const { return config_; }

  // P/D disaggregation as vLLM's NixlConnector does it (nixl_connector.py; scheduler.py):
  // prefill: request_finished() delays freeing a finished request's blocks until the decode
  // instance reports it has read them (release_sent_kv). decode: a new request's prompt KV is
  // remote (get_num_new_matched_tokens); blocks for the whole prompt are allocated, the request
  // waits in WAITING_FOR_REMOTE_KVS (loading_) while the source reads it, and then runs with
  // num_computed_tokens = prompt - 1: _update_waiting_for_remote_kv recomputes the last prompt
  // token, whose step samples the first output token. Local prefix hits are not looked up for
  // remote requests (the whole prompt is read); a preempted request recomputes locally.
  bool set_pd_role(PdRole role, RemoteKvSource* source) override;
  void release_sent_kv(RequestState& r) override;

 private:
  // Inlined into plan_step: it runs once per running request per step.
  [[gnu::always_inline]] inline void schedule(RequestState& r, int64_t num_new_tokens, StepPlan& plan, int64_t draft_tokens = 0);
  // A running request's decode (one new token, no drafts), its shape summed into `decodes`
  // (added to plan.shape after the running loop).
  [[gnu::always_inline]] inline void schedule_decode(RequestState& r, StepPlan& plan, DecodeSums& decodes);
  // Speculative decoding: the drafts a running request verifies this step, within `budget`
  // (0 when it is not a decode, or speculation is off). Inlined like schedule.
  [[gnu::always_inline]] inline int64_t drafts_for(const RequestState& r, int64_t budget) const;
  // plan_step's first part: the running requests, in admission order, while `budget` remains
  // (preempting when blocks run out). A template, so that without speculative decoding the loop
  // carries no draft arithmetic.
  template <bool kSpeculative>
  void schedule_running(StepPlan& plan, int64_t& budget);
  // A verified step's outcome: accepted drafts + 1 tokens (the KV of rejected drafts rolled back).
  void complete_verification(RequestState& r, const ScheduledSequence& seq, StepEvents& events);
  void preempt(RequestState& r);
  void release(RequestState& r);  // a finished request's blocks back to the pool
  // prepare_decode_run, from the state once `pending` has completed (kAfterStep; else pending
  // is null). A template, so that the plain case's loops carry no test for the other.
  template <bool kAfterStep>
  bool describe_decode_run(DecodeRun& run, const StepPlan* pending);
  // apply_decode_run, and with kAfterStep the pending step's completion first, in one walk.
  template <bool kAfterStep>
  void advance_decode_run(const StepPlan* pending, int64_t steps, std::vector<RequestState*>& running);
  // The block counts of whichever pool is in use.
  // cache_tokens: with prefix caching, only the blocks these fill are cached (not draft slots).
  bool grow(RequestState& r, int64_t tokens, int64_t cache_tokens = INT64_MAX) {
    return pool_ ? pool_->grow(r, tokens, cache_tokens) : kv_.grow_to_cover(r, tokens);
  }
  int64_t free_blocks() const { return pool_ ? pool_->free_blocks() : kv_.free_blocks(); }
  int64_t used_blocks() const { return pool_ ? pool_->used_blocks() : kv_.used_blocks(); }
  // A waiting request takes its prefix-cache hit `hit`: computed tokens start there. Returns
  // false, changing nothing, when the blocks for its first chunk do not fit.
  bool start_from_cache(RequestState& r, const PrefixMatch& hit, int64_t budget);
  // vLLM's PrefixCacheStats.record, at the request's admission into the running batch.
  void record_lookup(RequestState& r, const PrefixMatch& hit, bool first_scheduling);
  // Moves r from waiting to running and schedules `num_new` of its tokens.
  void start_running(RequestState& r, int64_t num_new, SimTime now, StepPlan& plan);
  // Schedules the requests whose host-tier load finished by `now`, in the order they started
  // loading, within `budget` (reduced); the earliest unfinished load's end goes to `next_ready_ns`.
  void run_loaded(SimTime now, int64_t& budget, StepPlan& plan, SimTime& next_ready_ns);
  // Decode role: a request that arrived from a prefill replica and has not run here yet reads its
  // prompt KV (a prompt of one token has nothing to read: its only token is recomputed).
  bool reads_remote_kv(const RequestState& r) const {
    return pd_role_ == PdRole::decode && r.preemptions == 0 && r.allocated_blocks == 0 &&
           r.generated_tokens == 0 && r.request.prompt_tokens >= 2;
  }

  VllmSchedulerConfig config_;
  KvBlockManager kv_;                    // block counts without prefix caching
  std::optional<PrefixBlockPool> pool_;  // with prefix caching (replaces kv_'s counts)
  // Admission order: the tail is the most recently admitted, the one preemption picks. Reserved
  // at construction, so a step never allocates; finished requests are removed in one pass.
  std::vector<RequestState*> running_;
  // FIFO of new arrivals; preempted requests are put back at the front.
  std::deque<RequestState*> waiting_;
  // Requests whose prefix hit reaches into the host tier wait, holding their blocks, while those
  // blocks are copied in (vLLM's WAITING_FOR_REMOTE_KVS: the scheduler skips them and runs
  // others; they run once the load completes). Counted as waiting.
  struct Loading {
    RequestState* request;
    SimTime ready_ns;
  };
  std::vector<Loading> loading_;
  std::unique_ptr<PrefixCacheTier> owned_tier_;
  PdRole pd_role_ = PdRole::aggregated;
  RemoteKvSource* remote_kv_ = nullptr;  // decode role: not owned
  // Prefill role: finished requests whose blocks the decode side has not read yet.
  std::vector<RequestState*> sending_;
  int64_t preemptions_ = 0;
  // vLLM's prefix cache counters (vllm/v1/metrics/stats.py PrefixCacheStats), in tokens:
  // lookups of requests never preempted, and of preempted ones apart.
  int64_t prefix_query_tokens_ = 0, prefix_hit_tokens_ = 0;
  int64_t preempted_query_tokens_ = 0, preempted_hit_tokens_ = 0;
};

}  // namespace llmpo
