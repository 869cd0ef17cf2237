#include "bench_load.hpp"

#include <cmath>

#include <fmt/format.h>

namespace llmpo {

std::string OpenLoad::rate_text() const { return std::isinf(rate_per_s) ? "inf" : fmt::format("{:g}", rate_per_s); }

std::string bench_workload_yaml(const std::string& arrival, int64_t requests, int64_t prompt, int64_t gen) {
  return fmt::format("{{arrival: {}, num_requests: {}, prompt_tokens: {{distribution: fixed, value: {}}}, "
                     "output_tokens: {{distribution: fixed, value: {}}}}}",
                     arrival, requests, prompt, gen);
}

std::string closed_loop_yaml(int64_t clients, int64_t requests, int64_t prompt, int64_t gen) {
  return bench_workload_yaml(fmt::format("{{process: closed_loop, clients: {}, think_time_s: 0}}", clients), requests,
                             prompt, gen);
}

std::string open_loop_yaml(const OpenLoad& load, int64_t requests, int64_t prompt, int64_t gen) {
  if (std::isinf(load.rate_per_s))
    return closed_loop_yaml(load.max_concurrency.value_or(requests), requests, prompt, gen);
  const std::string arrival =
      load.burstiness == 1 ? fmt::format("{{process: poisson, rate_per_s: {}}}", load.rate_per_s)
                           : fmt::format("{{process: gamma, rate_per_s: {}, burstiness: {}}}", load.rate_per_s, load.burstiness);
  return bench_workload_yaml(arrival, requests, prompt, gen);
}

}  // namespace llmpo
