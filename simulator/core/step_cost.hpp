#pragma once
// How long an engine step takes. The simulation only sees this interface: the roofline cost
// model in production, a linear model for what-if studies and for tests whose timings are
// worked out by hand.
#include <algorithm>
#include <memory>
#include <vector>

#include "hardware/cost_model.hpp"
#include "hardware/step_shape.hpp"
#include "time.hpp"

namespace llmpo {

class StepCost {
 public:
  virtual ~StepCost() = default;
  virtual SimTime step_time_ns(const StepShape& shape) const = 0;
  // The step's time on each pipeline stage in order (each stage's compute plus its outgoing
  // transfer), adding up to step_time_ns. One stage unless the cost models pipeline parallelism.
  virtual void stage_times_ns(const StepShape& shape, std::vector<SimTime>& out) const {
    out.assign(1, step_time_ns(shape));
  }
  // A decode run's steps (simulation_decode_run.cpp): start_decode_run with its first step's
  // shape, then decode_run_step_ns for each step's shape, which differs from the first only in
  // the decode load's kv tokens and pairs. The same durations as step_time_ns; a cost model may
  // work out what the steps share once (by default each step is timed afresh).
  virtual void start_decode_run(const StepShape& /*first*/) const {}
  virtual SimTime decode_run_step_ns(const StepShape& shape) const { return step_time_ns(shape); }
};

// The roofline cost model plus a framework's own per-step CPU overhead. A step runs through
// every pipeline stage before the next is planned (micro-batch overlap across stages is not
// modelled), so its duration is the breakdown's latency.
class RooflineStepCost final : public StepCost {
 public:
  RooflineStepCost(CostModel model, SimTime framework_overhead_ns)
      : model_(std::move(model)), overhead_ns_(framework_overhead_ns) {}
  SimTime step_time_ns(const StepShape& shape) const override {
    // At least one tick, as LinearStepCost: a step of zero time would never advance the clock.
    return std::max<SimTime>(duration_to_ns(model_.step_time_s(shape)), 1) + overhead_ns_;
  }
  const CostModel& model() const { return model_; }

 private:
  CostModel model_;
  SimTime overhead_ns_;
};

// base + per new token + per sequence + per KV token read: simple enough to work out by hand.
struct LinearCostParams {
  double base_s = 0;
  double per_new_token_s = 0;
  double per_sequence_s = 0;
  double per_kv_token_s = 0;
};

class LinearStepCost final : public StepCost {
 public:
  explicit LinearStepCost(LinearCostParams params, SimTime framework_overhead_ns = 0)
      : p_(params), overhead_ns_(framework_overhead_ns) {}
  SimTime step_time_ns(const StepShape& shape) const override {
    const double kv_tokens = shape.prefill.kv_tokens + shape.decode.kv_tokens;
    // At least one tick: a step of zero time would let a replica run unboundedly many steps at
    // one instant (base_ms: 0 with no other terms). Saturating: the simulation reports a clock
    // past kMaxSimTimeNs as an input error.
    const SimTime ns = duration_to_ns(p_.base_s + p_.per_new_token_s * shape.new_tokens() +
                                      p_.per_sequence_s * shape.num_seqs() + p_.per_kv_token_s * kv_tokens);
    return std::max<SimTime>(ns, 1) + overhead_ns_;
  }

 private:
  LinearCostParams p_;
  SimTime overhead_ns_;
};

}  // namespace llmpo
