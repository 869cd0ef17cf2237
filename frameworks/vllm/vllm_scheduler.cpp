#include "vllm_scheduler.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

void require_positive(int64_t value, const char* name) {
  if (value <= 0) throw InternalError(fmt::format("vLLM scheduler: {} must be positive, got {}", name, value));
}

KvCacheLayout layout_with_block_size(const VllmSchedulerConfig& config) {
  KvCacheLayout layout = config.kv_layout;
  layout.block_size = config.block_size;
  return layout;
}

}  // namespace

VllmScheduler::VllmScheduler(const VllmSchedulerConfig& config)
    : config_(config), kv_(config.num_gpu_blocks, layout_with_block_size(config)) {
  require_positive(config.max_num_seqs, "max_num_seqs");
  require_positive(config.max_num_batched_tokens, "max_num_batched_tokens");
  require_positive(config.block_size, "block_size");
  require_positive(config.num_gpu_blocks, "num_gpu_blocks");
  require_positive(config.max_model_len, "max_model_len");
  // Reserved up front so steps never allocate; capped so an absurd max_num_seqs costs nothing.
  running_.reserve(static_cast<std::size_t>(std::min<int64_t>(config.max_num_seqs, 4096)));
  // The prefix cache is modelled for the plain paged cache: with sliding-window groups, blocks
  // leave a request as its window moves, which the pool does not follow (no hits, as without
  // prefix caching).
  if (config.enable_prefix_caching && config.kv_layout.sliding_groups == 0)
    pool_.emplace(config.num_gpu_blocks, config.block_size);
  if (config.num_speculative_tokens < 0 || config.lookahead_tokens < 0 ||
      (config.num_speculative_tokens > 0 && !config.acceptance))
    throw InternalError(fmt::format("vLLM scheduler: {} speculative tokens, {} lookahead, acceptance model {}",
                                    config.num_speculative_tokens, config.lookahead_tokens,
                                    config.acceptance ? "set" : "missing"));
}

void VllmScheduler::use_prompts(const PromptTree* prompts) {
  if (pool_) pool_->use_prompts(prompts);
}

void VllmScheduler::set_host_tier(PrefixCacheTier* tier) {
  if (pool_) pool_->set_host_tier(tier);
}

void VllmScheduler::own_host_tier(std::unique_ptr<PrefixCacheTier> tier) {
  owned_tier_ = std::move(tier);
  set_host_tier(owned_tier_.get());
}

void VllmScheduler::release(RequestState& r) {
  if (pool_) pool_->free(r, false);
  else kv_.free(r);
}

bool VllmScheduler::start_from_cache(RequestState& r, const PrefixMatch& hit, int64_t budget) {
  const int64_t rest = r.current_tokens() - hit.hit_tokens;
  // Without chunked prefill the rest must fit this step, or (longer than any step) start a step
  // of its own: the same conditions as the waiting loop's, checked before taking any block.
  if (!config_.enable_chunked_prefill && rest > budget &&
      (rest <= config_.max_num_batched_tokens || budget < config_.max_num_batched_tokens))
    return false;
  const int64_t first_chunk = std::min(rest, budget);
  if (pool_->blocks_to_allocate(hit, hit.hit_tokens + first_chunk) > pool_->free_blocks()) return false;
  pool_->acquire(r, hit);
  r.computed_tokens = static_cast<int32_t>(hit.hit_tokens);
  return true;
}

void VllmScheduler::record_lookup(RequestState& r, const PrefixMatch& hit, bool first_scheduling) {
  // scheduler.py records the lookup once the request is admitted (not on failed attempts), with
  // the request's num_tokens; kv_cache_manager.py counts a preempted request's lookups apart.
  if (r.preemptions > 0) {
    preempted_query_tokens_ += r.current_tokens();
    preempted_hit_tokens_ += hit.hit_tokens;
  } else {
    prefix_query_tokens_ += r.current_tokens();
    prefix_hit_tokens_ += hit.hit_tokens;
  }
  // request.num_cached_tokens is set at the first scheduling only.
  if (first_scheduling) {
    r.cached_prompt_tokens = static_cast<int32_t>(hit.hit_tokens);
    r.host_loaded_tokens = static_cast<int32_t>(hit.host_blocks * pool_->block_size_tokens());
  }
}

