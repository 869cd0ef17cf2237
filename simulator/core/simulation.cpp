#include "simulation.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

Simulation::Simulation(const Workload& workload, std::vector<Replica> replicas, SimulationOptions options)
    : workload_(workload),
      replicas_(std::move(replicas)),
      options_(options),
      router_(options.router),
      timeseries_(options.timeseries_interval_ns) {
  if (replicas_.empty()) throw InternalError("a simulation needs at least one replica");
  const std::size_t count = replicas_.size();
  for (auto& replica : replicas_) frameworks_.push_back(replica.framework.get());
  plans_.resize(count);
  step_events_.resize(count);
  busy_.assign(count, false);
  schedule_pending_.assign(count, false);
  pending_wake_ns_.assign(count, kNeverNs);
  outstanding_.assign(count, 0);
  for (std::size_t k = 0; k < count; ++k) plans_[k].clear(replicas_[k].window_tokens);
}

void Simulation::advance_areas(SimTime now) {
  const double span = static_cast<double>(now - last_area_ns_);
  if (span > 0) {
    result_.in_system_area_ns += static_cast<double>(in_system_) * span;
    double kv = 0;
    for (const Framework* framework : frameworks_) {
      const FrameworkStats s = framework->stats();
      if (s.kv_total_blocks > 0) kv += static_cast<double>(s.kv_used_blocks) / static_cast<double>(s.kv_total_blocks);
    }
    result_.kv_utilization_area_ns += kv / static_cast<double>(frameworks_.size()) * span;
  }
  last_area_ns_ = now;
}

