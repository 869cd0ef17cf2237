#include "simulation.hpp"

#include <fmt/format.h>

#include "gap_runs.hpp"
#include "huge_pages.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// The simulated clock reached kMaxSimTimeNs: each input was within its bounds, but together
// they make a run longer than int64 nanoseconds hold (a very low rate times many requests, a
// huge step cost times many steps). An input error, not a wrapped negative time.
[[noreturn]] void clock_overflow() {
  throw InputError(fmt::format(
      "the simulated run would last more than {:.0f} years, past what the simulator's clock (int64 "
      "nanoseconds) holds: lower the number of requests or raise the arrival rate, or lower think "
      "times, step costs or slow hardware overrides",
      static_cast<double>(kMaxSimTimeNs) / (365.25 * 86400.0 * 1e9)));
}

}  // namespace

Simulation::Simulation(const Workload& workload, std::vector<Replica> replicas, SimulationOptions options)
    : workload_(workload),
      replicas_(std::move(replicas)),
      options_(options),
      router_(options.router),
      timeseries_(options.timeseries_interval_ns),
      keep_token_bursts_(options.measure_until_ns != kNeverNs) {
  if (replicas_.empty()) throw InternalError("a simulation needs at least one replica");
  const std::size_t count = replicas_.size();
  for (auto& replica : replicas_) frameworks_.push_back(replica.framework.get());
  for (Framework* framework : frameworks_) framework->use_prompts(workload_.prompts.get());
  flight_plans_.resize(count);
  flight_head_.assign(count, 0);
  flight_count_.assign(count, 0);
  stage_free_ns_.resize(count);
  step_events_.resize(count);
  schedule_pending_.assign(count, false);
  pending_wake_ns_.assign(count, kNeverNs);
  outstanding_.assign(count, 0);
  last_step_ns_.assign(count, 0);
  deferred_arrivals_.assign(count, {});
  for (std::size_t k = 0; k < count; ++k) {
    if (replicas_[k].pipeline_depth < 1) throw InternalError("a replica needs a pipeline depth of at least 1");
    flight_plans_[k].resize(static_cast<std::size_t>(replicas_[k].pipeline_depth));
    for (StepPlan& plan : flight_plans_[k]) plan.clear(replicas_[k].window_tokens);
    stage_free_ns_[k].assign(1, 0);
  }
  if (options_.pd) setup_pd();
  reserve_for_expected_end();
}

void Simulation::reserve_for_expected_end() {
  // An open-loop run ends soon after its last arrival when the load is sustainable (an eighth
  // of the schedule's length is left for the queue to drain); the time series, which grows with
  // the simulated span, gets that much room up front (the per-second token counts fold the
  // seconds they leave). The cap keeps a sparse schedule (a trace spanning years, a 1 ns
  // interval: a few points per event, timeseries.hpp) from reserving more than its events could
  // fill.
  if (workload_.closed_loop) return;
  const SimTime last_arrival_ns = workload_.last_fixed_arrival_ns();
  const SimTime expected_end_ns = last_arrival_ns + last_arrival_ns / 8;
  const std::size_t cap = 4 * workload_.requests.size() + 1024;
  timeseries_.expect_end(expected_end_ns, cap);
}

void Simulation::integrate_until(SimTime now) {
  // The state recorded by the last observe() held from then until now.
  const double span = static_cast<double>(now - last_area_ns_);
  if (span > 0) {
    result_.in_system_area_ns += static_cast<double>(observed_in_system_) * span;
    result_.kv_utilization_area_ns += observed_kv_utilization_ * span;
  }
  last_area_ns_ = now;
}

void Simulation::observe(SimTime now) {
  double running = 0, waiting = 0, kv = 0;
  for (std::size_t k = 0; k < frameworks_.size(); ++k) {
    const FrameworkStats s = frameworks_[k]->stats();
    running += static_cast<double>(s.running);
    // Requests held back for the step after next are waiting too.
    waiting += static_cast<double>(s.waiting) + static_cast<double>(deferred_arrivals_[k].size());
    const int64_t used = straddled_kv_blocks(k, now, s.kv_used_blocks);
    if (s.kv_total_blocks > 0) kv += static_cast<double>(used) / static_cast<double>(s.kv_total_blocks);
    result_.peak_kv_blocks = std::max(result_.peak_kv_blocks, used);
  }
  kv /= static_cast<double>(frameworks_.size());
  observed_in_system_ = in_system_;
  observed_kv_utilization_ = kv;
  timeseries_.set_state(now, running, waiting, kv);
}