bool VllmScheduler::admit(RequestState& r, SimTime /*now*/) {
  if (r.request.prompt_tokens < 1 || r.request.output_tokens < 1)
    throw InternalError(fmt::format("vLLM scheduler: request {} has {} prompt and {} output tokens (both must be >= 1)",
                                    r.request.id, r.request.prompt_tokens, r.request.output_tokens));
  if (r.total_tokens() > config_.max_model_len) {
    r.reject_reason = RejectReason::exceeds_max_model_len;
    return false;
  }
  // Fewest blocks the request can hold at its end (sliding groups only their window).
  if (kv_.blocks_held(r.total_tokens() - 1, r.total_tokens()) > kv_.total_blocks()) {
    r.reject_reason = RejectReason::exceeds_kv_capacity;
    return false;
  }
  if (!config_.enable_chunked_prefill && r.request.prompt_tokens > config_.max_num_batched_tokens) {
    r.reject_reason = RejectReason::exceeds_token_budget;
    return false;
  }
  waiting_.push_back(&r);
  return true;
}

void VllmScheduler::schedule(RequestState& r, int64_t num_new_tokens, StepPlan& plan, int64_t draft_tokens) {
  const auto new_tokens = static_cast<int32_t>(num_new_tokens);
  r.in_flight = true;
  plan.sequences.push_back({&r, r.computed_tokens, new_tokens, static_cast<int32_t>(draft_tokens)});
  if (new_tokens == 1) plan.shape.add_decode(r.computed_tokens);  // the common case, inlined
  else if (draft_tokens > 0) plan.shape.add_verification(r.computed_tokens, draft_tokens);
  else plan.shape.add_sequence(r.computed_tokens, new_tokens);
}

void VllmScheduler::schedule_decode(RequestState& r, StepPlan& plan, DecodeSums& decodes) {
  r.in_flight = true;
  plan.sequences.push_back({&r, r.computed_tokens, 1, 0});
  decodes.add(r.computed_tokens);
}

void VllmScheduler::preempt(RequestState& r) {
  // Recompute preemption (vLLM V1 has no swapping): the KV is dropped, and the prompt plus the
  // tokens generated so far will be prefilled again. generated_tokens keeps its value, so the
  // output continues where it stopped.
  if (pool_) pool_->free(r, true);
  else kv_.free(r);
  r.computed_tokens = 0;
  r.preemptions += 1;
  ++preemptions_;
  waiting_.push_front(&r);
}

template <bool kSpeculative>
void VllmScheduler::schedule_running(StepPlan& plan, int64_t& budget) {
  DecodeSums decodes(config_.window_tokens);
  std::size_t index = 0;
  while (index < running_.size() && budget > 0) {
    RequestState& r = *running_[index];
    // In a micro-batch still in the pipeline (pipeline parallelism): its next token is not known.
    if (r.in_flight) {
      ++index;
      continue;
    }
    // Without chunked prefill a running request is a decode, except a resumed request whose
    // recompute is longer than a whole step (see the waiting loop), which goes on in chunks.
    const int64_t drafts = kSpeculative ? drafts_for(r, budget) : 0;
    const int64_t num_new = std::min<int64_t>(r.current_tokens() - r.computed_tokens, budget) + drafts;
    // A model-based drafter's KV runs ahead of the verified positions (allocate_slots'
    // num_lookahead_tokens), never past the request's last token.
    const int64_t kv_tokens =
        drafts > 0 ? std::min<int64_t>(r.computed_tokens + num_new + config_.lookahead_tokens, r.total_tokens())
                   : r.computed_tokens + num_new;
    bool allocated = false;
    while (true) {
      if (grow(r, kv_tokens, drafts > 0 ? r.current_tokens() : INT64_MAX)) {
        allocated = true;
        break;
      }
      // Out of blocks: preempt the most recently admitted running request that is not in a
      // micro-batch in flight. It sits at or after `index` (r itself at worst), so it has not
      // been scheduled in this step and no budget needs returning.
      std::size_t v = running_.size();
      while (v > index + 1 && running_[v - 1]->in_flight) --v;
      RequestState& victim = *running_[v - 1];
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(v - 1));
      preempt(victim);
      ++plan.preempted;
      if (&victim == &r) break;  // nothing left to preempt: r itself waits
    }
    if (!allocated) break;
    // One new token means no drafts: drafts_for gives some only to a request with exactly one
    // token to compute, which then schedules 1 + drafts. (Testing drafts == 0 too cost 1.8% of
    // the instructions of the 100k-request reference run.)
    if (num_new == 1) schedule_decode(r, plan, decodes);
    else schedule(r, num_new, plan, drafts);
    budget -= num_new;
    ++index;
  }
  plan.shape.add_decodes(decodes);
}

