// A workload's requests are freed once the last run to use them has its own copy
// (Workload::release_requests, RunExecutor::set_free_copied_requests, used by execute_runs): a
// run then holds its requests once, not twice. What the outputs read of the workload afterwards
// (its request count and last fixed arrival) answers as before, and the run is unchanged.
#include <catch2/catch.hpp>

#include "experiment_helpers.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/experiment/vllm_result.hpp"

using namespace llmpo;

namespace {

ExperimentPlan two_runs_plan(const Libraries& libraries) {
  return plan_experiment(read_experiment_text(test::kTwoFrameworks, "<test>", {}), libraries);
}

}  // namespace

TEST_CASE("workload release: the count and the last fixed arrival outlive the requests") {
  Workload w;
  for (int32_t i = 0; i < 3; ++i) {
    Request r;
    r.id = i;
    r.arrival_ns = (i + 1) * kNsPerSecond;
    r.prompt_tokens = 10;
    r.output_tokens = 5;
    w.requests.push_back(r);
  }
  // Without a rate of its own (a trace's arrivals), vLLM's request_rate is requests / last arrival.
  const WorkloadSpec trace_like;
  REQUIRE(vllm_traffic(trace_like, w).request_rate == 1.0);
  w.release_requests();
  CHECK(w.requests.empty());
  CHECK(w.requests_released());
  CHECK(w.request_count() == 3);
  CHECK(w.last_fixed_arrival_ns() == 3 * kNsPerSecond);
  CHECK(vllm_traffic(trace_like, w).request_rate == 1.0);
  w.release_requests();  // again: nothing changes
  CHECK(w.request_count() == 3);
}

TEST_CASE("workload release: execute_runs frees a workload's requests in its last run only, the runs unchanged") {
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = two_runs_plan(libraries);
  REQUIRE(plan.runs.size() == 2);
  REQUIRE(plan.runs[0].workload_index == plan.runs[1].workload_index);

  // The same runs by an executor that keeps the workload: the reference.
  RunExecutor keeper(plan, libraries);
  std::vector<RunOutcome> expected;
  for (const auto& run : plan.runs) expected.push_back(keeper.execute(run));
  REQUIRE_FALSE(keeper.workload(plan.runs[0].workload_index).requests_released());

  RunExecutor executor(plan, libraries);
  std::vector<bool> released;
  std::vector<std::size_t> counts;
  std::vector<RunOutcome> outcomes;
  execute_runs(plan, executor, 1, [&](RunOutcome& outcome, const Workload& workload) {
    released.push_back(workload.requests_released());
    counts.push_back(workload.request_count());
    outcomes.push_back(std::move(outcome));
  });
  // One thread: the first run's workload is still needed by the second, which frees it.
  CHECK(released == std::vector<bool>{false, true});
  CHECK(counts == std::vector<std::size_t>{400, 400});
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(outcomes[i].result.requests.size() == 400);
    for (std::size_t id = 0; id < 400; ++id) {
      const RequestState& got = outcomes[i].result.requests[id];
      const RequestState& want = expected[i].result.requests[id];
      REQUIRE(got.request.arrival_ns == want.request.arrival_ns);
      REQUIRE(got.first_token_ns == want.first_token_ns);
      REQUIRE(got.completion_ns == want.completion_ns);
    }
    CHECK(outcomes[i].metrics.ttft_ms.mean == expected[i].metrics.ttft_ms.mean);
  }
}
