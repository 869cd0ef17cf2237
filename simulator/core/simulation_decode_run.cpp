// Simulation's bulk decoding (DecodeRun in frameworks/framework.hpp): a stretch of decode steps
// of an unchanged batch advanced at once, with everything stepping one by one would record.
#include <algorithm>

#include "gap_runs.hpp"
#include "simulation.hpp"

namespace llmpo {

bool Simulation::may_straddle_next_event(std::size_t k) const {
  // The next event is an arrival, and nothing but arrivals can be queued: one replica (no other
  // replica's steps, no router reading this one's state mid-step), no disaggregation (no KV
  // transfers), no pipeline (no micro-batch in flight), no wake or schedule of its own pending.
  // Then an arrival during a step only joins the waiting queue (or, with async scheduling, the
  // arrivals held back until the next step is planned), exactly as it would while stepping.
  return !queue_.empty() && queue_.top().phase == EventPhase::arrival && frameworks_.size() == 1 &&
         !options_.pd && replicas_[k].pipeline_depth == 1 && pending_wake_ns_[k] == kNeverNs &&
         !schedule_pending_[k];
}

bool Simulation::try_decode_run(int32_t replica, SimTime now, PendingStep pending) {
  const auto k = static_cast<std::size_t>(replica);
  if (!options_.bulk_decode) return false;
  const bool after_step = pending.plan != nullptr;
  // Nothing else may happen until the last advanced step ends: stop before the next event, or,
  // when it is an arrival that cannot change the batch before the step it falls in has ended,
  // include that step (a straddled step). When the room left holds fewer than two steps of
  // the last length (one with a straddling step), do not even look (a pure speed heuristic: both
  // paths give the same results).
  const SimTime deadline = queue_.empty() ? kNeverNs : queue_.top().time_ns;
  const bool may_straddle = may_straddle_next_event(k);
  if (deadline <= now || (deadline != kNeverNs && deadline - now < (may_straddle ? 1 : 2) * last_step_ns_[k]))
    return false;
  // (A prefill replica's steps end in hand-offs, never in a run.)
  if (after_step ? is_prefill(k) || !frameworks_[k]->prepare_decode_run_after(*pending.plan, decode_run_)
                 : !frameworks_[k]->prepare_decode_run(decode_run_))
    return false;
  const DecodeRun& run = decode_run_;
  if (run.blocks_after_first > run.total_blocks) return false;

  // How many steps fit: each ends before the deadline (but a straddling step), and the step after
  // each (but the last) gets its KV blocks (else it preempts, which the ordinary path handles).
  const double batch = static_cast<double>(run.batch);
  StepShape shape = run.first_shape;
  std::vector<DecodeStepEnd>& ends = decode_ends_;  // blocks_after: in use once the next step is allocated
  ends.clear();
  SimTime t = now;
  int64_t blocks = run.blocks_after_first;
  // With async scheduling an arrival held back during the straddling step misses the step
  // planned at its end too: that one is a decode of the same batch, and may join the run.
  int64_t straddled_steps = 0;
  const int64_t most_straddled = replicas_[k].async_scheduling ? 2 : 1;
  std::size_t phase = 0;  // block_pattern's entry for the step after the one being added
  const StepCost& cost = *replicas_[k].cost;
  cost.start_decode_run(shape);
  while (static_cast<int64_t>(ends.size()) < run.max_steps) {
    const SimTime duration = cost.decode_run_step_ns(shape);
    const auto done = static_cast<int64_t>(ends.size()) + 1;
    if (t + duration >= deadline) {
      // A step ending exactly at the arrival, or one in which requests finish (the run's last
      // allowed step may be), would let the arrival see a state the run has already moved past.
      const bool straddles = may_straddle && done < run.max_steps &&
                             (straddled_steps == 0 ? t + duration > deadline
                                                   : straddled_steps < most_straddled && no_arrival_at(t));
      if (!straddles) break;
      ++straddled_steps;
    }
    t += duration;
    if (done < run.max_steps) {
      blocks += run.block_pattern[phase];
      if (++phase == run.block_pattern.size()) phase = 0;  // stepped, not divided: this loop is per step
    }
    ends.push_back({t, duration, blocks});
    if (blocks > run.total_blocks) break;  // step done + 1 must be planned the ordinary way
    shape.decode.kv_tokens += batch;
    shape.decode.pairs_full += batch;
    shape.decode.pairs_causal += batch;
  }
  const auto steps = static_cast<int64_t>(ends.size());
  if (steps - straddled_steps < 1 || steps < 2) return false;
  last_step_ns_[k] = ends.back().duration_ns;

  // Everything the step-by-step path would have recorded at each step end.
  double others_running = 0, others_waiting = 0;
  std::vector<double>& kv_fractions = replica_kv_fractions_;  // per replica; k's is set per step
  kv_fractions.assign(frameworks_.size(), 0.0);
  for (std::size_t i = 0; i < frameworks_.size(); ++i) {
    if (i == k) continue;
    const FrameworkStats s = frameworks_[i]->stats();
    others_running += static_cast<double>(s.running);
    others_waiting += static_cast<double>(s.waiting) + static_cast<double>(deferred_arrivals_[i].size());
    if (s.kv_total_blocks > 0) kv_fractions[i] = static_cast<double>(s.kv_used_blocks) / static_cast<double>(s.kv_total_blocks);
  }
  const double replicas = static_cast<double>(frameworks_.size());
  const double total_blocks = static_cast<double>(run.total_blocks);
  auto record_state = [&](SimTime at, int64_t blocks_in_use) {
    result_.peak_kv_blocks = std::max(result_.peak_kv_blocks, blocks_in_use);
    // Summed in replica order, as observe() does: the same rounding, bit for bit.
    kv_fractions[k] = static_cast<double>(blocks_in_use) / total_blocks;
    double kv = 0;
    for (const double fraction : kv_fractions) kv += fraction;
    kv /= replicas;
    observed_in_system_ = in_system_;
    observed_kv_utilization_ = kv;
    timeseries_.set_state(at, others_running + batch, others_waiting, kv);
  };
  if (after_step) {
    // What the event loop would have recorded: the state after the step was planned (the
    // planning event's observe), then at the step's end its step_end: one token from each of
    // its requests, none finishing.
    observe(pending.start_ns);
    integrate_until(now);
    last_event_ns_ = now;
    ++result_.events;
    ++result_.steps;
    timeseries_.add_tokens(now, run.batch);
  }
  record_state(now, run.blocks_after_first);

  // The first gaps depend on when each request last emitted (after a pending step: its gaps,
  // and its prefills' first tokens); the run's steps' gaps are the steps.
  if (after_step) frameworks_[k]->apply_decode_run_after(*pending.plan, steps, decode_running_);
  else frameworks_[k]->apply_decode_run(steps, decode_running_);
  const SimTime first_end_ns = after_step ? now : ends.front().end_ns;
  const SimTime end_ns = ends.back().end_ns;
  int64_t measured_count = 0;
  GapRuns first_gaps(result_.itl_ms);  // the first step's gaps differ by when each last emitted
  // One walk over the batch: gaps, last tokens, and who finished (they complete after the steps
  // are recorded, in batch order).
  decode_finished_.clear();
  for (RequestState* r : decode_running_) {
    const bool first_token = after_step && r->first_token_ns == kNeverNs;
    if (first_token) r->first_token_ns = now;
    if (measured(*r)) {
      ++measured_count;
      if (!first_token) first_gaps.add(first_end_ns - r->last_token_ns);
    }
    // Every gap one by one, measured or not, as stepping keeps them.
    if (options_.record_itl_samples) {
      if (after_step && !first_token) result_.itl.push_back({r->request.id, now - r->last_token_ns});
      SimTime previous = after_step ? now : r->last_token_ns;
      for (const DecodeStepEnd& e : ends) {
        result_.itl.push_back({r->request.id, e.end_ns - previous});
        previous = e.end_ns;
      }
    }
    r->last_token_ns = end_ns;
    if (r->finished()) decode_finished_.push_back(r);
  }
  if (after_step && measured_count > 0) record_measured_tokens(now, measured_count);
  // Every later gap of every measured request is its step's duration.
  const std::size_t first_uniform = after_step ? 0 : 1;
  result_.itl_ms.add_each(ends.size() - first_uniform, measured_count,
                          [&ends, first_uniform](std::size_t i) { return ends[i + first_uniform].duration_ns; });
  for (int64_t j = 0; j < steps; ++j) {
    const DecodeStepEnd& e = ends[static_cast<std::size_t>(j)];
    if (j + straddled_steps >= steps) continue;  // recorded at its end (settle_straddled_steps)
    if (measured_count > 0) record_measured_tokens(e.end_ns, measured_count);
    timeseries_.add_tokens(e.end_ns, run.batch);
    if (j + 1 < steps) {  // the last step end is observed by the schedule event below
      integrate_until(e.end_ns);
      record_state(e.end_ns, e.blocks_after);
    }
  }
  if (straddled_steps > 0) {
    straddled_ = {replica, run.batch, measured_count, {}, 0, 0};
    // Until the first straddled step ends, the cache holds that step's blocks, not the next's.
    straddled_.blocks_during_first =
        steps - straddled_steps >= 1 ? ends[static_cast<std::size_t>(steps - straddled_steps - 1)].blocks_after
                                     : run.blocks_after_first;
    for (int64_t j = steps - straddled_steps; j < steps; ++j)
      straddled_.ends_ns[static_cast<std::size_t>(straddled_.count++)] = ends[static_cast<std::size_t>(j)].end_ns;
  }
  // Requests that emitted their last token in the final step complete at its end. The state
  // integrated up to that end (observed_in_system_) is the one during the step, as when stepping.
  for (RequestState* r : decode_finished_) complete_request(k, *r, end_ns);
  // Stepping would pop that step's step_end and then a schedule event when completions sent
  // follow-ups at the same instant; here one schedule event stands for both.
  if (!queue_.empty() && queue_.top().time_ns == end_ns) ++result_.events;
  // The next step's blocks, which the ordinary path allocates first thing: its peak too, unless
  // they do not fit (then that step preempts, and its planning is observed as it happens).
  if (ends.back().blocks_after <= run.total_blocks)
    result_.peak_kv_blocks = std::max(result_.peak_kv_blocks, ends.back().blocks_after);
  result_.steps += steps;
  result_.events += steps - 1;  // step-by-step pops one step_end per step; this pops one schedule
  result_.batch_sequences_total += run.batch * steps;
  result_.peak_batch_sequences = std::max(result_.peak_batch_sequences, run.batch);
  schedule_pending_[k] = true;
  queue_.push(end_ns, EventPhase::schedule, replica);
  observed_by_handler_ = true;
  return true;
}

bool Simulation::no_arrival_at(SimTime at_ns) const {
  // Open loop without follow-ups queued: the queue holds only the next fixed arrival (the
  // deadline, before at_ns); the fixed arrivals queued while the run goes on are the workload's
  // next ones. Closed loops and sessions queue sends whose instants are not looked through.
  if (workload_.closed_loop || queue_.size() != 1) return false;
  const auto& requests = result_.requests;
  for (std::size_t i = next_fixed_; i < requests.size(); ++i) {
    const Request& r = requests[i].request;
    if (r.follow_up()) continue;
    if (r.arrival_ns > at_ns) return true;
    if (r.arrival_ns == at_ns) return false;
  }
  return true;
}

void Simulation::settle_straddled_steps(const Event& event) {
  if (straddled_.replica < 0) return;
  while (straddled_.settled < straddled_.count) {
    const SimTime end_ns = straddled_.ends_ns[static_cast<std::size_t>(straddled_.settled)];
    if (end_ns > event.time_ns) return;
    const bool last = straddled_.settled + 1 == straddled_.count;
    // A straddled step ends: what its step_end would record, in time order with the arrivals it
    // straddled. The first of two (async scheduling) is followed, as when stepping, by the next
    // step's planning (already advanced) and the admission of the arrivals held back.
    integrate_until(end_ns);
    if (straddled_.measured > 0) record_measured_tokens(end_ns, straddled_.measured);
    timeseries_.add_tokens(end_ns, straddled_.tokens);
    ++straddled_.settled;
    if (!last) {
      admit_deferred(straddled_.replica, end_ns);
      observe(end_ns);
      continue;
    }
    // The last one's step_end would come before any other event of its instant, and an arrival
    // of that instant would make it queue a schedule event (popped too) rather than plan at once:
    // count that pop. (No arrival falls on the end of the first of two: no_arrival_at.)
    if (event.phase != EventPhase::schedule) ++result_.events;
    straddled_ = {};
  }
}

bool Simulation::in_straddled_step(std::size_t k, SimTime now) const {
  return straddled_.replica == static_cast<int32_t>(k) && now < straddled_.ends_ns[static_cast<std::size_t>(straddled_.count - 1)];
}

int64_t Simulation::straddled_kv_blocks(std::size_t k, SimTime now, int64_t framework_blocks) const {
  // The framework already holds the blocks of every straddled step; before the first ends, the
  // cache held only the first's.
  if (straddled_.replica != static_cast<int32_t>(k) || straddled_.settled > 0 || now >= straddled_.ends_ns[0])
    return framework_blocks;
  return straddled_.blocks_during_first;
}

}  // namespace llmpo
