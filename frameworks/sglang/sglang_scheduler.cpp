#include "sglang_scheduler.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

void require_positive(int64_t value, const char* name) {
  if (value <= 0) throw InternalError(fmt::format("SGLang scheduler: {} must be positive, got {}", name, value));
}

// Output tokens a request may still generate, clipped as the scheduler's estimate is.
int64_t clipped_remaining_output(const RequestState& r) {
  return std::min<int64_t>(std::max(r.request.output_tokens - r.generated_tokens, 0), SglangConstants::kClipMaxNewTokens);
}

}  // namespace

SglangScheduler::SglangScheduler(const SglangSchedulerConfig& config) : config_(config) {
  require_positive(config.max_total_tokens, "max_total_tokens");
  require_positive(config.max_model_len, "max_model_len");
  require_positive(config.max_running_requests, "max_running_requests");
  require_positive(config.max_prefill_tokens, "max_prefill_tokens");
  if (!(config.schedule_conservativeness > 0))
    throw InternalError(fmt::format("SGLang scheduler: schedule_conservativeness must be positive, got {}",
                                    config.schedule_conservativeness));
  // Scheduler.__init__ (init_new_token_ratio): the decode-token reservation ratio and its decay.
  new_token_ratio_ = std::min(SglangConstants::kInitNewTokenRatio * config.schedule_conservativeness, 1.0);
  min_new_token_ratio_ = std::min(new_token_ratio_ * SglangConstants::kMinNewTokenRatioFactor, 1.0);
  new_token_ratio_decay_ = (new_token_ratio_ - min_new_token_ratio_) / SglangConstants::kNewTokenRatioDecaySteps;
  running_.reserve(static_cast<std::size_t>(std::min<int64_t>(config.max_running_requests, 4096)));
}

void SglangScheduler::use_prompts(const PromptTree* prompts) {
  prompts_ = prompts;
  radix_.use_prompts(prompts);
}

SglangScheduler::Sequence& SglangScheduler::sequence(const RequestState& r) {
  const auto it = sequences_.find(r.request.id);
  if (it == sequences_.end()) throw InternalError(fmt::format("SGLang scheduler: request {} is not admitted", r.request.id));
  return it->second;
}

bool SglangScheduler::admit(RequestState& r, SimTime /*now*/) {
  if (r.request.prompt_tokens < 1 || r.request.output_tokens < 1)
    throw InternalError(fmt::format("SGLang scheduler: request {} has {} prompt and {} output tokens (both must be >= 1)",
                                    r.request.id, r.request.prompt_tokens, r.request.output_tokens));
  if (r.total_tokens() > config_.max_model_len) {
    r.reject_reason = RejectReason::exceeds_max_model_len;
    return false;
  }
  // Admission needs prompt + reserved output + one page below the free pool: a request whose
  // whole sequence and that page exceed the pool could never be admitted.
  if (static_cast<int64_t>(r.total_tokens()) + 1 >= config_.max_total_tokens) {
    r.reject_reason = RejectReason::exceeds_kv_capacity;
    return false;
  }
  Sequence& s = sequences_[r.request.id];
  content_segments(prompts_, r.request.content_node, r.request.id, r.total_tokens(), s.path);
  waiting_.push_back(&r);
  return true;
}

void SglangScheduler::lock_prefix(RequestState& r, Sequence& s) {
  s.locked_node = RadixCache::kRoot;
  s.cached_tokens = 0;
  if (!config_.disable_radix_cache) {
    // At least one token is computed, for its logits (Req.init_next_round_input).
    const RadixCache::Match m = radix_.match_prefix(s.path, r.current_tokens() - 1);
    radix_.inc_lock_ref(m.node);
    s.locked_node = m.node;
    s.cached_tokens = m.tokens;
  }
  r.computed_tokens = static_cast<int32_t>(s.cached_tokens);
}

void SglangScheduler::unlock(Sequence& s) {
  radix_.dec_lock_ref(s.locked_node);
  s.locked_node = RadixCache::kRoot;
  s.cached_tokens = 0;
}

int64_t SglangScheduler::evict_for(int64_t tokens) {
  // alloc_token_slots / evict_from_tree_cache: when the free slots do not suffice, evict
  // `tokens` (not just the shortfall) from the cache.
  if (free_tokens() < tokens) radix_.evict(tokens);
  return free_tokens();
}

void SglangScheduler::allocate(Sequence& s, int64_t tokens) {
  if (evict_for(tokens) < tokens)
    throw InternalError(fmt::format("SGLang scheduler: {} KV slots needed, {} free and {} evictable", tokens,
                                    free_tokens(), radix_.evictable_tokens()));
  s.own_tokens += tokens;
  own_tokens_ += tokens;
}

