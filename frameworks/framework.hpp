#pragma once
// The interface every serving-framework model implements. A Framework is the policy of one
// replica: it owns the waiting and running queues and its KV-cache accounting, decides what each
// engine step computes, and advances the sequences when the step ends. It never sees the clock
// except through `now`, never computes step durations (the simulation asks the cost model), and
// never records metrics (the simulation does, from StepEvents).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hardware/step_shape.hpp"
#include "simulator/core/request.hpp"

namespace llmpo {

struct ScheduledSequence {
  RequestState* request = nullptr;
  int32_t cached_tokens = 0;  // KV already in the cache when the step starts
  int32_t new_tokens = 0;     // tokens computed by this step (prefill chunk, or 1 for a decode)
  // Speculative decoding: of new_tokens, the drafts the target verifies (a decode then computes
  // 1 + draft_tokens positions); 0 otherwise.
  int32_t draft_tokens = 0;
};

// What one engine step computes. Reused between steps to avoid allocation.
struct StepPlan {
  std::vector<ScheduledSequence> sequences;
  StepShape shape;            // the sums the cost model needs, built with shape.add_sequence()
  int32_t preempted = 0;      // requests preempted while planning this step
  void clear(int64_t window_tokens) {
    sequences.clear();
    shape = StepShape(window_tokens);
    preempted = 0;
  }
};

// What one emitted request produced in a step, when that may be more than one token
// (speculative decoding): one streamed chunk of `tokens` tokens; `drafted` drafts were verified
// and `accepted` of them accepted (both 0 for a step without drafts).
struct EmittedChunk {
  int32_t tokens = 1;
  int32_t drafted = 0;
  int32_t accepted = 0;
};

// What a finished step produced, for the simulation's metrics. Reused between steps.
struct StepEvents {
  std::vector<RequestState*> emitted;   // requests that produced output tokens in this step
  std::vector<RequestState*> finished;  // requests whose last output token this step produced
  // Parallel to `emitted` once any request of the step emitted a chunk with drafts; empty when
  // every emitted request produced exactly one token (the common case costs nothing).
  std::vector<EmittedChunk> chunks;
  void clear() {
    emitted.clear();
    finished.clear();
    chunks.clear();
  }
  // One token, no drafts.
  void emit(RequestState* r) {
    emitted.push_back(r);
    if (!chunks.empty()) chunks.push_back({});
  }
  void emit_chunk(RequestState* r, EmittedChunk chunk) {
    if (chunks.empty()) chunks.assign(emitted.size(), EmittedChunk{});
    emitted.push_back(r);
    chunks.push_back(chunk);
  }
  int32_t tokens_of(std::size_t i) const { return chunks.empty() ? 1 : chunks[i].tokens; }
};

struct FrameworkStats {
  int64_t running = 0;          // sequences holding KV and being stepped
  int64_t waiting = 0;          // admitted, not yet running (or preempted)
  int64_t kv_used_blocks = 0;
  int64_t kv_total_blocks = 0;
  int64_t preemptions = 0;      // total so far
  // Prefix cache lookups so far, in tokens, as vLLM counts them (PrefixCacheStats: a request's
  // num_tokens and hit tokens when it is scheduled from the waiting queue), for requests never
  // preempted; a preempted request's re-lookups are counted apart, as vLLM does. 0 without a
  // prefix cache.
  int64_t prefix_query_tokens = 0;
  int64_t prefix_hit_tokens = 0;
  int64_t prefix_preempted_query_tokens = 0;
  int64_t prefix_preempted_hit_tokens = 0;
};

// A stretch of decode steps that the simulation may advance at once. It exists when every
// running request decodes (one new token each), nothing waits and the batch fits the token
// budget: consecutive steps then differ only by one more cached token per request, so their
// shapes and KV needs follow in closed form. Advancing them together gives exactly the results
// of stepping one by one (a test compares both).
struct DecodeRun {
  int64_t batch = 0;                // running requests, all decoding
  // The most steps: at most up to the one in which the first requests emit their last token
  // (their smallest remaining output). A framework that cannot finish requests in a run caps
  // it one step earlier.
  int64_t max_steps = 0;
  StepShape first_shape;            // the next step's shape
  int64_t blocks_after_first = 0;   // KV blocks in use once the next step is allocated
  // The blocks each later step allocates repeat with a period (a paged cache: the block size;
  // token slots: 1): allocating step s (2 <= s <= max_steps) adds block_pattern[(s - 2) % period].
  // A few numbers, however long the run: a run is cut short by the next event far more often
  // than it reaches max_steps.
  std::vector<int64_t> block_pattern;
  int64_t total_blocks = 0;
};

// Prefill/decode disaggregation (simulator/core/pd_handoff.hpp): the role a replica plays.
// prefill: computes prompts of requests sent with max_tokens = 1 and keeps each finished request's
// KV blocks until the decode side has read them (release_sent_kv). decode: reads each new
// request's prompt KV from the prefill replica that computed it (RemoteKvSource) before running it.
enum class PdRole : uint8_t { aggregated, prefill, decode };

// Where a decode replica reads a request's prompt KV from: the KV connector and its link.
class RemoteKvSource {
 public:
  virtual ~RemoteKvSource() = default;
  // The decode replica allocated blocks for the prompt of `r` and starts reading its KV at `now`;
  // returns the instant the read completes.
  virtual SimTime start_read(const RequestState& r, SimTime now) = 0;
};

class Framework {
 public:
  virtual ~Framework() = default;

