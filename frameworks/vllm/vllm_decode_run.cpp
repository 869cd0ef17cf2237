// VllmScheduler's bulk-decoding fast path (see DecodeRun in framework.hpp): the closed form of
// a run of decode steps of an unchanged batch.
#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "vllm_scheduler.hpp"

namespace llmpo {

namespace {
// Longer runs are split: bounds the per-run arrays; the next run simply continues.
constexpr int64_t kMaxDecodeRunSteps = 4096;
}  // namespace

template <bool kAfterStep>
bool VllmScheduler::describe_decode_run(DecodeRun& run, const StepPlan* pending) {
  // Sliding windows make per-request context stop growing at the window: not in closed form here.
  if (!waiting_.empty() || !loading_.empty() || running_.empty() || config_.window_tokens > 0 || kv_.layout().hybrid()) return false;
  // With speculative decoding each step's progress depends on its acceptance draws: stepped one by one.
  if (config_.num_speculative_tokens > 0) return false;
  const auto batch = static_cast<int64_t>(running_.size());
  if (batch > config_.max_num_batched_tokens) return false;  // not every request fits a step
  // The tokens the pending step computes for running_[i] (complete_step adds them; it also emits
  // one token for each, as each checked below completes its known tokens).
  auto pending_tokens = [pending](std::size_t i) -> int32_t { return kAfterStep ? pending->sequences[i].new_tokens : 0; };
  constexpr int32_t pending_emitted = kAfterStep ? 1 : 0;
  int64_t min_remaining = INT64_MAX;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    const RequestState* r = running_[i];
    if constexpr (kAfterStep) {
      // In the step, without drafts, and through its last known token: it emits then, and has
      // one token to compute after (it decodes).
      const ScheduledSequence& seq = pending->sequences[i];
      if (seq.request != r || seq.draft_tokens != 0 || r->computed_tokens + seq.new_tokens != r->current_tokens()) return false;
    } else {
      // A decode has emitted before and has exactly one new token. (The last token of a chunked
      // prefill also leaves one to compute, but it makes the first output token: not a decode.)
      if (r->current_tokens() - r->computed_tokens != 1 || r->generated_tokens < 1 || r->in_flight) return false;
    }
    min_remaining = std::min<int64_t>(min_remaining, r->request.output_tokens - r->generated_tokens - pending_emitted);
  }
  run.batch = batch;
  // Up to and including the step in which the first requests finish (apply_decode_run frees
  // them as complete_step does). After a pending step, at least one step left means that none
  // finished in it.
  run.max_steps = std::min(min_remaining, kMaxDecodeRunSteps);
  if (run.max_steps < 2) return false;
  run.first_shape = StepShape(config_.window_tokens);
  run.total_blocks = kv_.total_blocks();
  const int64_t block_size = kv_.block_size_tokens();
  run.block_pattern.assign(static_cast<std::size_t>(block_size), 0);
  int64_t added_first = 0;
  DecodeSums decodes(config_.window_tokens);
  for (std::size_t i = 0; i < running_.size(); ++i) {
    const RequestState* r = running_[i];
    const int64_t cached = r->computed_tokens + pending_tokens(i);
    decodes.add(cached);
    // Step s (1-based) needs KV for cached + s tokens. After the first step's allocation the
    // request covers `covered` tokens; it needs one more block at the step that first exceeds
    // them (`first`, >= 2 as covered >= cached + 1), and then every block_size steps: at the
    // steps s >= first with s - 2 = first - 2 (mod block_size).
    const int64_t blocks_first = std::max<int64_t>(r->allocated_blocks, kv_.blocks_for_tokens(cached + 1));
    added_first += blocks_first - r->allocated_blocks;
    const int64_t first = blocks_first * block_size - cached + 1;
    // Holding more than a block beyond its next token (first > block_size + 1), the request's
    // first block comes after steps that the pattern would charge it for: the run stops short
    // of that block instead (rare; the next run goes on).
    if (first > block_size + 1) run.max_steps = std::min(run.max_steps, first - 1);
    else run.block_pattern[static_cast<std::size_t>(first - 2)] += 1;
  }
  run.first_shape.add_decodes(decodes);
  if (run.max_steps < 2) return false;
  // complete_step frees nothing here (no request finishes): the blocks in use are those now.
  run.blocks_after_first = used_blocks() + added_first;
  return true;
}

bool VllmScheduler::prepare_decode_run(DecodeRun& run) { return describe_decode_run<false>(run, nullptr); }

bool VllmScheduler::prepare_decode_run_after(const StepPlan& step, DecodeRun& run) {
  // The step must hold every running request in running order (none skipped for budget, none
  // preempted), so that step.sequences[i] is running_[i]; the checks per request follow.
  if (step.preempted != 0 || step.sequences.size() != running_.size()) return false;
  return describe_decode_run<true>(run, &step);
}

void VllmScheduler::apply_decode_run_after(const StepPlan& step, int64_t steps, std::vector<RequestState*>& running) {
  advance_decode_run<true>(&step, steps, running);
}

void VllmScheduler::apply_decode_run(int64_t steps, std::vector<RequestState*>& running) {
  advance_decode_run<false>(nullptr, steps, running);
}

template <bool kAfterStep>
void VllmScheduler::advance_decode_run(const StepPlan* pending, int64_t steps, std::vector<RequestState*>& running) {
  running.clear();
  bool any_finished = false;
  // Without content identity the blocks of the whole batch are taken in one go (the same blocks,
  // in the same order, as growing request by request).
  const bool grow_together = pool_ && !pool_->any_content();
  int64_t grown_blocks = 0;
  const ScheduledSequence* seq = kAfterStep ? pending->sequences.data() : nullptr;
  for (RequestState* r : running_) {
    if constexpr (kAfterStep) {
      // complete_step's work for the pending step, in which every request emits one token and
      // none finishes (prepare_decode_run_after checked both, and that its sequences are
      // running_ in order).
      r->in_flight = false;
      r->computed_tokens += (seq++)->new_tokens;
      r->generated_tokens += 1;
    }
    r->computed_tokens += static_cast<int32_t>(steps);
    r->generated_tokens += static_cast<int32_t>(steps);
    if (r->generated_tokens > r->request.output_tokens || (!grow_together && !grow(*r, r->computed_tokens)))
      throw InternalError(fmt::format("vLLM decode run of {} steps: request {} ran past its output or its KV did not fit",
                                      steps, r->request.id));
    if (grow_together) grown_blocks += pool_->add_grown(*r);
    any_finished = any_finished || r->finished();
    running.push_back(r);
  }
  if (grow_together && !pool_->take_grown(grown_blocks))
    throw InternalError(fmt::format("vLLM decode run of {} steps: the KV of its {} requests did not fit", steps, running_.size()));
  if (!any_finished) return;
  // The last step's completion, as complete_step: every request grew for it first, then the
  // finished ones free their blocks in batch order (prefill-role replicas never decode).
  for (RequestState* r : running_)
    if (r->finished()) release(*r);
  std::erase_if(running_, [](const RequestState* r) { return r->finished(); });
}

}  // namespace llmpo
