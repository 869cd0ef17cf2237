#include "saturation.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/core/time.hpp"

namespace llmpo {

namespace {

// Three significant digits without an exponent: "4.78", "0.0123", "150", "1000".
std::string rate_text(double per_s) { return per_s >= 100 ? fmt::format("{:.0f}", per_s) : fmt::format("{:.3g}", per_s); }

}  // namespace

SaturationVerdict judge_saturation(const std::vector<RequestState>& requests, double warmup_s, double cooldown_s) {
  SaturationVerdict v;
  SimTime last_arrival_ns = kNeverNs;
  for (const auto& r : requests) {
    if (r.request.client_id >= 0) return v;  // closed loop: paced by completions
    if (r.outcome == RequestOutcome::pending || r.request.arrival_ns == kNeverNs) continue;
    last_arrival_ns = last_arrival_ns == kNeverNs ? r.request.arrival_ns : std::max(last_arrival_ns, r.request.arrival_ns);
  }
  if (last_arrival_ns == kNeverNs) return v;
  const SimTime start_ns = instant_to_ns(warmup_s);
  const SimTime end_ns = last_arrival_ns - (cooldown_s > 0 ? instant_to_ns(cooldown_s) : 0);
  if (end_ns <= start_ns) return v;

  // Half-open (start, end]: then Q(end) - Q(start) = arrivals - starts inside the window exactly.
  const auto inside = [&](SimTime t) { return t > start_ns && t <= end_ns; };
  const auto waiting_at = [](const RequestState& r, SimTime t) {
    return r.request.arrival_ns <= t && r.first_scheduled_ns > t;
  };
  for (const auto& r : requests) {
    if (r.outcome != RequestOutcome::completed) continue;  // refused at the door: never queued
    v.arrivals += inside(r.request.arrival_ns);
    v.completions += inside(r.completion_ns);
    v.queue_at_start += waiting_at(r, start_ns);
    v.queue_at_end += waiting_at(r, end_ns);
  }
  if (v.arrivals == 0) return v;
  v.judged = true;
  v.window_s = ns_to_s(end_ns - start_ns);
  v.arrival_rate_per_s = static_cast<double>(v.arrivals) / v.window_s;
  v.completion_rate_per_s = static_cast<double>(v.completions) / v.window_s;
  v.growth_threshold = kSaturationSigmas * std::sqrt(static_cast<double>(v.arrivals));
  const auto growth = static_cast<double>(v.queue_at_end - v.queue_at_start);
  const auto surplus = static_cast<double>(v.arrivals - v.completions);
  v.overloaded = growth > v.growth_threshold && surplus > v.growth_threshold;
  if (v.overloaded)
    v.reason = fmt::format("arrivals {} req/s > completions {} req/s; queue grew {} -> {}", rate_text(v.arrival_rate_per_s),
                           rate_text(v.completion_rate_per_s), v.queue_at_start, v.queue_at_end);
  return v;
}

}  // namespace llmpo