void Simulation::send_next_for_client(int32_t client, SimTime now) {
  const auto c = static_cast<std::size_t>(client);
  const int64_t index = next_for_client_[c];
  const SimTime send_at = now + workload_.think_time_ns;
  if (index >= static_cast<int64_t>(result_.requests.size()) || send_at >= options_.stop_sending_ns) return;
  next_for_client_[c] = index + workload_.clients;
  result_.requests[static_cast<std::size_t>(index)].request.arrival_ns = send_at;
  queue_.push(send_at, EventPhase::arrival, client, index);
}

void Simulation::push_next_fixed_arrival() {
  // Follow-ups are sent by their previous turn, not on the fixed schedule.
  const auto& requests = result_.requests;
  while (next_fixed_ < requests.size() && requests[next_fixed_].request.follow_up()) ++next_fixed_;
  if (next_fixed_ >= requests.size()) return;
  queue_.push(requests[next_fixed_].request.arrival_ns, EventPhase::arrival, 0, static_cast<int64_t>(next_fixed_));
  ++next_fixed_;
}

void Simulation::send_next_turn(const RequestState& previous, SimTime now) {
  const int64_t next_turn = workload_.turn(previous.request.id).next_turn;
  if (next_turn < 0) return;
  RequestState& next = result_.requests[static_cast<std::size_t>(next_turn)];
  const SimTime send_at = now + workload_.turn(next_turn).think_ns;
  if (send_at > kMaxSimTimeNs) clock_overflow();
  next.request.arrival_ns = send_at;
  queue_.push(send_at, EventPhase::arrival, 0, next_turn);
}

int32_t Simulation::route(const Request& request) {
  // Disaggregated: arrivals go to the prefill pool.
  auto pick = [&] {
    return options_.pd ? pick_in_pool(router_, 0, options_.pd->prefill_replicas) : router_.pick(frameworks_, outstanding_);
  };
  const int64_t session_id = router_.keeps_sessions() ? workload_.turn(request.id).session_id : -1;
  if (session_id < 0) return pick();
  // A session's later turns go where its first went (a trace's sessions too, whose turns have
  // fixed arrival times rather than previous turns).
  const auto [it, first] = session_replica_.try_emplace(session_id, 0);
  if (first) it->second = pick();
  return it->second;
}

void Simulation::on_arrival(const Event& event) {
  const SimTime now = event.time_ns;
  const RequestState& arriving = result_.requests[static_cast<std::size_t>(event.payload)];
  if (!workload_.closed_loop && !arriving.request.follow_up()) push_next_fixed_arrival();
  if (!keep_token_bursts_ && measured(arriving)) token_counter_.on_measured_arrival(event.payload);
  const int32_t replica = route(arriving.request);
  ++in_system_;  // from its arrival, as its latency counts
  deliver(replica, event.payload, now);
}

void Simulation::deliver(int32_t replica, int64_t index, SimTime now) {
  const auto k = static_cast<std::size_t>(replica);
  // A disaggregated request's replica is its prefill replica until its hand-off, then its decode
  // replica; the prefill replica's copy keeps its own.
  result_.requests[static_cast<std::size_t>(index)].instance = replica;
  state_at(k, index).instance = replica;
  ++outstanding_[k];
  if (replicas_[k].async_scheduling && (flight_count_[k] > 0 || in_straddled_step(k, now))) {
    // The step after the running one was planned when the running one was launched.
    deferred_arrivals_[k].push_back(index);
    return;
  }
  admit_to(replica, index, now);
  if (can_start(k, now) && !schedule_pending_[k]) {
    schedule_pending_[k] = true;
    queue_.push(now, EventPhase::schedule, replica);
  }
}

