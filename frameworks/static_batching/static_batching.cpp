#include "static_batching.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

StaticBatching::StaticBatching(const StaticBatchingConfig& config)
    : config_(config), kv_(config.num_gpu_blocks, config.block_size) {
  if (config.batch_size <= 0 || config.block_size <= 0 || config.num_gpu_blocks <= 0 ||
      config.max_model_len <= 0 || config.batch_timeout_ns < 0)
    throw InternalError(fmt::format(
        "static batching: batch_size {}, block_size {}, num_gpu_blocks {}, max_model_len {} must be positive "
        "and batch timeout {} ns not negative",
        config.batch_size, config.block_size, config.num_gpu_blocks, config.max_model_len,
        config.batch_timeout_ns));
  // Reserved up front so batches never allocate; capped so an absurd batch_size costs nothing.
  batch_.reserve(static_cast<std::size_t>(std::min<int64_t>(config.batch_size, 4096)));
}

bool StaticBatching::admit(RequestState& r, SimTime /*now*/) {
  if (r.request.prompt_tokens < 1 || r.request.output_tokens < 1)
    throw InternalError(fmt::format("static batching: request {} has {} prompt and {} output tokens (both must be >= 1)",
                                    r.request.id, r.request.prompt_tokens, r.request.output_tokens));
  if (r.total_tokens() > config_.max_model_len) {
    r.reject_reason = RejectReason::exceeds_max_model_len;
    return false;
  }
  if (kv_.blocks_for_tokens(r.total_tokens()) > kv_.total_blocks()) {
    r.reject_reason = RejectReason::exceeds_batch_capacity;
    return false;
  }
  waiting_.push_back(&r);
  return true;
}

bool StaticBatching::form_batch(SimTime now, SimTime& wake_at_ns) {
  if (waiting_.empty()) return false;
  const bool full = static_cast<int64_t>(waiting_.size()) >= config_.batch_size;
  if (!full) {
    // The oldest waiting request is at the front; its timeout runs from its arrival.
    const SimTime deadline_ns = waiting_.front()->request.arrival_ns + config_.batch_timeout_ns;
    if (now < deadline_ns) {
      wake_at_ns = deadline_ns;
      return false;
    }
  }
  // Take members in FIFO order while their full reservations fit; the first always fits (the
  // cache is empty between batches and admit() refused anything larger than it).
  while (!waiting_.empty() && static_cast<int64_t>(batch_.size()) < config_.batch_size) {
    RequestState& r = *waiting_.front();
    if (!kv_.grow_to_cover(r, r.total_tokens())) break;
    waiting_.pop_front();
    if (r.first_scheduled_ns == kNeverNs) r.first_scheduled_ns = now;
    batch_.push_back(&r);
  }
  if (batch_.empty())
    throw InternalError(fmt::format("static batching: request {} does not fit an empty cache of {} blocks",
                                    waiting_.front()->request.id, kv_.total_blocks()));
  live_members_ = static_cast<int64_t>(batch_.size());
  decode_steps_done_ = 0;
  prefilled_ = false;
  return true;
}

bool StaticBatching::plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) {
  plan.clear(config_.window_tokens);
  wake_at_ns = kNeverNs;
  if (batch_.empty() && !form_batch(now, wake_at_ns)) return false;
  for (RequestState* r : batch_) {
    if (!prefilled_) {
      // One prefill of every prompt (unpadded: the cost model sees each prompt's own length).
      plan.sequences.push_back({r, 0, r->request.prompt_tokens});
      plan.shape.add_sequence(0, r->request.prompt_tokens);
    } else {
      // Every row decodes one token, finished rows included; a row's position keeps advancing.
      const int32_t cached = r->request.prompt_tokens + decode_steps_done_;
      plan.sequences.push_back({r, cached, 1});
      plan.shape.add_sequence(cached, 1);
    }
  }
  return true;
}

void StaticBatching::complete_step(SimTime /*now*/, const StepPlan& plan, StepEvents& events) {
  events.clear();
  for (const ScheduledSequence& seq : plan.sequences) {
    RequestState& r = *seq.request;
    if (r.finished()) continue;  // a padded row: computed, but nothing comes out of it
    r.computed_tokens += seq.new_tokens;
    r.generated_tokens += 1;
    events.emitted.push_back(&r);
    if (r.finished()) {
      events.finished.push_back(&r);
      --live_members_;
    }
  }
  if (prefilled_) ++decode_steps_done_;
  prefilled_ = true;
  if (live_members_ == 0) {
    for (RequestState* r : batch_) kv_.free(*r);
    batch_.clear();
  }
}

FrameworkStats StaticBatching::stats() const {
  FrameworkStats s;
  s.running = static_cast<int64_t>(batch_.size());
  s.waiting = static_cast<int64_t>(waiting_.size());
  s.kv_used_blocks = kv_.used_blocks();
  s.kv_total_blocks = kv_.total_blocks();
  s.preemptions = 0;  // a reservation is never taken back
  return s;
}

void StaticBatching::check_invariants() const {
  kv_.check_invariants();
  if (static_cast<int64_t>(batch_.size()) > config_.batch_size)
    throw InternalError(fmt::format("static batching: {} members exceed batch_size {}", batch_.size(), config_.batch_size));
  int64_t held = 0;
  int64_t live = 0;
  for (const RequestState* r : batch_) {
    if (r->allocated_blocks != kv_.blocks_for_tokens(r->total_tokens()))
      throw InternalError(fmt::format("static batching: member {} holds {} blocks, its reservation is {}",
                                      r->request.id, r->allocated_blocks, kv_.blocks_for_tokens(r->total_tokens())));
    held += r->allocated_blocks;
    if (!r->finished()) ++live;
  }
  if (held != kv_.used_blocks() || live != live_members_)
    throw InternalError(fmt::format("static batching: members hold {} blocks (cache: {} used), {} live (counted {})",
                                    held, kv_.used_blocks(), live, live_members_));
  for (const RequestState* r : {waiting_.empty() ? nullptr : waiting_.front(),
                                waiting_.empty() ? nullptr : waiting_.back()}) {
    if (r != nullptr && r->allocated_blocks != 0)
      throw InternalError(fmt::format("static batching: waiting request {} holds {} blocks", r->request.id,
                                      r->allocated_blocks));
  }
}

}  // namespace llmpo