void Simulation::update_timeseries(SimTime now) {
  double running = 0, waiting = 0, kv = 0;
  for (const Framework* framework : frameworks_) {
    const FrameworkStats s = framework->stats();
    running += static_cast<double>(s.running);
    waiting += static_cast<double>(s.waiting);
    if (s.kv_total_blocks > 0) kv += static_cast<double>(s.kv_used_blocks) / static_cast<double>(s.kv_total_blocks);
  }
  timeseries_.set_state(now, running, waiting, kv / static_cast<double>(frameworks_.size()));
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

void Simulation::on_arrival(const Event& event) {
  const SimTime now = event.time_ns;
  RequestState& r = result_.requests[static_cast<std::size_t>(event.payload)];
  if (!workload_.closed_loop) {
    const auto next = static_cast<std::size_t>(event.payload + 1);
    if (next < result_.requests.size())
      queue_.push(result_.requests[next].request.arrival_ns, EventPhase::arrival, 0, static_cast<int64_t>(next));
  }
  const int32_t replica = router_.pick(frameworks_, outstanding_);
  r.instance = replica;
  if (!frameworks_[static_cast<std::size_t>(replica)]->admit(r, now)) {
    r.outcome = RequestOutcome::rejected;
    r.completion_ns = now;
    if (workload_.closed_loop) send_next_for_client(r.request.client_id, now);
    return;
  }
  ++in_system_;
  ++outstanding_[static_cast<std::size_t>(replica)];
  const auto k = static_cast<std::size_t>(replica);
  if (!busy_[k] && !schedule_pending_[k]) {
    schedule_pending_[k] = true;
    queue_.push(now, EventPhase::schedule, replica);
  }
}

void Simulation::try_start_step(int32_t replica, SimTime now) {
  const auto k = static_cast<std::size_t>(replica);
  if (busy_[k]) return;
  Framework& framework = *frameworks_[k];
  StepPlan& plan = plans_[k];
  plan.clear(replicas_[k].window_tokens);
  SimTime wake_ns = kNeverNs;
  if (!framework.plan_step(now, plan, wake_ns)) {
    if (wake_ns != kNeverNs && wake_ns != pending_wake_ns_[k]) {
      if (wake_ns <= now) throw InternalError(fmt::format("replica {} asked to wake at {} ns, not after now ({} ns)", replica, wake_ns, now));
      pending_wake_ns_[k] = wake_ns;
      queue_.push(wake_ns, EventPhase::wake, replica);
    }
    return;
  }
  if (plan.sequences.empty()) throw InternalError(fmt::format("replica {} planned an empty step at {} ns", replica, now));
  const SimTime duration = replicas_[k].cost->step_time_ns(plan.shape);
  if (duration <= 0) throw InternalError(fmt::format("replica {}: a step of {} sequences took {} ns", replica, plan.sequences.size(), duration));
  busy_[k] = true;
  result_.preemptions += plan.preempted;
  const auto sequences = static_cast<int64_t>(plan.sequences.size());
  result_.batch_sequences_total += sequences;
  result_.peak_batch_sequences = std::max(result_.peak_batch_sequences, sequences);
  queue_.push(now + duration, EventPhase::step_end, replica);
}

void Simulation::on_step_end(const Event& event) {
  const SimTime now = event.time_ns;
  const auto k = static_cast<std::size_t>(event.target);
  Framework& framework = *frameworks_[k];
  StepEvents& events = step_events_[k];
  events.clear();
  framework.complete_step(now, plans_[k], events);
  busy_[k] = false;
  ++result_.steps;
  // Every request that emitted a token in this step last did so at one of a few earlier step
  // ends, so equal gaps are common: count runs of equal gaps into the sketch in one go.
  SimTime pending_gap = 0;
  int64_t pending_count = 0;
  for (RequestState* r : events.emitted) {
    if (r->first_token_ns == kNeverNs) {
      r->first_token_ns = now;
    } else {
      const SimTime gap = now - r->last_token_ns;
      const SimTime arrival = r->request.arrival_ns;
      if (arrival >= options_.measure_from_ns && arrival <= options_.measure_until_ns) {
        if (gap != pending_gap && pending_count > 0) {
          result_.itl_ms.add(ns_to_ms(pending_gap), pending_count);
          pending_count = 0;
        }
        pending_gap = gap;
        ++pending_count;
      }
      if (options_.record_itl_samples) result_.itl.push_back({r->request.id, gap});
    }
    r->last_token_ns = now;
  }
  if (pending_count > 0) result_.itl_ms.add(ns_to_ms(pending_gap), pending_count);
  timeseries_.add_tokens(now, static_cast<int64_t>(events.emitted.size()));
  for (RequestState* r : events.finished) {
    r->outcome = RequestOutcome::completed;
    r->completion_ns = now;
    --in_system_;
    --outstanding_[k];
    if (workload_.closed_loop) send_next_for_client(r->request.client_id, now);
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

RunResult Simulation::run() {
  const auto& requests = workload_.requests;
  result_.requests.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) result_.requests[i].request = requests[i];
  queue_.reserve(2 * replicas_.size() + static_cast<std::size_t>(workload_.clients) + 8);

  if (!workload_.closed_loop) {
    if (!requests.empty()) queue_.push(requests.front().arrival_ns, EventPhase::arrival, 0, 0);
  } else {
    for (auto& state : result_.requests) state.request.arrival_ns = kNeverNs;
    next_for_client_.assign(static_cast<std::size_t>(workload_.clients), 0);
    for (int64_t c = 0; c < workload_.clients; ++c) {
      next_for_client_[static_cast<std::size_t>(c)] = c;
      // Every client sends its first request at t = 0 (think time applies between requests).
      send_next_for_client(static_cast<int32_t>(c), -workload_.think_time_ns);
    }
  }

  while (!queue_.empty()) {
    const Event event = queue_.pop();
    ++result_.events;
    if (event.time_ns < last_event_ns_)
      throw InternalError(fmt::format("event time went backwards: {} ns after {} ns", event.time_ns, last_event_ns_));
    advance_areas(event.time_ns);
    last_event_ns_ = event.time_ns;
    switch (event.phase) {
      case EventPhase::arrival: on_arrival(event); break;
      case EventPhase::step_end: on_step_end(event); break;
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
    update_timeseries(event.time_ns);
  }
  result_.end_ns = last_event_ns_;
  result_.timeseries = timeseries_.finish(result_.end_ns);

  // Conservation: every request that arrived ended completed or rejected, and every replica is
  // idle with its KV returned.
  for (const auto& r : result_.requests) {
    if (r.outcome != RequestOutcome::pending) continue;
    if (workload_.closed_loop && r.request.arrival_ns == kNeverNs) {
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