void Simulation::admit_to(int32_t replica, int64_t index, SimTime now) {
  const auto k = static_cast<std::size_t>(replica);
  RequestState& admitted = state_at(k, index);
  if (!frameworks_[k]->admit(admitted, now)) {
    RequestState& r = result_.requests[static_cast<std::size_t>(index)];
    r.reject_reason = admitted.reject_reason;
    // Refused by a decode replica after its prefill: the prefill replica's copy is not read.
    if (options_.pd && !is_prefill(k)) release_prefill_kv(index, now);
    --outstanding_[k];
    --in_system_;
    r.outcome = RequestOutcome::rejected;
    r.completion_ns = now;
    if (workload_.closed_loop) send_next_for_client(r.request.client_id, now);
    // A rejected turn ends its session: the later turns would resend a reply that never came.
  }
}

bool Simulation::admit_deferred(int32_t replica, SimTime now) {
  auto& deferred = deferred_arrivals_[static_cast<std::size_t>(replica)];
  if (deferred.empty()) return false;
  for (int64_t index : deferred) admit_to(replica, index, now);
  deferred.clear();
  return true;
}

void Simulation::try_start_step(int32_t replica, SimTime now) {
  const auto k = static_cast<std::size_t>(replica);
  if (!can_start(k, now)) return;
  // Arrivals held back during the last step join after this step is planned (a bulk decode run
  // would plan past them, so there is none while any wait, nor with micro-batches in flight).
  const bool has_deferred = !deferred_arrivals_[k].empty();
  const int64_t depth = replicas_[k].pipeline_depth;
  if (!has_deferred && depth == 1 && try_decode_run(replica, now)) return;
  Framework& framework = *frameworks_[k];
  // The slot after the steps in flight, in the ring of `depth` plans (wrapped without a division:
  // head < depth and count < depth here).
  int64_t slot = flight_head_[k] + flight_count_[k];
  if (slot >= depth) slot -= depth;
  StepPlan& plan = flight_plans_[k][static_cast<std::size_t>(slot)];
  plan.clear(replicas_[k].window_tokens);
  SimTime wake_ns = kNeverNs;
  const bool planned = framework.plan_step(now, plan, wake_ns);
  if (has_deferred) {
    admit_deferred(replica, now);
    // An idle engine picks new requests up in its next loop iteration.
    if (!planned) return try_start_step(replica, now);
  }
  if (!planned) {
    if (wake_ns != kNeverNs && wake_ns != pending_wake_ns_[k]) {
      if (wake_ns <= now) throw InternalError(fmt::format("replica {} asked to wake at {} ns, not after now ({} ns)", replica, wake_ns, now));
      pending_wake_ns_[k] = wake_ns;
      queue_.push(wake_ns, EventPhase::wake, replica);
    }
    return;
  }
  if (plan.sequences.empty()) throw InternalError(fmt::format("replica {} planned an empty step at {} ns", replica, now));
  // Through the pipeline: each stage starts the step when the step leaves the stage before and
  // the stage has finished the previous micro-batch.
  replicas_[k].cost->stage_times_ns(plan.shape, stage_times_);
  std::vector<SimTime>& stage_free = stage_free_ns_[k];
  if (stage_free.size() != stage_times_.size()) stage_free.assign(stage_times_.size(), 0);
  SimTime t = now;
  for (std::size_t s = 0; s < stage_times_.size(); ++s) {
    if (stage_times_[s] <= 0)
      throw InternalError(fmt::format("replica {}: a step of {} sequences took {} ns on stage {}", replica,
                                      plan.sequences.size(), stage_times_[s], s));
    t = std::max(t, stage_free[s]) + stage_times_[s];
    if (t > kMaxSimTimeNs) clock_overflow();
    stage_free[s] = t;
  }
  last_step_ns_[k] = t - now;
  ++flight_count_[k];
  result_.preemptions += plan.preempted;
  const auto sequences = static_cast<int64_t>(plan.sequences.size());
  result_.batch_sequences_total += sequences;
  result_.peak_batch_sequences = std::max(result_.peak_batch_sequences, sequences);
  // Nothing happens before the step ends and a decode run would start there: both in one go.
  if (depth == 1 && !has_deferred && try_decode_run(replica, t, PendingStep{&plan, now})) {
    --flight_count_[k];
    return;
  }
  queue_.push(t, EventPhase::step_end, replica);
  // The next micro-batch may enter when the first stage frees.
  if (flight_count_[k] < depth) {
    schedule_pending_[k] = true;
    queue_.push(stage_free[0], EventPhase::schedule, replica);
  }
}

