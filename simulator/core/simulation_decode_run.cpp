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

bool Simulation::try_decode_run(int32_t replica, SimTime now) {
  const auto k = static_cast<std::size_t>(replica);
  if (!options_.bulk_decode) return false;
  // Nothing else may happen until the last advanced step ends: stop before the next event, or,
  // when it is an arrival that cannot change the batch before the step it falls in has ended,
  // include that step (the straddling step). When the room left holds fewer than two steps of
  // the last length (one with a straddling step), do not even look (a pure speed heuristic: both
  // paths give the same results).
  const SimTime deadline = queue_.empty() ? kNeverNs : queue_.top().time_ns;
  const bool may_straddle = may_straddle_next_event(k);
  if (deadline <= now || (deadline != kNeverNs && deadline - now < (may_straddle ? 1 : 2) * last_step_ns_[k]))
    return false;
  if (!frameworks_[k]->prepare_decode_run(decode_run_)) return false;
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
  bool straddles = false;
  while (static_cast<int64_t>(ends.size()) < run.max_steps) {
    const SimTime duration = replicas_[k].cost->step_time_ns(shape);
    if (t + duration >= deadline) {
      // A step ending exactly at the arrival, or one in which requests finish (the run's last
      // allowed step may be), would let the arrival see a state the run has already moved past.
      straddles = may_straddle && t + duration > deadline && static_cast<int64_t>(ends.size()) + 1 < run.max_steps;
      if (!straddles) break;
    }
    t += duration;
    const auto done = static_cast<int64_t>(ends.size()) + 1;
    if (done < run.max_steps) blocks += run.new_blocks[static_cast<std::size_t>(done - 1)];
    ends.push_back({t, duration, blocks});
    if (straddles || blocks > run.total_blocks) break;  // step done + 1 must be planned the ordinary way
    shape.decode.kv_tokens += batch;
    shape.decode.pairs_full += batch;
    shape.decode.pairs_causal += batch;
  }
  const auto steps = static_cast<int64_t>(ends.size());
  if (steps < 2) return false;
  last_step_ns_[k] = ends.back().duration_ns;

  // Everything the step-by-step path would have recorded at each step end.
  double others_running = 0, others_waiting = 0, others_kv = 0;
  for (std::size_t i = 0; i < frameworks_.size(); ++i) {
    if (i == k) continue;
    const FrameworkStats s = frameworks_[i]->stats();
    others_running += static_cast<double>(s.running);
    others_waiting += static_cast<double>(s.waiting) + static_cast<double>(deferred_arrivals_[i].size());
    if (s.kv_total_blocks > 0) others_kv += static_cast<double>(s.kv_used_blocks) / static_cast<double>(s.kv_total_blocks);
  }
  const double replicas = static_cast<double>(frameworks_.size());
  const double total_blocks = static_cast<double>(run.total_blocks);
  auto record_state = [&](SimTime at, int64_t blocks_in_use) {
    result_.peak_kv_blocks = std::max(result_.peak_kv_blocks, blocks_in_use);
    const double kv = (others_kv + static_cast<double>(blocks_in_use) / total_blocks) / replicas;
    observed_in_system_ = in_system_;
    observed_kv_utilization_ = kv;
    timeseries_.set_state(at, others_running + batch, others_waiting, kv);
  };
  record_state(now, run.blocks_after_first);

  // The first step's gaps depend on when each request last emitted; later gaps are the steps.
  frameworks_[k]->apply_decode_run(steps, decode_running_);
  int64_t measured_count = 0;
  GapRuns first_gaps(result_.itl_ms);  // the first step's gaps differ by when each last emitted
  for (RequestState* r : decode_running_) {
    if (!measured(*r)) continue;
    ++measured_count;
    first_gaps.add(ends.front().end_ns - r->last_token_ns);
    if (options_.record_itl_samples) {
      SimTime previous = r->last_token_ns;
      for (const DecodeStepEnd& e : ends) {
        result_.itl.push_back({r->request.id, e.end_ns - previous});
        previous = e.end_ns;
      }
    }
  }
  for (int64_t j = 0; j < steps; ++j) {
    const DecodeStepEnd& e = ends[static_cast<std::size_t>(j)];
    if (j > 0) result_.itl_ms.add(e.duration_ns, measured_count);
    if (j + 1 == steps && straddles) break;  // its tokens are recorded at its end (settle_straddling_step)
    if (measured_count > 0) record_measured_tokens(e.end_ns, measured_count);
    timeseries_.add_tokens(e.end_ns, run.batch);
    if (j + 1 < steps) {  // the last step end is observed by the schedule event below
      integrate_until(e.end_ns);
      record_state(e.end_ns, e.blocks_after);
    }
  }
  const SimTime end_ns = ends.back().end_ns;
  if (straddles) straddling_ = {replica, end_ns, run.batch, measured_count};
  for (RequestState* r : decode_running_) r->last_token_ns = end_ns;
  // Requests that emitted their last token in the final step complete at its end. The state
  // integrated up to that end (observed_in_system_) is the one during the step, as when stepping.
  for (RequestState* r : decode_running_)
    if (r->finished()) complete_request(k, *r, end_ns);
  // Stepping would pop that step's step_end and then a schedule event when completions sent
  // follow-ups at the same instant; here one schedule event stands for both.
  if (!queue_.empty() && queue_.top().time_ns == end_ns) ++result_.events;
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

void Simulation::settle_straddling_step(const Event& event) {
  if (straddling_.replica < 0 || event.time_ns != straddling_.end_ns) return;
  // The straddling step ends now: its tokens are counted here, in time order with the arrivals
  // it straddled, as its step_end would when stepping. That step_end would come before any other
  // event of this instant, and an arrival of this instant would make it queue a schedule event
  // (popped too) rather than plan at once: count that pop.
  if (straddling_.measured > 0) record_measured_tokens(straddling_.end_ns, straddling_.measured);
  timeseries_.add_tokens(straddling_.end_ns, straddling_.tokens);
  if (event.phase != EventPhase::schedule) ++result_.events;
  straddling_ = {};
}

bool Simulation::in_straddling_step(std::size_t k, SimTime now) const {
  return straddling_.replica == static_cast<int32_t>(k) && now < straddling_.end_ns;
}

}  // namespace llmpo
