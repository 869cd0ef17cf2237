#pragma once
// Independent runs on several threads. Each run is its own Simulation with its own replicas and
// cost models; the only shared data are the plan, the libraries and the workloads, which are
// built once (under a lock), then only read, and freed after their last run. Results are keyed by run index, so the
// outputs do not depend on which thread finished first.
#include <functional>

#include "run_executor.hpp"

namespace llmpo {

// Calls `consume` once per run that `skip` does not exclude, from worker threads but never two
// at a time. With a control, no run starts after a stop request and the runs in flight end at
// their next check; Interrupted is then thrown once every thread has stopped. The last run of a
// workload frees its requests once simulated (RunExecutor::set_free_copied_requests): `consume`
// reads the workload's other fields and request_count(), never Workload::requests.
void execute_runs(const ExperimentPlan& plan, RunExecutor& executor, int jobs,
                  const std::function<void(RunOutcome&, const Workload&)>& consume,
                  const std::function<bool(int64_t run)>& skip = {}, RunControl* control = nullptr);

// Calls `work(i)` for every i in [0, count) on up to `jobs` threads (the caller's among them).
// The first exception is kept and rethrown once every thread has stopped; with a control, it
// also asks the others to stop at their next check, and each finished index counts as a run done.
void for_each_index(std::size_t count, int jobs, RunControl* control, const std::function<void(std::size_t)>& work);

// The number of threads to use when the user does not say: the machine's hardware threads.
int default_jobs();

}  // namespace llmpo