void Simulation::on_step_end(const Event& event) {
  const SimTime now = event.time_ns;
  const auto k = static_cast<std::size_t>(event.target);
  Framework& framework = *frameworks_[k];
  StepEvents& events = step_events_[k];
  events.clear();
  // Steps leave the last stage in the order they entered the first.
  StepPlan& done = flight_plans_[k][static_cast<std::size_t>(flight_head_[k])];
  framework.complete_step(now, done, events);
  if (++flight_head_[k] == replicas_[k].pipeline_depth) flight_head_[k] = 0;
  --flight_count_[k];
  ++result_.steps;
  if (is_prefill(k)) {
    // The prefill's one token is the proxy's, not the client's: the request moves on.
    for (RequestState* r : events.finished) {
      --outstanding_[k];
      hand_off(r->request.id, now);
    }
  } else {
    record_client_tokens(k, events, now);
  }
  if (result_.steps % options_.audit_every_steps == 0) framework.check_invariants();
  // Plan the next step now, unless events of this same instant (arrivals, wakes) are still to
  // come: then plan after them, in the schedule phase, so the step sees them.
  if (!queue_.empty() && queue_.top().time_ns == now) {
    schedule_pending_[k] = true;
    queue_.push(now, EventPhase::schedule, event.target);
  } else {
    try_start_step(event.target, now);
  }
}

void Simulation::record_client_tokens(std::size_t k, const StepEvents& events, SimTime now) {
  // Every request that emitted a token in this step last did so at one of a few earlier step
  // ends, so equal gaps are common: count runs of equal gaps into the sketch in one go.
  GapRuns gaps(result_.itl_ms);
  int64_t measured_tokens = 0, step_tokens = 0;
  for (std::size_t i = 0; i < events.emitted.size(); ++i) {
    RequestState* r = events.emitted[i];
    // A request's tokens of one step stream as one chunk (vLLM's detokenizer sends what a step
    // produced together), so a chunk of several speculated tokens is one inter-token gap.
    const int32_t tokens = events.tokens_of(i);
    step_tokens += tokens;
    if (measured(*r)) {
      measured_tokens += tokens;
      if (!events.chunks.empty() && events.chunks[i].drafted > 0) record_acceptance(events.chunks[i].accepted);
    }
    if (r->first_token_ns == kNeverNs) {
      r->first_token_ns = now;
    } else {
      const SimTime gap = now - r->last_token_ns;
      if (measured(*r)) gaps.add(gap);
      if (options_.record_itl_samples) result_.itl.push_back({r->request.id, gap});
    }
    r->last_token_ns = now;
  }
  timeseries_.add_tokens(now, step_tokens);
  if (measured_tokens > 0) record_measured_tokens(now, measured_tokens);
  for (RequestState* r : events.finished) complete_request(k, *r, now);
}

void Simulation::complete_request(std::size_t k, RequestState& r, SimTime now) {
  r.outcome = RequestOutcome::completed;
  r.completion_ns = now;
  --in_system_;
  --outstanding_[k];
  if (workload_.closed_loop) send_next_for_client(r.request.client_id, now);
  send_next_turn(r, now);
}

void Simulation::record_acceptance(int32_t accepted) {
  auto& histogram = result_.spec_accepted_histogram;
  const auto bin = static_cast<std::size_t>(accepted);
  if (histogram.size() <= bin) histogram.resize(bin + 1, 0);
  ++histogram[bin];
}

void Simulation::report_progress(SimTime now) {
  RunControl& control = *options_.control;
  if (control.stop.load(std::memory_order_relaxed)) throw Interrupted();
  // Finished (completed or rejected), not arrived: an overloaded run takes all its arrivals early
  // and spends most of its time draining, which the progress line's estimate must see.
  const int64_t finished = arrivals_handled_ - in_system_;
  control.requests_simulated.fetch_add(finished - finished_reported_, std::memory_order_relaxed);
  finished_reported_ = finished;
  control.simulated_ns.store(now, std::memory_order_relaxed);
}