bool VllmScheduler::plan_step(SimTime now, StepPlan& plan, SimTime& wake_at_ns) {
  plan.clear(config_.window_tokens);
  wake_at_ns = kNeverNs;  // vLLM never waits for time to pass: it runs whenever it has work
  int64_t budget = config_.max_num_batched_tokens;

  // (a) Running requests, in admission order, while budget remains.
  if (config_.num_speculative_tokens > 0) schedule_running<true>(plan, budget);
  else schedule_running<false>(plan, budget);

  // (b) Waiting requests, FIFO, only if no request was preempted in this step (vLLM: a step that
  // had to preempt has no room to spare for newcomers). Those whose host-tier load finished come
  // first: they kept their place at the head of vLLM's waiting queue while loading.
  SimTime next_ready_ns = kNeverNs;
  if (plan.preempted == 0 && !loading_.empty()) run_loaded(now, budget, plan, next_ready_ns);
  if (plan.preempted == 0) {
    while (!waiting_.empty() && budget > 0 &&
           static_cast<int64_t>(running_.size()) < config_.max_num_seqs) {
      RequestState& r = *waiting_.front();
      // get_computed_blocks: the cached prefix it would start from (a waiting request holds no
      // block and has computed nothing).
      const bool remote = reads_remote_kv(r);
      const PrefixMatch hit = pool_ && !remote ? pool_->match(r) : PrefixMatch{};
      if (config_.reserve_full_isl) {
        // kv_cache_manager.py allocate_slots(full_sequence_must_fit=True): the blocks the whole
        // sequence needs beyond its hit blocks, sliding groups capped at their window
        // (apply_admission_cap), must be free. Hit blocks in the free queue count among those to
        // allocate, as vLLM counts evictable computed blocks; hit blocks in use cost nothing.
        const int64_t full_tokens = std::min<int64_t>(r.current_tokens(), config_.max_model_len);
        const int64_t needed = pool_ ? pool_->blocks_to_allocate(hit, full_tokens)
                                     : kv_.layout().admission_blocks(full_tokens) - r.allocated_blocks;
        if (needed > free_blocks()) break;
      }
      if (remote) {
        // Blocks for the whole prompt now; the read starts and the request waits for it,
        // taking no budget (vLLM: WAITING_FOR_REMOTE_KVS).
        if (!grow(r, r.request.prompt_tokens)) break;
        r.computed_tokens = r.request.prompt_tokens - 1;
        waiting_.pop_front();
        const SimTime ready_ns = remote_kv_->start_read(r, now);
        loading_.push_back({&r, ready_ns});
        next_ready_ns = std::min(next_ready_ns, ready_ns);
        continue;
      }
      if (hit.gpu_blocks + hit.host_blocks > 0 && !start_from_cache(r, hit, budget)) break;
      const SimTime load_ns = hit.host_blocks > 0 ? pool_->host_tier()->load(hit.host_blocks) : 0;
      if (load_ns > 0) {
        // GPU blocks for the loaded part are allocated now (start_from_cache checked that they
        // and the first chunk fit) and the copy starts; the request runs when it is done.
        if (!grow(r, r.computed_tokens)) throw InternalError("vLLM scheduler: host-tier blocks checked to fit do not");
        waiting_.pop_front();
        record_lookup(r, hit, r.first_scheduled_ns == kNeverNs);
        loading_.push_back({&r, now + load_ns});
        next_ready_ns = std::min(next_ready_ns, now + load_ns);
        continue;
      }
      int64_t num_new = r.current_tokens() - r.computed_tokens;
      if (!config_.enable_chunked_prefill && num_new > budget) {
        // vLLM stops here and waits for a step with room for the whole prefill. A resumed
        // request whose prompt + generated tokens exceed even a whole step's budget would then
        // never run; vLLM cannot reach this (it refuses to start when max_num_batched_tokens <
        // max_model_len without chunked prefill), so here such a recompute is chunked instead.
        const bool never_fits = num_new > config_.max_num_batched_tokens;
        if (!never_fits || budget < config_.max_num_batched_tokens) break;
      }
      num_new = std::min(num_new, budget);
      if (!grow(r, r.computed_tokens + num_new)) break;
      waiting_.pop_front();
      if (pool_) record_lookup(r, hit, r.first_scheduled_ns == kNeverNs);
      start_running(r, num_new, now, plan);
      budget -= num_new;
    }
  }
  // Nothing to run while loads are in flight: ask to be woken when the first one lands.
  if (plan.sequences.empty()) wake_at_ns = next_ready_ns;
  return !plan.sequences.empty();
}

