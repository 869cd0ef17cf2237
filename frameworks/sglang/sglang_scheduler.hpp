#pragma once
// SGLang's scheduler (python/sglang/srt/managers/scheduler.py, schedule_policy.py and
// schedule_batch.py; SGLang v0.5.x, see frameworks/README.md) as a Framework, over a token pool
// of max_total_tokens KV slots shared with the radix cache (radix_cache.hpp).
//
// Each step is either a prefill (extend) batch or a decode batch, never both (SGLang's default,
// enable_mixed_chunk off): get_next_batch_to_run builds a prefill batch whenever one can be
// admitted and otherwise decodes every running request by one token.
//
// Prefill admission (get_new_batch_prefill + PrefillAdder): the waiting queue is ordered by the
// policy (fcfs: arrival order; lpm: longest cached prefix first, falling back to fcfs above 128
// waiting requests); a request still being chunked goes first. Each request in turn is matched
// against the radix cache and admitted while
//   extend + min(max_new_tokens - generated, 4096) + 1  <  rem_total_tokens
//   rem_total_tokens = free + evictable - sum(running: min(remaining output, 4096) x new_token_ratio)
//                      - sum(admitted this step: extend + reserved output)
// the step has fewer than max_running_requests requests, and the prefill budgets last
// (max_prefill_tokens per step; a prompt longer than what is left of chunked_prefill_size is
// cut there and continues in the next prefill step: one chunked request at a time).
// new_token_ratio starts at 0.7 x schedule_conservativeness, decays by (init - 0.14 init) / 600
// per decode step, and is reset after a retraction to (decoded + 20 x running) / max_new_tokens.
//
// Decode: every running request needs one slot; unlocked cache leaves are evicted for it. If
// slots still lack, retract_decode removes running requests - fewest output tokens first,
// longest prompt first among equals - until 20 decode steps of the rest fit; their own KV is
// freed, the prefix they had cached stays in the radix cache (unlocked), and they rejoin the
// waiting queue to be prefilled again from what is still cached.
//
// Caching (cache_unfinished_req / cache_finished_req): after each prefill chunk the request's
// computed tokens go into the radix cache and it locks them; a finished request's tokens
// (prompt and output) go in and are unlocked. With disable_radix_cache nothing is cached or
// matched (SGLang's ChunkCache). page_size 1.
//
// RequestState::cached_prompt_tokens is the prompt prefix matched when first scheduled
// (SGLang's cached_tokens). Not modelled: in-batch prefix deduplication of LPM
// (IN_BATCH_PREFIX_CACHING thresholds), dfs-weight and the other policies, priority scheduling,
// hierarchical cache, mixed chunks, speculative decoding.
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "frameworks/framework.hpp"
#include "radix_cache.hpp"

namespace llmpo {

enum class SglangPolicy { fcfs, lpm };

struct SglangSchedulerConfig {
  int64_t max_total_tokens = 0;       // KV slots of the token pool (max_total_num_tokens)
  int64_t max_model_len = 0;          // context_len: longest prompt + output accepted
  int64_t max_running_requests = 0;   // most requests running at once
  int64_t max_prefill_tokens = 16384; // new prompt tokens per prefill step
  int64_t chunked_prefill_size = 8192;  // <= 0: no chunking
  SglangPolicy policy = SglangPolicy::fcfs;
  bool disable_radix_cache = false;
  double schedule_conservativeness = 1.0;
  int64_t window_tokens = 0;          // the model's sliding window, for StepShape (0 = none)
};

// SGLang's scheduler constants (python/sglang/srt/environ.py, schedule_policy.py).
struct SglangConstants {
  static constexpr double kInitNewTokenRatio = 0.7;        // SGLANG_INIT_NEW_TOKEN_RATIO
  static constexpr double kMinNewTokenRatioFactor = 0.14;  // SGLANG_MIN_NEW_TOKEN_RATIO_FACTOR
  static constexpr double kNewTokenRatioDecaySteps = 600;  // SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS
  static constexpr int64_t kRetractDecodeSteps = 20;       // SGLANG_RETRACT_DECODE_STEPS
  static constexpr int64_t kClipMaxNewTokens = 4096;       // SGLANG_CLIP_MAX_NEW_TOKENS_ESTIMATION
  static constexpr std::size_t kLpmMaxQueue = 128;         // lpm -> fcfs above this many waiting
};

class SglangScheduler final : public Framework {
 public:
  // Throws InternalError for non-positive sizes (configs are validated when read).
  explicit SglangScheduler(const SglangSchedulerConfig& config);

  void use_prompts(const PromptTree* prompts) override;
  // Rejects prompt + output > max_model_len (exceeds_max_model_len) and prompt + output > the
  // whole pool (exceeds_kv_capacity).
  bool admit(RequestState& r, SimTime now) override;
  bool plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) override;
  void complete_step(SimTime now, const StepPlan& plan, StepEvents& events) override;
  // kv_used_blocks: slots held by requests (locked or their own), not the evictable cache.
  FrameworkStats stats() const override;
  bool prepare_decode_run(DecodeRun& run) override;  // sglang_decode_run.cpp
  void apply_decode_run(int64_t steps, std::vector<RequestState*>& running) override;
  void check_invariants() const override;

  const SglangSchedulerConfig& config() const { return config_; }
  const RadixCache& radix() const { return radix_; }
  double new_token_ratio() const { return new_token_ratio_; }
  int64_t free_tokens() const { return config_.max_total_tokens - radix_.total_tokens() - own_tokens_; }
  // The waiting queue in its current order (tests).
  const std::deque<RequestState*>& waiting() const { return waiting_; }

 private:
  struct Sequence {
    std::vector<ContentSegment> path;  // its content, prompt then output
    int32_t locked_node = RadixCache::kRoot;
    int64_t cached_tokens = 0;         // prefix held by the radix cache (locked)
    int64_t own_tokens = 0;            // slots beyond it, the request's alone
  };
  struct Adder;  // the PrefillAdder of one step

  Sequence& sequence(const RequestState& r);
  bool plan_prefill(SimTime now, StepPlan& plan);
  bool plan_decode(StepPlan& plan);
  void order_waiting_queue();
  // Matches r against the cache (limit: all but its last token), locking the match.
  void lock_prefix(RequestState& r, Sequence& s);
  void unlock(Sequence& s);
  // Takes `tokens` free slots, evicting first when the free ones do not suffice.
  void allocate(Sequence& s, int64_t tokens);
  // cache_unfinished_req: the computed tokens into the cache, locked by r.
  void cache_computed(RequestState& r, Sequence& s);
  // cache_finished_req: everything into the cache, unlocked; r's slots released.
  void release_finished(RequestState& r);
  void retract_decode();
  void schedule(RequestState& r, int64_t new_tokens, StepPlan& plan);
  int64_t evict_for(int64_t tokens);

  SglangSchedulerConfig config_;
  const PromptTree* prompts_ = nullptr;
  RadixCache radix_;
  std::unordered_map<int64_t, Sequence> sequences_;  // by request id, admitted and unfinished
  std::deque<RequestState*> waiting_;                // in policy order once sorted
  std::vector<RequestState*> running_;               // the decode batch
  RequestState* chunked_ = nullptr;                  // partly prefilled, continued first
  bool last_was_prefill_ = false;
  int64_t own_tokens_ = 0;
  int64_t retractions_ = 0;
  double new_token_ratio_;
  double min_new_token_ratio_;
  double new_token_ratio_decay_;
};

}  // namespace llmpo