RunResult Simulation::run() {
  const auto& requests = workload_.requests;
  reserve_huge(result_.requests, requests.size());
  result_.requests.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) result_.requests[i].request = requests[i];
  if (options_.pd) {
    // The proxy sends each request to its prefill replica with max_tokens = 1.
    prefill_states_ = result_.requests;
    for (RequestState& r : prefill_states_) r.request.output_tokens = 1;
    result_.pd.assign(requests.size(), PdTiming{});
  }
  if (options_.requests_copied) options_.requests_copied();
  queue_.reserve(2 * replicas_.size() + static_cast<std::size_t>(workload_.clients) + 8);

  if (!workload_.closed_loop) {
    push_next_fixed_arrival();
  } else {
    for (auto& state : result_.requests) state.request.arrival_ns = kNeverNs;
    next_for_client_.assign(static_cast<std::size_t>(workload_.clients), 0);
    for (int64_t c = 0; c < workload_.clients; ++c) {
      next_for_client_[static_cast<std::size_t>(c)] = c;
      // Every client sends its first request at t = 0 (think time applies between requests).
      send_next_for_client(static_cast<int32_t>(c), -workload_.think_time_ns);
    }
  }

  int64_t popped = 0;  // events taken off the queue (result_.events also counts bulk steps)
  while (!queue_.empty()) {
    const Event event = queue_.pop();
    ++result_.events;
    if (++popped % kControlEveryEvents == 0 && options_.control != nullptr) report_progress(event.time_ns);
    if (event.time_ns > kMaxSimTimeNs && event.time_ns != kNeverNs) clock_overflow();
    if (event.time_ns < last_event_ns_)
      throw InternalError(fmt::format("event time went backwards: {} ns after {} ns", event.time_ns, last_event_ns_));
    settle_straddled_steps(event);
    integrate_until(event.time_ns);
    last_event_ns_ = event.time_ns;
    switch (event.phase) {
      case EventPhase::arrival:
        ++arrivals_handled_;
        on_arrival(event);
        break;
      case EventPhase::step_end: on_step_end(event); break;
      case EventPhase::kv_sent: on_kv_sent(event); break;
      case EventPhase::wake:
        if (pending_wake_ns_[static_cast<std::size_t>(event.target)] == event.time_ns)
          pending_wake_ns_[static_cast<std::size_t>(event.target)] = kNeverNs;
        try_start_step(event.target, event.time_ns);
        break;
      case EventPhase::schedule:
        schedule_pending_[static_cast<std::size_t>(event.target)] = false;
        try_start_step(event.target, event.time_ns);
        break;
    }
    if (observed_by_handler_) observed_by_handler_ = false;
    else observe(event.time_ns);
  }
  if (options_.control != nullptr) report_progress(last_event_ns_);
  result_.end_ns = last_event_ns_;
  result_.timeseries = timeseries_.finish(result_.end_ns);
  if (!keep_token_bursts_) result_.measured_token_seconds = token_counter_.finish(result_.requests);

  // Conservation: every request that arrived ended completed or rejected, and every replica is
  // idle with its KV returned.
  for (const auto& r : result_.requests) {
    if (r.outcome != RequestOutcome::pending) continue;
    if ((workload_.closed_loop || r.request.follow_up()) && r.request.arrival_ns == kNeverNs) {
      ++result_.unsent_requests;
      continue;
    }
    throw InternalError(fmt::format("request {} arrived at {} ns but neither completed nor was rejected",
                                    r.request.id, r.request.arrival_ns));
  }
  for (std::size_t k = 0; k < frameworks_.size(); ++k) {
    frameworks_[k]->check_invariants();
    const FrameworkStats s = frameworks_[k]->stats();
    if (s.running != 0 || s.waiting != 0 || s.kv_used_blocks != 0)
      throw InternalError(fmt::format("replica {} ended with {} running, {} waiting, {} KV blocks in use", k,
                                      s.running, s.waiting, s.kv_used_blocks));
  }
  return std::move(result_);
}

}  // namespace llmpo