void SglangScheduler::schedule(RequestState& r, int64_t new_tokens, StepPlan& plan) {
  r.in_flight = true;
  plan.sequences.push_back({&r, r.computed_tokens, static_cast<int32_t>(new_tokens)});
  if (new_tokens == 1)
    plan.shape.add_decode(r.computed_tokens);
  else
    plan.shape.add_sequence(r.computed_tokens, static_cast<int32_t>(new_tokens));
}

void SglangScheduler::order_waiting_queue() {
  // SchedulePolicy.calc_priority: lpm sorts by the cached prefix, longest first (a stable sort,
  // as Python's); it turns into fcfs above 128 waiting requests and without the radix cache.
  if (config_.policy != SglangPolicy::lpm || config_.disable_radix_cache ||
      waiting_.size() > SglangConstants::kLpmMaxQueue)
    return;
  std::vector<std::pair<int64_t, RequestState*>> keyed;
  keyed.reserve(waiting_.size());
  for (RequestState* r : waiting_)
    keyed.emplace_back(radix_.match_prefix(sequence(*r).path, r->current_tokens() - 1).tokens, r);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; i < keyed.size(); ++i) waiting_[i] = keyed[i].second;
}

bool SglangScheduler::plan_prefill(SimTime now, StepPlan& plan) {
  // get_new_batch_prefill.
  if (waiting_.empty() && chunked_ == nullptr) return false;
  const auto running_bs = static_cast<int64_t>(running_.size());
  if (running_bs >= config_.max_running_requests && chunked_ == nullptr) return false;
  order_waiting_queue();

  // PrefillAdder: the running requests' future decode tokens, at new_token_ratio, are spoken for.
  double reserved = 0;
  for (const RequestState* r : running_) reserved += static_cast<double>(clipped_remaining_output(*r)) * new_token_ratio_;
  auto rem_total_tokens = [&] {
    return static_cast<double>(free_tokens() + radix_.evictable_tokens()) - reserved;
  };
  const bool chunking = config_.chunked_prefill_size > 0;
  int64_t rem_input = config_.max_prefill_tokens;
  int64_t rem_chunk = chunking ? config_.chunked_prefill_size : INT64_MAX;
  int64_t admitted = 0;

  if (chunked_ != nullptr) {
    // add_chunked_req: the next chunk, as large as the chunk budget and the free memory allow.
    RequestState& r = *chunked_;
    const auto room = std::min(rem_chunk, static_cast<int64_t>(std::floor(rem_total_tokens())));
    if (room > 0) {
      const int64_t rest = r.current_tokens() - r.computed_tokens;
      const bool truncated = rest > room;
      const int64_t n = std::min(rest, room);
      allocate(sequence(r), n);
      schedule(r, n, plan);
      reserved += static_cast<double>(n + (truncated ? 0 : clipped_remaining_output(r)) + 1);
      rem_input -= n;
      rem_chunk -= n;
      if (!truncated) {
        chunked_ = nullptr;
        running_.push_back(&r);
      }
      ++admitted;
    }
  }

  // Requests are taken in queue order and the first one not admitted ends the pass, so the
  // admitted ones are a prefix of the queue.
  std::size_t taken = 0;
  for (; taken < waiting_.size(); ++taken) {
    if (running_bs + admitted >= config_.max_running_requests) break;
    RequestState& r = *waiting_[taken];
    Sequence& s = sequence(r);
    lock_prefix(r, s);
    const int64_t extend = r.current_tokens() - s.cached_tokens;
    const int64_t output_reserve = clipped_remaining_output(r);
    const int64_t total = extend + output_reserve + 1;  // + one page of alignment slack
    // add_one_req: first against the budget with the prefix still evictable, then locked.
    radix_.dec_lock_ref(s.locked_node);
    bool admit_this = false;
    const bool fits_unlocked = static_cast<double>(total) < rem_total_tokens();
    // Without chunking only the first request of a step may exceed max_prefill_tokens.
    const bool within_input = chunking || admitted == 0 || extend < rem_input;
    if (fits_unlocked && within_input) {
      radix_.inc_lock_ref(s.locked_node);
      if (static_cast<double>(total) > rem_total_tokens()) {
        // The locked prefix no longer counts as evictable: no room after all.
      } else if (extend <= rem_chunk) {
        allocate(s, extend);
        schedule(r, extend, plan);
        reserved += static_cast<double>(extend + output_reserve + 1);
        rem_input -= extend;
        rem_chunk -= extend;
        running_.push_back(&r);
        admit_this = true;
      } else if (rem_chunk > 0 && chunked_ == nullptr) {
        // Chunked prefill: the first rem_chunk tokens now, the rest in later prefill steps.
        allocate(s, rem_chunk);
        schedule(r, rem_chunk, plan);
        reserved += static_cast<double>(rem_chunk + 1);
        rem_input -= rem_chunk;
        rem_chunk = 0;
        chunked_ = &r;
        admit_this = true;
      }
      if (!admit_this) radix_.dec_lock_ref(s.locked_node);
    }
    if (!admit_this) {
      s.locked_node = RadixCache::kRoot;
      s.cached_tokens = 0;
      r.computed_tokens = 0;
      break;
    }
    ++admitted;
    if (r.first_scheduled_ns == kNeverNs) {
      r.first_scheduled_ns = now;
      r.cached_prompt_tokens = std::min(r.computed_tokens, r.request.prompt_tokens);
    }
    // budget_state: stop when memory, the step's prompt budget or the chunk budget is spent.
    if (rem_total_tokens() <= 0 || rem_input <= 0 || (chunking && rem_chunk <= 0)) {
      ++taken;
      break;
    }
  }
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(taken));
  return !plan.sequences.empty();
}

