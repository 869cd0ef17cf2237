#include "arrivals.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "length_spec.hpp"  // reject_keys_of_other_kinds
#include "simulator/core/distributions.hpp"
#include "simulator/core/huge_pages.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

const char* to_string(ArrivalProcess process) {
  switch (process) {
    case ArrivalProcess::poisson: return "poisson";
    case ArrivalProcess::gamma: return "gamma";
    case ArrivalProcess::constant: return "constant";
    case ArrivalProcess::steps: return "steps";
    case ArrivalProcess::ramp: return "ramp";
    case ArrivalProcess::closed_loop: return "closed_loop";
  }
  return "?";
}

namespace {

const std::vector<std::string> kProcesses = {"poisson", "gamma", "constant", "steps", "ramp", "closed_loop"};
const std::vector<std::string> kAllKeys = {"process", "rate_per_s", "burstiness", "steps",
                                           "ramp", "clients", "think_time_s"};

std::vector<std::string> keys_of(ArrivalProcess process) {
  switch (process) {
    case ArrivalProcess::poisson:
    case ArrivalProcess::constant: return {"process", "rate_per_s"};
    case ArrivalProcess::gamma: return {"process", "rate_per_s", "burstiness"};
    case ArrivalProcess::steps: return {"process", "steps"};
    case ArrivalProcess::ramp: return {"process", "ramp"};
    case ArrivalProcess::closed_loop: return {"process", "clients", "think_time_s"};
  }
  return {};
}

std::vector<RateStep> parse_steps(StrictMap& map) {
  const YAML::Node list = map.get_node("steps");
  const std::string path = map.path_of("steps");
  if (!list.IsSequence() || list.size() == 0)
    map.fail("steps", "expected a non-empty list like [{until_s: 60, rate_per_s: 2}, ...]");
  std::vector<RateStep> steps;
  for (std::size_t i = 0; i < list.size(); ++i) {
    StrictMap item(list[i], map.file(), fmt::format("{}[{}]", path, i));
    item.reject_unknown_keys({"until_s", "rate_per_s"});
    RateStep step{item.get_double("until_s", positive_seconds()), item.get_double("rate_per_s", non_negative())};
    if (!steps.empty() && step.until_s <= steps.back().until_s)
      item.fail("until_s", fmt::format("until_s {} must be later than the previous step's {}", step.until_s,
                                       steps.back().until_s));
    steps.push_back(step);
  }
  const bool any_rate = std::any_of(steps.begin(), steps.end(), [](const RateStep& s) { return s.rate_per_s > 0; });
  if (!any_rate) map.fail("steps", "every step has rate_per_s 0: no request would ever arrive");
  return steps;
}

RampSpec parse_ramp(StrictMap& map) {
  StrictMap ramp_map = map.get_map("ramp");
  ramp_map.reject_unknown_keys({"start_rate_per_s", "end_rate_per_s", "over_s"});
  RampSpec ramp{ramp_map.get_double("start_rate_per_s", non_negative()),
                ramp_map.get_double("end_rate_per_s", non_negative()), ramp_map.get_double("over_s", positive_seconds())};
  if (ramp.start_rate_per_s == 0 && ramp.end_rate_per_s == 0)
    ramp_map.fail("end_rate_per_s", "start and end rates are both 0: no request would ever arrive");
  return ramp;
}

// A piecewise-linear arrival rate: segment i has rate(t) = rate + slope * (t - start) on
// [start, end); the last segment is constant and unbounded.
struct Segment {
  double start_s = 0.0;
  double end_s = std::numeric_limits<double>::infinity();
  double rate_per_s = 0.0;
  double slope_per_s2 = 0.0;
  double mass_before = 0.0;  // expected arrivals in [0, start_s)
  double mass() const {
    const double length = end_s - start_s;
    return rate_per_s * length + 0.5 * slope_per_s2 * length * length;
  }
};

std::vector<Segment> segments_of(const ArrivalSpec& spec) {
  std::vector<Segment> segments;
  if (spec.process == ArrivalProcess::steps) {
    double start = 0.0;
    for (const RateStep& step : spec.steps) {
      segments.push_back({start, step.until_s, step.rate_per_s, 0.0, 0.0});
      start = step.until_s;
    }
    segments.push_back({start, std::numeric_limits<double>::infinity(), spec.steps.back().rate_per_s, 0.0, 0.0});
  } else {
    const RampSpec& ramp = spec.ramp;
    segments.push_back({0.0, ramp.over_s, ramp.start_rate_per_s,
                        (ramp.end_rate_per_s - ramp.start_rate_per_s) / ramp.over_s, 0.0});
    segments.push_back({ramp.over_s, std::numeric_limits<double>::infinity(), ramp.end_rate_per_s, 0.0, 0.0});
  }
  for (std::size_t i = 1; i < segments.size(); ++i)
    segments[i].mass_before = segments[i - 1].mass_before + segments[i - 1].mass();
  return segments;
}

// Lambda^-1(mass): the time by which `mass` arrivals are expected; infinity when the rate
// falls to 0 for good before that. `cursor` remembers the segment (masses only grow).
double invert(const std::vector<Segment>& segments, std::size_t& cursor, double mass) {
  while (cursor + 1 < segments.size() && mass > segments[cursor].mass_before + segments[cursor].mass()) ++cursor;
  const Segment& s = segments[cursor];
  const double m = mass - s.mass_before;
  double tau = 0.0;
  if (s.slope_per_s2 == 0.0) {
    if (s.rate_per_s == 0.0) return m <= 0.0 ? s.start_s : std::numeric_limits<double>::infinity();
    tau = m / s.rate_per_s;
  } else {
    // Solve rate*tau + slope*tau^2/2 = m in the form that is stable for any sign of slope.
    const double disc = std::max(0.0, s.rate_per_s * s.rate_per_s + 2.0 * s.slope_per_s2 * m);
    tau = 2.0 * m / (s.rate_per_s + std::sqrt(disc));
  }
  return std::min(s.start_s + tau, s.end_s);
}

}  // namespace