void VllmScheduler::start_running(RequestState& r, int64_t num_new, SimTime now, StepPlan& plan) {
  running_.push_back(&r);
  if (r.first_scheduled_ns == kNeverNs) r.first_scheduled_ns = now;
  schedule(r, num_new, plan);
}

void VllmScheduler::run_loaded(SimTime now, int64_t& budget, StepPlan& plan, SimTime& next_ready_ns) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < loading_.size(); ++i) {
    const Loading entry = loading_[i];
    RequestState& r = *entry.request;
    const int64_t rest = r.current_tokens() - r.computed_tokens;
    const bool ready = entry.ready_ns <= now && budget > 0 &&
                       static_cast<int64_t>(running_.size()) < config_.max_num_seqs &&
                       (config_.enable_chunked_prefill || rest <= budget);
    const int64_t num_new = std::min(rest, budget);
    if (ready && grow(r, r.computed_tokens + num_new)) {
      start_running(r, num_new, now, plan);
      budget -= num_new;
      continue;
    }
    if (entry.ready_ns > now) next_ready_ns = std::min(next_ready_ns, entry.ready_ns);
    loading_[kept++] = entry;
  }
  loading_.resize(kept);
}

int64_t VllmScheduler::drafts_for(const RequestState& r, int64_t budget) const {
  const int64_t k = config_.num_speculative_tokens;
  // A decode: it has emitted, and only its last sampled token is not yet in the KV cache (the
  // step that finishes a prefill samples the first token, and the drafter proposes from it).
  if (k == 0 || r.generated_tokens < 1 || r.current_tokens() - r.computed_tokens != 1) return 0;
  // The caps, in scheduler.py's order: the step's token budget, then no position past
  // max_model_len - 1; and drafts past the request's last output token could never be emitted.
  int64_t drafts = std::min<int64_t>(k, budget - 1);
  drafts = std::min<int64_t>(drafts, config_.max_model_len - 1 - r.computed_tokens - 1);
  drafts = std::min<int64_t>(drafts, r.request.output_tokens - r.generated_tokens - 1);
  return std::max<int64_t>(drafts, 0);
}

void VllmScheduler::complete_verification(RequestState& r, const ScheduledSequence& seq, StepEvents& events) {
  // The rejection sampler keeps a prefix of the drafts and adds one token of its own; the
  // input token and the accepted drafts stay in the KV cache, the rejected positions are
  // rolled back (their blocks stay allocated, as in vLLM).
  const int32_t accepted = config_.acceptance->draw(r.request.id, r.generated_tokens, seq.draft_tokens);
  const int32_t tokens = std::min(accepted + 1, r.request.output_tokens - r.generated_tokens);
  r.computed_tokens += tokens;
  r.generated_tokens += tokens;
  r.spec_verifications += 1;
  r.spec_draft_tokens += seq.draft_tokens;
  r.spec_accepted_tokens += accepted;
  events.emit_chunk(&r, {tokens, seq.draft_tokens, accepted});
  if (r.finished()) {
    release(r);
    events.finished.push_back(&r);
  }
}

void VllmScheduler::complete_step(SimTime /*now*/, const StepPlan& plan, StepEvents& events) {
  events.clear();
  for (const ScheduledSequence& seq : plan.sequences) {
    RequestState& r = *seq.request;
    r.in_flight = false;
    if (seq.draft_tokens > 0) {
      complete_verification(r, seq, events);
      continue;
    }
    r.computed_tokens += seq.new_tokens;
    if (r.computed_tokens > r.current_tokens())
      throw InternalError(fmt::format("vLLM scheduler: request {} computed {} tokens but has only {}",
                                      r.request.id, r.computed_tokens, r.current_tokens()));
    // A step that reaches the end of the known tokens samples the next one: the last chunk of a
    // prefill (or recompute) and every decode. An earlier chunk's sample is thrown away.
    if (r.computed_tokens < r.current_tokens()) continue;
    r.generated_tokens += 1;
    events.emit(&r);
    if (r.finished()) {
      // Prefill role: the blocks stay until the decode side has read them.
      if (pd_role_ == PdRole::prefill) sending_.push_back(&r);
      else release(r);
      events.finished.push_back(&r);
    }
  }
  if (!events.finished.empty())
    std::erase_if(running_, [](const RequestState* r) { return r->finished(); });
}

