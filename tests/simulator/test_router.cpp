// Router policies (simulator/core/router.hpp), vllm_dp_lb worked by hand from vLLM's
// core_client.py rule: lowest 4 x waiting + running, ties to the lowest index.
#include <catch2/catch.hpp>

#include <vector>

#include "simulator/core/router.hpp"

using namespace llmpo;

namespace {

// A replica whose queue lengths the test sets.
class FakeReplica final : public Framework {
 public:
  bool admit(RequestState&, SimTime) override { return true; }
  bool plan_step(SimTime, StepPlan&, SimTime&) override { return false; }
  void complete_step(SimTime, const StepPlan&, StepEvents&) override {}
  FrameworkStats stats() const override { return s; }
  void check_invariants() const override {}
  FrameworkStats s;
};

}  // namespace

TEST_CASE("router: vllm_dp_lb sends each request to the lowest 4 x waiting + running") {
  std::vector<FakeReplica> replicas(3);
  std::vector<Framework*> ptrs = {&replicas[0], &replicas[1], &replicas[2]};
  const std::vector<int64_t> outstanding(3, 0);
  Router router(RouterPolicy::vllm_dp_lb);
  std::vector<int32_t> picks;
  auto route = [&] {
    const int32_t i = router.pick(ptrs, outstanding);
    replicas[static_cast<std::size_t>(i)].s.waiting += 1;  // the request waits there
    picks.push_back(i);
  };
  route();  // scores 0, 0, 0 -> 0 (tie, lowest index)
  route();  // 4, 0, 0 -> 1
  route();  // 4, 4, 0 -> 2
  replicas[2].s.waiting = 0;  // replica 2 starts its request: 4, 4, 1
  replicas[2].s.running = 1;
  route();  // -> 2; then 4, 4, 5
  route();  // -> 0; then 8, 4, 5
  route();  // -> 1; then 8, 8, 5
  route();  // -> 2; then 8, 8, 9
  route();  // -> 0 (8 = 8, lowest index)
  CHECK(picks == std::vector<int32_t>{0, 1, 2, 2, 0, 1, 2, 0});
}

TEST_CASE("router: vllm_dp_lb prefers three running requests to one waiting, unlike least_outstanding") {
  std::vector<FakeReplica> replicas(2);
  replicas[0].s.running = 3;  // score 3, 3 outstanding
  replicas[1].s.waiting = 1;  // score 4, 1 outstanding
  std::vector<Framework*> ptrs = {&replicas[0], &replicas[1]};
  const std::vector<int64_t> outstanding = {3, 1};
  CHECK(vllm_dp_lb_score(replicas[0].s) == 3);
  CHECK(vllm_dp_lb_score(replicas[1].s) == 4);
  Router vllm(RouterPolicy::vllm_dp_lb);
  CHECK(vllm.pick(ptrs, outstanding) == 0);
  Router fewest(RouterPolicy::least_outstanding);
  CHECK(fewest.pick(ptrs, outstanding) == 1);
  CHECK(router_policy_from("vllm_dp_lb") == RouterPolicy::vllm_dp_lb);
  CHECK(to_string(RouterPolicy::vllm_dp_lb) == "vllm_dp_lb");
}