ArrivalSpec parse_arrival_spec(StrictMap map) {
  ArrivalSpec spec;
  const std::string process = map.get_choice("process", kProcesses);
  spec.process = static_cast<ArrivalProcess>(std::find(kProcesses.begin(), kProcesses.end(), process) -
                                             kProcesses.begin());
  reject_keys_of_other_kinds(map, "process", process, keys_of(spec.process), kAllKeys);
  switch (spec.process) {
    case ArrivalProcess::gamma:
      spec.burstiness = map.get_double("burstiness", {1e-6, 1e6, false});
      [[fallthrough]];
    case ArrivalProcess::poisson:
    case ArrivalProcess::constant:
      spec.rate_per_s = map.get_double("rate_per_s", rate_per_second());
      break;
    case ArrivalProcess::steps: spec.steps = parse_steps(map); break;
    case ArrivalProcess::ramp: spec.ramp = parse_ramp(map); break;
    case ArrivalProcess::closed_loop:
      spec.clients = map.get_int("clients", {1, 1e6, false});
      spec.think_time_s = map.opt_double("think_time_s", seconds()).value_or(0.0);
      break;
  }
  return spec;
}

void validate(const ArrivalSpec& spec) {
  const auto bad = [](const std::string& key, const std::string& message) {
    throw InputError(SourcePos{}, "workload.arrival." + key, message);
  };
  switch (spec.process) {
    case ArrivalProcess::gamma:
      if (!(spec.burstiness > 0) || !std::isfinite(spec.burstiness)) bad("burstiness", "must be greater than 0");
      [[fallthrough]];
    case ArrivalProcess::poisson:
    case ArrivalProcess::constant:
      if (!(spec.rate_per_s > 0) || !std::isfinite(spec.rate_per_s)) bad("rate_per_s", "must be greater than 0");
      break;
    case ArrivalProcess::steps: {
      if (spec.steps.empty()) bad("steps", "needs at least one step");
      double previous = 0.0;
      bool any_rate = false;
      for (const RateStep& step : spec.steps) {
        if (!(step.until_s > previous)) bad("steps", "until_s must increase from step to step and be positive");
        if (!(step.rate_per_s >= 0) || !std::isfinite(step.rate_per_s)) bad("steps", "rate_per_s must be at least 0");
        any_rate = any_rate || step.rate_per_s > 0;
        previous = step.until_s;
      }
      if (!any_rate) bad("steps", "every step has rate_per_s 0");
      break;
    }
    case ArrivalProcess::ramp:
      if (!(spec.ramp.over_s > 0) || !std::isfinite(spec.ramp.over_s)) bad("ramp.over_s", "must be greater than 0");
      if (!(spec.ramp.start_rate_per_s >= 0) || !(spec.ramp.end_rate_per_s >= 0) ||
          spec.ramp.start_rate_per_s + spec.ramp.end_rate_per_s <= 0)
        bad("ramp", "rates must be at least 0 and not both 0");
      break;
    case ArrivalProcess::closed_loop:
      if (spec.clients < 1) bad("clients", "must be at least 1");
      if (!(spec.think_time_s >= 0)) bad("think_time_s", "must be at least 0");
      break;
  }
}

