#pragma once
// Drives a Framework by hand in tests: requests with stable addresses, and one step = plan at
// `now`, complete at `now + 1 ms`, then check_invariants(). Times are chosen by the test, so
// every expectation can be worked out on paper.
#include <deque>

#include "frameworks/framework.hpp"

namespace llmpo::test {

inline constexpr SimTime kMs = 1'000'000;

class FrameworkDriver {
 public:
  explicit FrameworkDriver(Framework& framework) : framework_(framework) {}

  // A request owned by the driver (a deque keeps addresses stable as it grows).
  RequestState& request(int32_t prompt_tokens, int32_t output_tokens, SimTime arrival_ns = 0) {
    RequestState& r = requests_.emplace_back();
    r.request.id = static_cast<int32_t>(requests_.size()) - 1;
    r.request.arrival_ns = arrival_ns;
    r.request.prompt_tokens = prompt_tokens;
    r.request.output_tokens = output_tokens;
    return r;
  }

  bool admit(RequestState& r) { return framework_.admit(r, r.request.arrival_ns); }

  // Plans a step at `now`; false when there is nothing to run (wake_at_ns says until when).
  bool plan(SimTime now) {
    wake_at_ns = -1;
    return framework_.plan_step(now, plan_, wake_at_ns);
  }
  // Completes the planned step at `now` and checks the framework's invariants.
  void complete(SimTime now) {
    framework_.complete_step(now, plan_, events_);
    framework_.check_invariants();
  }
  // Plans and completes one step that must exist.
  bool step(SimTime now) {
    if (!plan(now)) return false;
    complete(now + kMs);
    return true;
  }

  const StepPlan& last_plan() const { return plan_; }
  const StepEvents& events() const { return events_; }
  bool emitted(const RequestState& r) const { return contains(events_.emitted, r); }
  bool finished(const RequestState& r) const { return contains(events_.finished, r); }
  // New tokens scheduled for r in the last plan; 0 when r is not in it.
  int32_t scheduled(const RequestState& r) const {
    for (const auto& seq : plan_.sequences)
      if (seq.request == &r) return seq.new_tokens;
    return 0;
  }
  int32_t cached(const RequestState& r) const {
    for (const auto& seq : plan_.sequences)
      if (seq.request == &r) return seq.cached_tokens;
    return -1;
  }

  SimTime wake_at_ns = -1;

 private:
  static bool contains(const std::vector<RequestState*>& list, const RequestState& r) {
    for (const RequestState* x : list)
      if (x == &r) return true;
    return false;
  }
  Framework& framework_;
  std::deque<RequestState> requests_;
  StepPlan plan_;
  StepEvents events_;
};

}  // namespace llmpo::test