bool VllmScheduler::set_pd_role(PdRole role, RemoteKvSource* source) {
  if (role == PdRole::decode && source == nullptr)
    throw InternalError("vLLM scheduler: the decode role needs a source of remote KV");
  pd_role_ = role;
  remote_kv_ = role == PdRole::decode ? source : nullptr;
  return true;
}

void VllmScheduler::release_sent_kv(RequestState& r) {
  const auto it = std::find(sending_.begin(), sending_.end(), &r);
  if (it == sending_.end())
    throw InternalError(fmt::format("vLLM scheduler: request {} is not holding blocks for a KV transfer", r.request.id));
  sending_.erase(it);
  release(r);
}

FrameworkStats VllmScheduler::stats() const {
  FrameworkStats s;
  s.running = static_cast<int64_t>(running_.size());
  s.waiting = static_cast<int64_t>(waiting_.size() + loading_.size());
  s.kv_used_blocks = used_blocks();
  s.kv_total_blocks = kv_.total_blocks();
  s.preemptions = preemptions_;
  s.prefix_query_tokens = prefix_query_tokens_;
  s.prefix_hit_tokens = prefix_hit_tokens_;
  s.prefix_preempted_query_tokens = preempted_query_tokens_;
  s.prefix_preempted_hit_tokens = preempted_hit_tokens_;
  return s;
}

void VllmScheduler::check_invariants() const {
  if (pool_) pool_->check_invariants();
  else kv_.check_invariants();
  if (static_cast<int64_t>(running_.size()) > config_.max_num_seqs)
    throw InternalError(fmt::format("vLLM scheduler: {} running requests exceed max_num_seqs {}",
                                    running_.size(), config_.max_num_seqs));
  // Every block in a table belongs to a running request (a request listed twice would count
  // twice); with prefix caching a shared block is in several tables (the pool audits that).
  int64_t held = 0;
  for (const RequestState* r : running_) {
    if (r->allocated_blocks <= 0 || r->finished() || r->computed_tokens > r->current_tokens() ||
        kv_.blocks_held(r->computed_tokens, r->computed_tokens) > r->allocated_blocks)
      throw InternalError(fmt::format(
          "vLLM scheduler: running request {} holds {} blocks for {} computed of {} tokens ({} generated of {})",
          r->request.id, r->allocated_blocks, r->computed_tokens, r->current_tokens(), r->generated_tokens,
          r->request.output_tokens));
    held += r->allocated_blocks;
  }
  for (const Loading& entry : loading_) {
    const RequestState* r = entry.request;
    if (r->allocated_blocks <= 0 || r->computed_tokens <= 0 || r->computed_tokens >= r->current_tokens())
      throw InternalError(fmt::format("vLLM scheduler: request {} loading from the host tier holds {} blocks for {} "
                                      "computed of {} tokens",
                                      r->request.id, r->allocated_blocks, r->computed_tokens, r->current_tokens()));
    held += r->allocated_blocks;
  }
  for (const RequestState* r : sending_) {
    if (r->allocated_blocks <= 0 || !r->finished())
      throw InternalError(fmt::format("vLLM scheduler: request {} held for its KV transfer holds {} blocks with {} of {} "
                                      "output tokens",
                                      r->request.id, r->allocated_blocks, r->generated_tokens, r->request.output_tokens));
    held += r->allocated_blocks;
  }
  const int64_t tables = pool_ ? pool_->table_blocks() : kv_.used_blocks();
  if (held != tables)
    throw InternalError(fmt::format("vLLM scheduler: running requests hold {} blocks, the cache counts {} held",
                                    held, tables));
  // Waiting requests hold nothing; checking the ends keeps this O(running), not O(queue).
  for (const RequestState* r : {waiting_.empty() ? nullptr : waiting_.front(),
                                waiting_.empty() ? nullptr : waiting_.back()}) {
    if (r != nullptr && (r->allocated_blocks != 0 || r->computed_tokens != 0))
      throw InternalError(fmt::format("vLLM scheduler: waiting request {} holds {} blocks and {} computed tokens",
                                      r->request.id, r->allocated_blocks, r->computed_tokens));
  }
}

}  // namespace llmpo
