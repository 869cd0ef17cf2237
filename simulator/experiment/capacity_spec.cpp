#include "capacity_spec.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

const char* kBoundHelp =
    "expected <metric>_<statistic>_ms with metric ttft, tpot, itl or e2el and statistic mean, median "
    "or pNN (e.g. ttft_p90_ms, tpot_p99_ms, e2el_mean_ms)";

// "ttft_p99.9_ms" -> {ttft, percentile, 99.9}; nullopt when the key has another shape.
std::optional<LatencyBound> bound_from_key(const std::string& key) {
  if (!key.ends_with("_ms")) return std::nullopt;
  const std::string body = key.substr(0, key.size() - 3);
  const auto underscore = body.find('_');
  if (underscore == std::string::npos) return std::nullopt;
  const std::string metric = body.substr(0, underscore), stat = body.substr(underscore + 1);
  LatencyBound bound;
  bound.key = key;
  if (metric == "ttft") bound.metric = LatencyMetric::ttft;
  else if (metric == "tpot") bound.metric = LatencyMetric::tpot;
  else if (metric == "itl") bound.metric = LatencyMetric::itl;
  else if (metric == "e2el") bound.metric = LatencyMetric::e2el;
  else return std::nullopt;
  if (stat == "mean") {
    bound.stat = StatKind::mean;
  } else if (stat == "median") {
    bound.stat = StatKind::median;
  } else if (stat.size() > 1 && stat[0] == 'p') {
    try {
      std::size_t used = 0;
      bound.percentile = std::stod(stat.substr(1), &used);
      if (used != stat.size() - 1 || !(bound.percentile > 0 && bound.percentile < 100)) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
    bound.stat = StatKind::percentile;
  } else {
    return std::nullopt;
  }
  return bound;
}

const Stat& stat_of(LatencyMetric metric, const RunMetrics& m) {
  switch (metric) {
    case LatencyMetric::ttft: return m.ttft_ms;
    case LatencyMetric::tpot: return m.tpot_ms;
    case LatencyMetric::itl: return m.itl_ms;
    case LatencyMetric::e2el: return m.e2el_ms;
  }
  return m.ttft_ms;
}

}  // namespace

CapacitySpec parse_capacity(StrictMap& map) {
  CapacitySpec spec;
  if (auto slo = map.opt_map("slo")) {
    bool all_read = true;
    for (const auto& key : slo->keys()) {
      std::optional<LatencyBound> bound = bound_from_key(key);
      const std::optional<double> max_ms = slo->opt_double(key, positive_milliseconds());
      if (!bound) {
        const InputError error(slo->pos_of(key), slo->path_of(key), "unknown bound '" + key + "': " + kBoundHelp);
        if (slo->diagnostics() == nullptr) throw error;
        slo->diagnostics()->add(error);  // and go on: the other bounds are checked too
      }
      all_read = all_read && bound && max_ms;
      if (bound && max_ms) {
        bound->max_ms = *max_ms;
        spec.bounds.push_back(*bound);
      }
    }
    if (all_read && spec.bounds.empty()) map.fail("slo", std::string("give at least one bound: ") + kBoundHelp);
  }
  spec.min_attainment = map.opt_double("min_attainment", fraction());
  if (!map.has("slo") && !spec.min_attainment)
    map.raise(InputError(map.pos(), map.key_path(),
                         "say what capacity means: an slo (e.g. {ttft_p90_ms: 2000, tpot_p99_ms: 100}) and/or "
                         "min_attainment (the share of requests meeting simulation.slo)"));
  spec.low = map.get_double("low", rate_per_second());
  spec.high = map.get_double("high", rate_per_second());
  if (spec.high <= spec.low)
    map.fail("high", fmt::format("must be greater than low ({})", spec.low));
  spec.tolerance = map.opt_double("tolerance", {0.001, 0.5, false}).value_or(0.02);
  spec.pd_splits = map.opt_bool("pd_splits").value_or(false);
  map.reject_unknown_keys({"slo", "min_attainment", "low", "high", "tolerance", "pd_splits"});
  return spec;
}

std::vector<double> percentiles_needed(const CapacitySpec& spec) {
  std::vector<double> out;
  for (const auto& bound : spec.bounds)
    if (bound.stat == StatKind::percentile && std::find(out.begin(), out.end(), bound.percentile) == out.end())
      out.push_back(bound.percentile);
  return out;
}

double bound_value(const LatencyBound& bound, const RunMetrics& metrics, const std::vector<double>& percentiles) {
  const Stat& stat = stat_of(bound.metric, metrics);
  switch (bound.stat) {
    case StatKind::mean: return stat.mean;
    case StatKind::median: return stat.median;
    case StatKind::percentile:
      for (std::size_t i = 0; i < percentiles.size() && i < stat.percentiles.size(); ++i)
        if (percentiles[i] == bound.percentile) return stat.percentiles[i];
      break;
  }
  throw InternalError("capacity: percentile " + std::to_string(bound.percentile) + " was not computed");
}

}  // namespace llmpo
