#pragma once
// Executes the runs of a plan: generates each distinct workload once, builds a fresh set of
// replicas for every run (nothing is shared between runs, so each is an isolated simulation)
// and computes the run's metrics.
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "experiment_plan.hpp"
#include "simulator/core/simulation.hpp"
#include "simulator/workload/workload.hpp"

namespace llmpo {

struct RunOutcome {
  const RunSpec* run = nullptr;
  RunResult result;
  RunMetrics metrics;
};

// Whether a framework with these settings looks each new request's prefix up in a cache (and
// so has prefix-cache figures, vLLM's PrefixCacheStats): vLLM with enable_prefix_caching, and
// any framework whose settings carry enable_prefix_caching or disable_radix_cache (SGLang's
// flag) set that way; frameworks without either knob cache nothing.
bool looks_up_prefixes(const FrameworkSettings& settings);

class RunExecutor {
 public:
  RunExecutor(const ExperimentPlan& plan, const Libraries& libraries, bool bulk_decode = true);

  // The requests of workload `index`, generated on first use with the plan's clip length.
  // Thread-safe. A workload stays in memory until release() was called once for each of the
  // runs that use it (execute_runs does), so a long sweep holds only the workloads in use.
  const Workload& workload(int64_t index);
  void release(int64_t index);
  // Thread-safe: everything it builds is its own; the workload is shared read-only. With
  // free_copied_requests, a run that is the last to use its workload (every other run of it
  // released) frees the workload's requests once its simulation has copied them.
  RunOutcome execute(const RunSpec& run, RunControl* control = nullptr);
  // For callers that release() each run after using its outcome and workload (execute_runs),
  // and read only Workload::request_count() there, not its requests.
  void set_free_copied_requests(bool on) { free_copied_requests_ = on; }
  // The run on other requests and with other metrics options (capacity probes vary the load).
  // requests_copied: see SimulationOptions.
  RunOutcome execute_with(const RunSpec& run, const Workload& requests, const MetricsOptions& metrics,
                          RunControl* control = nullptr, std::function<void()> requests_copied = {}) const;
  // Keep every inter-token gap one by one in RunResult::itl (vLLM's detailed `itls`; memory
  // grows with tokens).
  void set_record_itl_samples(bool on) { record_itl_samples_ = on; }
  // The fresh replicas (framework policy + step cost) a run simulates; `step` prices one step
  // with the very cost object a simulation would use.
  std::vector<Replica> build_replicas(const RunSpec& run, const SimulationSettings& simulation) const;

 private:
  // The replicas of one pool (an aggregated deployment's only one).
  // acceptance_seed: speculative decoding's draws, the run's workload seed (a P/D decode pool
  // has no workload of its own).
  std::vector<Replica> build_pool(const RunSpec& run, const SimulationSettings& simulation, uint64_t acceptance_seed) const;

  const ExperimentPlan& plan_;
  const Libraries& libraries_;
  bool bulk_decode_;
  bool record_itl_samples_ = false;
  bool free_copied_requests_ = false;
  // Guards the two maps, and a workload's release_requests() (a workload is otherwise read-only
  // once built).
  std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<Workload>> workloads_;
  std::map<int64_t, int64_t> runs_left_;  // per workload: runs not yet released
};

}  // namespace llmpo