std::optional<double> schedule_end_s(const ArrivalSpec& spec) {
  if (spec.process == ArrivalProcess::steps && !spec.steps.empty()) return spec.steps.back().until_s;
  if (spec.process == ArrivalProcess::ramp) return spec.ramp.over_s;
  return std::nullopt;
}

std::string describe(const ArrivalSpec& spec) {
  switch (spec.process) {
    case ArrivalProcess::poisson: return fmt::format("poisson {} req/s", spec.rate_per_s);
    case ArrivalProcess::gamma: return fmt::format("gamma {} req/s burstiness {}", spec.rate_per_s, spec.burstiness);
    case ArrivalProcess::constant: return fmt::format("constant {} req/s", spec.rate_per_s);
    case ArrivalProcess::steps: {
      std::vector<std::string> parts;
      for (const RateStep& step : spec.steps) parts.push_back(fmt::format("{} req/s until {} s", step.rate_per_s, step.until_s));
      return "steps " + join(parts);
    }
    case ArrivalProcess::ramp:
      return fmt::format("ramp {} to {} req/s over {} s", spec.ramp.start_rate_per_s, spec.ramp.end_rate_per_s,
                         spec.ramp.over_s);
    case ArrivalProcess::closed_loop:
      return fmt::format("closed loop, {} clients, think time {} s", spec.clients, spec.think_time_s);
  }
  return "?";
}

double expected_arrivals(const ArrivalSpec& spec, double until_s) {
  switch (spec.process) {
    case ArrivalProcess::poisson:
    case ArrivalProcess::gamma:
    case ArrivalProcess::constant: return spec.rate_per_s * until_s;
    case ArrivalProcess::closed_loop: return 0.0;
    default: break;
  }
  double mass = 0.0;
  for (const Segment& s : segments_of(spec)) {
    if (until_s <= s.start_s) break;
    const double length = std::min(until_s, s.end_s) - s.start_s;
    mass += s.rate_per_s * length + 0.5 * s.slope_per_s2 * length * length;
  }
  return mass;
}

std::vector<double> generate_arrival_times_s(const ArrivalSpec& spec, std::optional<int64_t> count,
                                             std::optional<double> until_s, Rng& rng) {
  validate(spec);
  if (spec.process == ArrivalProcess::closed_loop)
    throw InternalError("generate_arrival_times_s: a closed loop has no precomputed arrivals");
  if (!count && !until_s) throw InternalError("generate_arrival_times_s: needs a count or an end time");

  std::vector<double> times;
  if (count) reserve_huge(times, static_cast<std::size_t>(std::min<int64_t>(*count, kMaxWorkloadRequests)));
  const bool schedule = spec.process == ArrivalProcess::steps || spec.process == ArrivalProcess::ramp;
  const std::vector<Segment> segments = schedule ? segments_of(spec) : std::vector<Segment>{};
  std::size_t cursor = 0;
  double t = 0.0;     // renewal processes: time of the last arrival
  double mass = 0.0;  // schedules: unit-rate Poisson time
  for (int64_t k = 1;; ++k) {
    if (count && k > *count) break;
    switch (spec.process) {
      case ArrivalProcess::poisson: t += sample_exponential(rng, spec.rate_per_s); break;
      case ArrivalProcess::gamma:
        t += sample_gamma(rng, spec.burstiness, 1.0 / (spec.burstiness * spec.rate_per_s));
        break;
      case ArrivalProcess::constant: t = static_cast<double>(k) / spec.rate_per_s; break;
      default:
        mass += sample_exponential(rng, 1.0);
        t = invert(segments, cursor, mass);
        break;
    }
    if (until_s && t >= *until_s) break;
    if (!std::isfinite(t))
      throw InputError(SourcePos{}, "workload.num_requests",
                       fmt::format("the arrival rate falls to 0 for good after {} requests; num_requests {} "
                                   "can never be reached",
                                   times.size(), *count));
    if (static_cast<int64_t>(times.size()) >= kMaxWorkloadRequests)
      throw InputError(SourcePos{}, "workload.duration_s",
                       fmt::format("more than {} requests would be generated; lower the rate or duration_s",
                                   kMaxWorkloadRequests));
    times.push_back(t);
  }
  return times;
}

}  // namespace llmpo