  // The workload's content identity (Request::content_node indexes it), given once before any
  // request arrives; null when no request shares content with another. It outlives the framework.
  virtual void use_prompts(const PromptTree* /*prompts*/) {}

  // A request arrives. Returns false, with r.reject_reason set, when it can never be served
  // (longer than max_model_len, or more KV than the whole cache); it is then done.
  virtual bool admit(RequestState& r, SimTime now) = 0;

  // Plans the next step into `plan` (after plan.clear()). Returns false when there is nothing to
  // run at `now`. It may then set `wake_at_ns` to a later instant at which it wants to be asked
  // again even if nothing arrives (static batching's batch timeout); otherwise kNeverNs.
  virtual bool plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) = 0;

  // The step planned last ended at `now`: advance every scheduled sequence, append tokens, free
  // finished requests' KV, and list what happened in `events` (after events.clear()).
  virtual void complete_step(SimTime now, const StepPlan& plan, StepEvents& events) = 0;

  virtual FrameworkStats stats() const = 0;

  // Bulk decoding, an optional fast path. prepare_decode_run() describes the coming decode run
  // without changing anything, or returns false when the next step is not part of one.
  // apply_decode_run(steps, running) then performs `steps` of them (steps <= run.max_steps,
  // whose blocks the caller checked fit): tokens, KV and progress exactly as after stepping, and
  // lists the requests that ran in `running`, in step order. Those that emitted their last token
  // in the final step are finished: their KV is freed and they left the running batch, as
  // complete_step does; the caller records their completion.
  virtual bool prepare_decode_run(DecodeRun& /*run*/) { return false; }
  virtual void apply_decode_run(int64_t /*steps*/, std::vector<RequestState*>& /*running*/) {}
  // The same for the decode run that would start when `step`, planned by plan_step and not yet
  // completed, ends: prepare_decode_run_after() describes it as prepare_decode_run() would right
  // after complete_step(step), without changing anything, or returns false when that step would
  // not lead into one (a request finishes in it, one of its prefills is chunked, ...).
  // apply_decode_run_after() then completes `step` (every request in it emitted one token and
  // none finished) and performs `steps` steps of the run, as apply_decode_run() after
  // complete_step() would. The simulation then records the step's end and the run in one go
  // (an arrival's prefill step and the decode run that follows it, the most common pair).
  virtual bool prepare_decode_run_after(const StepPlan& /*step*/, DecodeRun& /*run*/) { return false; }
  virtual void apply_decode_run_after(const StepPlan& /*step*/, int64_t /*steps*/,
                                      std::vector<RequestState*>& /*running*/) {}

  // P/D disaggregation: takes a role (with `source` for the decode role); false when this
  // framework has no model of it.
  virtual bool set_pd_role(PdRole /*role*/, RemoteKvSource* /*source*/) { return false; }
  // Prefill role: the decode side finished reading `r`'s KV, whose blocks were held since `r`
  // finished; they go back to the pool.
  virtual void release_sent_kv(RequestState& /*r*/) {}

  // Throws InternalError with context when bookkeeping is inconsistent (KV blocks not conserved,
  // a request in two queues, ...). Cheap enough to call after every step.
  virtual void check_invariants() const = 0;

  // Nothing waiting, nothing running: every admitted request has finished.
  bool idle() const {
    const FrameworkStats s = stats();
    return s.running == 0 && s.waiting == 0;
  }
};

}  // namespace llmpo
