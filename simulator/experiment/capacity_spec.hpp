#pragma once
// The `capacity:` section of an experiment file: what `llmperforacle capacity` searches for.
//
// capacity:
//   slo: {ttft_p90_ms: 2000, tpot_p99_ms: 100}  # bounds on statistics of the measured requests
//   min_attainment: 0.99    # and/or: this share of requests meets simulation.slo (per request)
//   low: 0.5                # search range: request rate (req/s) or clients (closed loop)
//   high: 64
//   tolerance: 0.02         # stop when (high - low) / low is below this
//   pd_splits: true         # a disaggregated deployment: also every other split of its GPUs
//                           # between prefill and decode instances (same total), best marked
//
// The searched quantity follows the workload: the arrival rate of an open-loop process
// (poisson, gamma, constant), the client count of a closed loop.
#include <optional>
#include <string>
#include <vector>

#include "simulator/metrics/run_metrics.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

enum class StatKind { mean, median, percentile };
enum class LatencyMetric { ttft, tpot, itl, e2el };

// One bound such as ttft_p90_ms <= 2000.
struct LatencyBound {
  std::string key;         // as written: "ttft_p90_ms"
  LatencyMetric metric = LatencyMetric::ttft;
  StatKind stat = StatKind::mean;
  double percentile = 0;   // for StatKind::percentile
  double max_ms = 0;
};

struct CapacitySpec {
  std::vector<LatencyBound> bounds;
  std::optional<double> min_attainment;  // needs an SLO in simulation.slo or every class
  double low = 0, high = 0;
  double tolerance = 0.02;
  bool pd_splits = false;
};

CapacitySpec parse_capacity(StrictMap& map);

// The percentiles the bounds need, to add to the metrics options.
std::vector<double> percentiles_needed(const CapacitySpec& spec);

// The value of a bound's statistic in `metrics` (computed with `percentiles`).
double bound_value(const LatencyBound& bound, const RunMetrics& metrics, const std::vector<double>& percentiles);

}  // namespace llmpo
