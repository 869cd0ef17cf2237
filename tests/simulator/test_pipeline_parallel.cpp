// Pipeline parallelism as vLLM V1 runs it: max_concurrent_batches = PP size micro-batches in
// flight, a new one entering the first stage as soon as the previous one leaves it, and no
// request scheduled in two micro-batches at once (its next token is not known yet).
// Timings by hand: two stages, each 5 ms + 1 ms per new token.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

class TwoStageCost final : public StepCost {
 public:
  SimTime step_time_ns(const StepShape& shape) const override { return 2 * stage(shape); }
  void stage_times_ns(const StepShape& shape, std::vector<SimTime>& out) const override { out.assign(2, stage(shape)); }

 private:
  static SimTime stage(const StepShape& shape) { return (5 + static_cast<SimTime>(shape.new_tokens())) * kMsNs; }
};

RunResult run_pipeline(const Workload& w, int64_t depth) {
  std::vector<Replica> replicas(1);
  replicas[0].framework = make_framework(vllm(100), KvCacheCapacity{100, 16, 1 << 20, {}}, 0);
  replicas[0].cost = std::make_unique<TwoStageCost>();
  replicas[0].pipeline_depth = depth;
  SimulationOptions options;
  options.record_itl_samples = true;
  Simulation simulation(w, std::move(replicas), options);
  return simulation.run();
}

}  // namespace

TEST_CASE("pipeline parallelism: a second micro-batch enters the first stage while the first is in the second") {
  // A at 0 and B at 1 ms, each prompt 4, output 3.
  //   mb 1  A prefill   stage 0  0 ->  9, stage 1  9 -> 18   A token 1 at 18
  //   mb 2  B prefill   stage 0  9 -> 18, stage 1 18 -> 27   (A is in flight: not in mb 2)
  //   mb 3  A decode    stage 0 18 -> 24, stage 1 27 -> 33   (stage 1 busy with mb 2 until 27)
  //   mb 4  B decode    stage 0 27 -> 33, stage 1 33 -> 39
  //   mb 5  A decode    stage 0 33 -> 39, stage 1 39 -> 45   A done at 45
  //   mb 6  B decode    stage 0 39 -> 45, stage 1 45 -> 51   B done at 51
  const Workload w = open_loop({{0, 4, 3}, {1, 4, 3}});
  const RunResult pp = run_pipeline(w, 2);
  CHECK(ms(pp.requests[0].first_token_ns) == 18);
  CHECK(ms(pp.requests[1].first_scheduled_ns) == 9);
  CHECK(ms(pp.requests[1].first_token_ns) == 27);
  CHECK(ms(pp.requests[0].completion_ns) == 45);
  CHECK(ms(pp.requests[1].completion_ns) == 51);
  CHECK(pp.steps == 6);
  CHECK(pp.peak_batch_sequences == 1);  // never both in one micro-batch

  // One batch at a time (the whole pipeline, 10 ms + 2 ms per token, per step):
  //   0 -> 18 A prefill; 18 -> 38 A decode + B prefill; 38 -> 52 both decode (A done);
  //   52 -> 64 B decode (B done).
  const RunResult serial = run_pipeline(w, 1);
  CHECK(ms(serial.requests[0].completion_ns) == 52);
  CHECK(ms(serial.requests[1].completion_ns) == 64);
  CHECK(serial.steps == 4);
}