void SglangScheduler::retract_decode() {
  // ScheduleBatch.retract_decode: sorted by (output tokens, -prompt tokens) descending and
  // popped from the end, until 20 decode steps of those left fit (at least one is retracted).
  std::vector<RequestState*> order = running_;
  std::stable_sort(order.begin(), order.end(), [](const RequestState* a, const RequestState* b) {
    if (a->generated_tokens != b->generated_tokens) return a->generated_tokens > b->generated_tokens;
    return a->request.prompt_tokens < b->request.prompt_tokens;
  });
  auto room_for = [&](std::size_t requests) {
    const int64_t need = static_cast<int64_t>(requests) * SglangConstants::kRetractDecodeSteps;
    return evict_for(need) >= need;
  };
  bool first = true;
  while (first || !room_for(order.size())) {
    // The last request is kept unless not even its one next token fits.
    if (order.size() == 1 && evict_for(1) >= 1) break;
    if (order.empty()) break;
    first = false;
    RequestState& r = *order.back();
    order.pop_back();
    Sequence& s = sequence(r);
    own_tokens_ -= s.own_tokens;
    s.own_tokens = 0;
    unlock(s);  // its cached prefix stays in the tree, evictable
    r.computed_tokens = 0;
    r.preemptions += 1;
    ++retractions_;
    waiting_.push_back(&r);
  }
  std::erase_if(running_, [&](const RequestState* r) { return std::find(order.begin(), order.end(), r) == order.end(); });
  // The ratio SGLang resets new_token_ratio to: what the remaining requests have decoded plus
  // 20 steps each, over their max_new_tokens.
  int64_t decoded = 0, max_new = 0;
  for (const RequestState* r : running_) {
    decoded += r->generated_tokens;
    max_new += r->request.output_tokens;
  }
  const double estimate =
      max_new > 0 ? static_cast<double>(decoded + SglangConstants::kRetractDecodeSteps * static_cast<int64_t>(running_.size())) /
                        static_cast<double>(max_new)
                  : 1.0;
  new_token_ratio_ = std::min(1.0, estimate);
}

bool SglangScheduler::plan_decode(StepPlan& plan) {
  // update_running_batch: one slot per request (check_decode_mem), retracting when they lack.
  if (running_.empty()) return false;
  const std::size_t before = running_.size();
  if (evict_for(static_cast<int64_t>(running_.size())) < static_cast<int64_t>(running_.size())) {
    retract_decode();
    plan.preempted = static_cast<int32_t>(before - running_.size());
  } else {
    new_token_ratio_ = std::max(new_token_ratio_ - new_token_ratio_decay_, min_new_token_ratio_);
  }
  for (RequestState* r : running_) {
    allocate(sequence(*r), 1);
    schedule(*r, 1, plan);
  }
  return !plan.sequences.empty();
}

bool SglangScheduler::plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) {
  plan.clear(config_.window_tokens);
  wake_at_ns = kNeverNs;
  // get_next_batch_to_run: a prefill batch when one can be formed, else a decode step.
  last_was_prefill_ = plan_prefill(now, plan);
  if (last_was_prefill_) return true;
  if (plan_decode(plan)) return true;
  // Every running request was retracted (not even one decode slot was left): their memory is
  // free now, so the next loop iteration prefills.
  last_was_prefill_ = plan_prefill(now, plan);
  return last_was_prefill_;
}

