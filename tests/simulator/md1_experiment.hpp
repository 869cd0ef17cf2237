#pragma once
// The M/D/1 deployment that capacity, search and output-format tests share: one request at a
// time (max_num_seqs 1), each a single 10 ms step (linear cost model, one output token), so
// under Poisson arrivals TTFT = waiting time + 10 ms and queueing theory gives the answers.
#include <cstdint>
#include <string>

namespace llmpo::test {

// arrival: the workload's arrival mapping in flow style; sections: the capacity:/search: text
// that follows frameworks_to_test; extra_simulation: more `simulation:` lines, indented by two.
inline std::string md1_experiment(const std::string& name, const std::string& arrival, int64_t num_requests,
                                  const std::string& sections, const std::string& extra_simulation = "") {
  return "name: " + name + R"(
simulation:
  seed: 3
  cost_model: {type: linear, base_ms: 10}
)" + extra_simulation + R"(hardware:
  gpu0: {preset: H100-SXM}
workload:
  arrival: )" + arrival + R"(
  num_requests: )" + std::to_string(num_requests) + R"(
  prompt_tokens: {distribution: fixed, value: 16}
  output_tokens: {distribution: fixed, value: 1}
frameworks_to_test:
  - name: one_at_a_time
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, max_num_seqs: 1}
)" + sections;
}

// The M/D/1 deployment searched over three GPU types and TP 1, 3 for 150 req/s (mean TTFT bound
// 30 ms: 80 req/s per replica by Pollaczek-Khinchine; probes from 10 to 200 req/s).
inline std::string md1_search_experiment() {
  return md1_experiment("search_md1", "{process: poisson, rate_per_s: 10}", 10000, R"(capacity:
  slo: {ttft_mean_ms: 30}
  low: 10
  high: 200
search:
  target_rate_per_s: 150
  gpus: [H100-SXM, A100-80GB-SXM, A40]
  tensor_parallel_degree: [1, 3]
  prices_per_gpu_hour_usd: {A100-80GB-SXM: 1.5}
)");
}

}  // namespace llmpo::test
