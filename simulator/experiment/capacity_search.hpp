#pragma once
// `llmperforacle capacity`: for one deployment, the highest load (request rate, or clients of a
// closed loop) at which it meets the capacity SLOs without saturating, by bisection.
//
// Each probe replays the workload with the same seed and only the load changed (so probes
// differ only where the load makes them differ) and classifies the run:
//   overloaded  - past saturation, the verdict of `run`'s summary.csv (simulator/metrics/saturation.hpp):
//                 arrivals outpaced completions and the waiting queue grew beyond 3 sqrt(arrivals)
//   backlogged  - short of that, the waiting queue still grew over the arrival window (last third
//                 vs first third): too close to saturation to operate at
//   stable      - neither
// A probe passes when it is stable and meets every bound and the attainment target. The search
// assumes passing is monotone in the load (it is for these SLOs up to simulation noise): it
// checks `low` and `high`, then halves the bracket geometrically (rates) or arithmetically
// (clients) until it is narrower than the tolerance.
#include <string>
#include <vector>

#include "capacity_spec.hpp"
#include "run_executor.hpp"

namespace llmpo {

enum class LoadState { stable, backlogged, overloaded };
const char* to_string(LoadState state);

struct CapacityProbe {
  int step = 0;
  double load = 0;
  LoadState state = LoadState::stable;
  bool passed = false;
  std::string reason;                 // why it failed ("ttft_p90_ms 2310 > 2000", "overloaded: arrivals ...")
  std::vector<double> bound_values;   // aligned with CapacitySpec::bounds
  RunMetrics metrics;
};

struct CapacityResult {
  const RunSpec* run = nullptr;
  double capacity = 0;                // the highest passing load found; 0 when low fails
  std::string verdict;                // "bracketed", "fails at low", "passes at high"
  std::vector<CapacityProbe> probes;  // in the order run
  bool closed_loop = false;
};

// Throws InputError when the workload's load cannot be varied (a trace with arrivals, steps or
// ramp arrivals).
void check_capacity_workload(const WorkloadPlan& workload);

// One probe: the deployment at `load` (rate or clients), classified and checked (step left 0).
CapacityProbe probe_load(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& spec,
                         RunExecutor& executor, double load, RunControl* control);

CapacityResult find_capacity(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& spec,
                             RunExecutor& executor, RunControl* control);

}  // namespace llmpo