void SglangScheduler::cache_computed(RequestState& r, Sequence& s) {
  if (config_.disable_radix_cache) return;
  // The computed tokens become the cache's: the request's own slots either enter the tree or,
  // where another request cached the same tokens meanwhile, are freed as duplicates.
  const RadixCache::Inserted inserted = radix_.insert(s.path, r.computed_tokens);
  radix_.inc_lock_ref(inserted.node);
  radix_.dec_lock_ref(s.locked_node);
  s.locked_node = inserted.node;
  s.cached_tokens = r.computed_tokens;
  own_tokens_ -= s.own_tokens;
  s.own_tokens = 0;
}

void SglangScheduler::release_finished(RequestState& r) {
  Sequence& s = sequence(r);
  if (!config_.disable_radix_cache) radix_.insert(s.path, r.computed_tokens);
  own_tokens_ -= s.own_tokens;
  radix_.dec_lock_ref(s.locked_node);
  sequences_.erase(r.request.id);
}

void SglangScheduler::complete_step(SimTime /*now*/, const StepPlan& plan, StepEvents& events) {
  events.clear();
  for (const ScheduledSequence& seq : plan.sequences) {
    RequestState& r = *seq.request;
    r.in_flight = false;
    r.computed_tokens += seq.new_tokens;
    if (r.computed_tokens > r.current_tokens())
      throw InternalError(fmt::format("SGLang scheduler: request {} computed {} tokens but has only {}", r.request.id,
                                      r.computed_tokens, r.current_tokens()));
    if (r.computed_tokens < r.current_tokens()) {  // a prefill chunk: cached, no token sampled
      cache_computed(r, sequence(r));
      continue;
    }
    r.generated_tokens += 1;
    events.emitted.push_back(&r);
    if (r.finished()) {
      release_finished(r);
      events.finished.push_back(&r);
    } else if (last_was_prefill_) {
      cache_computed(r, sequence(r));
    }
  }
  if (!events.finished.empty()) std::erase_if(running_, [](const RequestState* r) { return r->finished(); });
}

FrameworkStats SglangScheduler::stats() const {
  FrameworkStats s;
  s.running = static_cast<int64_t>(running_.size()) + (chunked_ != nullptr ? 1 : 0);
  s.waiting = static_cast<int64_t>(waiting_.size());
  s.kv_total_blocks = config_.max_total_tokens;
  s.kv_used_blocks = config_.max_total_tokens - free_tokens() - radix_.evictable_tokens();
  s.preemptions = retractions_;
  return s;
}

void SglangScheduler::check_invariants() const {
  radix_.check_invariants();
  if (free_tokens() < 0)
    throw InternalError(fmt::format("SGLang scheduler: {} slots cached and {} owned exceed the pool of {}",
                                    radix_.total_tokens(), own_tokens_, config_.max_total_tokens));
  if (static_cast<int64_t>(running_.size()) > config_.max_running_requests)
    throw InternalError(fmt::format("SGLang scheduler: {} running requests exceed max_running_requests {}",
                                    running_.size(), config_.max_running_requests));
  const std::size_t listed = running_.size() + waiting_.size() + (chunked_ != nullptr ? 1 : 0);
  if (listed != sequences_.size())
    throw InternalError(fmt::format("SGLang scheduler: {} requests listed, {} tracked", listed, sequences_.size()));
  int64_t owned = 0;
  for (const auto& [id, s] : sequences_) {
    owned += s.own_tokens;
    if (s.own_tokens < 0 || s.cached_tokens < 0 || (s.locked_node != RadixCache::kRoot && radix_.lock_ref(s.locked_node) <= 0))
      throw InternalError(fmt::format("SGLang scheduler: request {} owns {} slots, caches {} at node {}", id,
                                      s.own_tokens, s.cached_tokens, s.locked_node));
  }
  if (owned != own_tokens_)
    throw InternalError(fmt::format("SGLang scheduler: requests own {} slots, the count says {}", owned, own_tokens_));
  for (const RequestState* r : running_) {
    const auto it = sequences_.find(r->request.id);
    if (it == sequences_.end() || (!r->in_flight && it->second.cached_tokens + it->second.own_tokens != r->computed_tokens))
      throw InternalError(fmt::format("SGLang scheduler: running request {} computed {} tokens", r->request.id,
                                      r->computed_tokens));
  }
}

}  // namespace llmpo
