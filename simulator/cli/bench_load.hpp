#pragma once
// What `bench` sends: the workload (YAML, the experiment file's `workload:` section) of a
// closed-loop level or of an open-loop rate as `vllm bench serve` sends it.
#include <cstdint>
#include <optional>
#include <string>

namespace llmpo {

// One open-loop load: --request-rate R with --burstiness and --max-concurrency.
struct OpenLoad {
  double rate_per_s = 0;  // +inf: every request at t = 0
  double burstiness = 1;
  std::optional<int64_t> max_concurrency;
  std::string rate_text() const;  // "4", "0.5", "inf"
};

// `requests` requests of `prompt` + `gen` tokens.
std::string bench_workload_yaml(const std::string& arrival, int64_t requests, int64_t prompt, int64_t gen);
// N clients sending back to back, no think time.
std::string closed_loop_yaml(int64_t clients, int64_t requests, int64_t prompt, int64_t gen);
// The workload vLLM's client would send (vllm/benchmarks/serve.py get_request). A finite rate is
// the workload's poisson process (gaps Exp(R)) or, for B != 1, its gamma process (gaps
// Gamma(shape B, scale 1/(R B)), as np.random.gamma(shape=burstiness, scale=1/(rate*burstiness)));
// inf sends all at once: a closed loop of one client per request sends each at t = 0, or of C
// clients under --max-concurrency C (the semaphore lets C through, the next as one finishes).
// vLLM then rescales the gaps so that the last send falls at exactly N/R ("normalize_factor");
// the workload's processes do not, so a run's mean rate is R up to sampling (about 1/sqrt(N)).
std::string open_loop_yaml(const OpenLoad& load, int64_t requests, int64_t prompt, int64_t gen);

}  // namespace llmpo
