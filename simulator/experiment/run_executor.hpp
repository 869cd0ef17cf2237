#pragma once
// Executes the runs of a plan: generates each distinct workload once, builds a fresh set of
// replicas for every run (nothing is shared between runs, so each is an isolated simulation)
// and computes the run's metrics.
#include <map>
#include <memory>

#include "experiment_plan.hpp"
#include "simulator/core/simulation.hpp"
#include "simulator/workload/workload.hpp"

namespace llmpo {

struct RunOutcome {
  const RunSpec* run = nullptr;
  RunResult result;
  RunMetrics metrics;
};

class RunExecutor {
 public:
  RunExecutor(const ExperimentPlan& plan, const Libraries& libraries, bool bulk_decode = true);

  // The requests of workload `index`, generated on first use with the plan's clip length.
  // Not thread-safe on first use: execute_runs() generates every workload before its threads.
  const Workload& workload(int64_t index);
  // Thread-safe once the run's workload exists: everything else it builds is its own.
  RunOutcome execute(const RunSpec& run);

 private:
  std::vector<Replica> build_replicas(const RunSpec& run, const SimulationSettings& simulation) const;

  const ExperimentPlan& plan_;
  const Libraries& libraries_;
  bool bulk_decode_;
  std::map<int64_t, std::unique_ptr<Workload>> workloads_;
};

}  // namespace llmpo
