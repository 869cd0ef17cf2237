#pragma once
// Builds small simulations whose every timestamp can be worked out on paper: hand-made
// requests, a framework built directly, and a linear step cost of base + per-token time.
#include <memory>
#include <vector>

#include "frameworks/framework_config.hpp"
#include "simulator/core/simulation.hpp"
#include "simulator/workload/workload.hpp"

namespace llmpo::test {

inline constexpr SimTime kMsNs = 1'000'000;

struct RequestSpec {
  double arrival_ms;
  int32_t prompt;
  int32_t output;
};

inline Workload open_loop(const std::vector<RequestSpec>& specs) {
  Workload w;
  w.classes.push_back({"default", 1.0, {}});
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Request r;
    r.id = static_cast<int32_t>(i);
    r.arrival_ns = instant_to_ns(specs[i].arrival_ms * 1e-3);
    r.prompt_tokens = specs[i].prompt;
    r.output_tokens = specs[i].output;
    w.requests.push_back(r);
  }
  return w;
}

// One replica of `settings` with `blocks` KV blocks of `block_size`, costing
// base_ms + per_token_ms x (new tokens) per step.
inline RunResult simulate(const Workload& workload, const FrameworkSettings& settings, int64_t blocks,
                          int64_t block_size, double base_ms, double per_token_ms, int64_t replicas = 1,
                          RouterPolicy router = RouterPolicy::round_robin, bool async_scheduling = false,
                          bool bulk_decode = true, SimTime measure_from_ns = 0) {
  std::vector<Replica> list;
  for (int64_t i = 0; i < replicas; ++i) {
    Replica replica;
    replica.framework = make_framework(settings, KvCacheCapacity{blocks, block_size, 1 << 20, {}}, 0);
    replica.cost = std::make_unique<LinearStepCost>(LinearCostParams{base_ms * 1e-3, per_token_ms * 1e-3, 0, 0});
    replica.async_scheduling = async_scheduling;
    list.push_back(std::move(replica));
  }
  SimulationOptions options;
  options.router = router;
  options.timeseries_interval_ns = 10 * kMsNs;
  options.record_itl_samples = true;
  options.bulk_decode = bulk_decode;
  options.measure_from_ns = measure_from_ns;
  Simulation simulation(workload, std::move(list), options);
  return simulation.run();
}

inline VllmSettings vllm(int64_t budget, int64_t max_seqs = 256, int64_t block_size = 16) {
  VllmSettings s;
  s.max_num_batched_tokens = budget;
  s.max_num_seqs = max_seqs;
  s.block_size = block_size;
  return s;
}

inline double ms(SimTime ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace llmpo::test
