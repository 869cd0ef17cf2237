#include "capacity_search.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

const char* to_string(LoadState state) {
  switch (state) {
    case LoadState::stable: return "stable";
    case LoadState::backlogged: return "backlogged";
    case LoadState::overloaded: return "overloaded";
  }
  return "?";
}

namespace {

bool is_closed_loop(const WorkloadSpec& spec) {
  return spec.arrival && spec.arrival->process == ArrivalProcess::closed_loop;
}

WorkloadSpec at_load(WorkloadSpec spec, double load) {
  if (is_closed_loop(spec)) spec.arrival->clients = static_cast<int64_t>(std::llround(load));
  else spec.arrival->rate_per_s = load;
  return spec;
}

// Mean of the time series' waiting counts over [from_s, to_s).
double mean_waiting(const std::vector<TimeseriesPoint>& series, double from_s, double to_s) {
  double area = 0, span = 0;
  for (const auto& p : series) {
    const double start = std::max(p.start_s, from_s), end = std::min(p.start_s + p.span_s(), to_s);
    if (end <= start) continue;
    area += p.waiting * (end - start);
    span += end - start;
  }
  return span > 0 ? area / span : 0.0;
}

LoadState classify(const RunResult& result, const RunMetrics& metrics, const Workload& workload) {
  if (workload.closed_loop || workload.requests.size() < 2) return LoadState::stable;
  // Past saturation by the verdict `run` writes to summary.csv (saturation.hpp).
  if (metrics.saturation.overloaded) return LoadState::overloaded;
  const double last_arrival_s = ns_to_s(workload.last_fixed_arrival_ns());
  if (last_arrival_s <= 0) return LoadState::stable;
  // Short of that, capacity is stricter than the verdict: a queue still growing near rho = 1,
  // within the noise the verdict allows, is no place to operate either.
  const double first = mean_waiting(result.timeseries, 0, last_arrival_s / 3);
  const double last = mean_waiting(result.timeseries, 2 * last_arrival_s / 3, last_arrival_s);
  // A stable queue fluctuates; a growing one gains at least a few requests and half its size.
  if (last > first + std::max(2.0, 0.5 * first)) return LoadState::backlogged;
  return LoadState::stable;
}

}  // namespace

void check_capacity_workload(const WorkloadPlan& workload) {
  const WorkloadSpec& spec = workload.spec;
  const bool variable = spec.arrival && (spec.arrival->process == ArrivalProcess::poisson ||
                                         spec.arrival->process == ArrivalProcess::gamma ||
                                         spec.arrival->process == ArrivalProcess::constant ||
                                         spec.arrival->process == ArrivalProcess::closed_loop);
  if (!variable || (spec.trace && spec.trace->has_arrivals()))
    throw InputError(workload.pos, "workload.arrival",
                     "capacity varies the request rate of a poisson, gamma or constant arrival process, or the "
                     "clients of a closed loop; this workload has none to vary (a trace's own arrivals, steps or "
                     "ramp)");
}

namespace {

// The file's metrics options plus the percentiles the bounds ask for.
MetricsOptions capacity_metrics_options(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& spec) {
  MetricsOptions options = plan.points[static_cast<std::size_t>(run.point_index)].simulation.metrics;
  for (double p : percentiles_needed(spec))
    if (std::find(options.percentiles.begin(), options.percentiles.end(), p) == options.percentiles.end())
      options.percentiles.push_back(p);
  return options;
}

}  // namespace

CapacityProbe probe_load(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& spec,
                         RunExecutor& executor, double load, RunControl* control) {
  const WorkloadPlan& base = plan.workloads[static_cast<std::size_t>(run.workload_index)];
  const MetricsOptions metrics_options = capacity_metrics_options(plan, run, spec);
  CapacityProbe out;
  out.load = load;
  const Workload workload = generate_workload(at_load(base.spec, load), base.seed, base.clip_max_model_len);
  const RunOutcome outcome = executor.execute_with(run, workload, metrics_options, control);
  out.metrics = outcome.metrics;
  out.state = classify(outcome.result, outcome.metrics, workload);
  std::vector<std::string> failures;
  if (out.state == LoadState::overloaded) failures.push_back("overloaded: " + out.metrics.saturation.reason);
  else if (out.state == LoadState::backlogged) failures.push_back(to_string(out.state));
  for (const auto& bound : spec.bounds) {
    const double value = bound_value(bound, out.metrics, metrics_options.percentiles);
    out.bound_values.push_back(value);
    if (!(value <= bound.max_ms)) failures.push_back(fmt::format("{} {:.1f} > {}", bound.key, value, bound.max_ms));
  }
  if (spec.min_attainment && out.metrics.slo_attainment < *spec.min_attainment)
    failures.push_back(fmt::format("attainment {:.4f} < {}", out.metrics.slo_attainment, *spec.min_attainment));
  out.passed = failures.empty();
  for (const auto& f : failures) out.reason += (out.reason.empty() ? "" : "; ") + f;
  return out;
}

CapacityResult find_capacity(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& spec,
                             RunExecutor& executor, RunControl* control) {
  const WorkloadPlan& base = plan.workloads[static_cast<std::size_t>(run.workload_index)];
  CapacityResult result;
  result.run = &run;
  result.closed_loop = is_closed_loop(base.spec);
  auto probe = [&](double load) {
    CapacityProbe out = probe_load(plan, run, spec, executor, load, control);
    out.step = static_cast<int>(result.probes.size()) + 1;
    result.probes.push_back(out);
    return out.passed;
  };
  const auto rounded = [&](double load) { return result.closed_loop ? std::round(load) : load; };

  double lo = rounded(spec.low), hi = rounded(spec.high);
  if (!probe(lo)) {
    result.verdict = "fails at low";
    return result;
  }
  if (probe(hi)) {
    result.capacity = hi;
    result.verdict = "passes at high";
    return result;
  }
  for (;;) {
    const bool narrow = result.closed_loop ? hi - lo <= 1 : (hi - lo) / lo <= spec.tolerance;
    if (narrow) break;
    const double mid = result.closed_loop ? std::floor((lo + hi) / 2) : std::sqrt(lo * hi);
    if (probe(mid)) lo = mid;
    else hi = mid;
  }
  result.capacity = lo;
  result.verdict = "bracketed";
  return result;
}

}  // namespace llmpo
