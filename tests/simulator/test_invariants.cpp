// The simulation's own checks: a framework that loses a request or leaks KV blocks is caught
// at the end of the run as an internal error that names the request or replica, not turned
// into a quietly wrong number.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// A broken framework: accepts requests and never runs them; may also claim KV blocks in use.
class LosingFramework : public Framework {
 public:
  explicit LosingFramework(int64_t leaked_blocks) : leaked_blocks_(leaked_blocks) {}
  bool admit(RequestState& r, SimTime) override {
    // Rejecting every request but reporting blocks still in use: a KV leak.
    if (leaked_blocks_ > 0) {
      r.reject_reason = RejectReason::exceeds_kv_capacity;
      return false;
    }
    return true;  // swallowed: never planned, never finished
  }
  bool plan_step(SimTime, StepPlan&, SimTime&) override { return false; }
  void complete_step(SimTime, const StepPlan&, StepEvents&) override {}
  FrameworkStats stats() const override { return {0, 0, leaked_blocks_, 8, 0}; }
  void check_invariants() const override {}

 private:
  int64_t leaked_blocks_;
};

RunResult run_with(int64_t leaked_blocks) {
  const Workload workload = open_loop({{0, 10, 5}, {1, 10, 5}});
  std::vector<Replica> replicas(1);
  replicas[0].framework = std::make_unique<LosingFramework>(leaked_blocks);
  replicas[0].cost = std::make_unique<LinearStepCost>(LinearCostParams{1e-3, 0, 0, 0});
  Simulation simulation(workload, std::move(replicas), SimulationOptions{});
  return simulation.run();
}

}  // namespace

TEST_CASE("invariants: a request that neither completes nor is rejected is an internal error naming it") {
  CHECK_THROWS_AS(run_with(0), InternalError);
  CHECK_THROWS_WITH(run_with(0), Contains("request 0 arrived at 0 ns but neither completed nor was rejected"));
}

TEST_CASE("invariants: KV blocks still in use when every request is done is an internal error") {
  CHECK_THROWS_WITH(run_with(3), Contains("replica 0 ended with 0 running, 0 waiting, 3 KV blocks in use"));
}
