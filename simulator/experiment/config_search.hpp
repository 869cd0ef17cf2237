#pragma once
// `llmperforacle search`: the cheapest deployment that carries a target request rate within the
// file's `capacity:` SLOs, over a space of GPU types, tensor/pipeline-parallel degrees, replica
// counts and vLLM knobs.
//
// search:
//   target_rate_per_s: 3                 # the traffic to carry
//   gpus: [H100-SXM, A100-80GB-SXM, L40S]
//   tensor_parallel_degree: [1, 2, 4, 8] # default [1, 2, 4, 8]
//   pipeline_parallel_degree: [1]        # default [1]
//   max_num_seqs: [128, 256]             # vLLM knobs, each optional (default: the entry's own)
//   max_num_batched_tokens: [2048, 8192]
//   enable_chunked_prefill: [true, false]
//   max_replicas: 64                     # default 64
//   prices_per_gpu_hour_usd: {H100-SXM: 2.5}   # default: the GPU library's price_per_hour_usd
//   top: 10                              # rows of the printed ranking, default 10
//   prefill_tensor_parallel_degree: [4, 8]  # disaggregated entries: each pool's TP degrees
//   decode_tensor_parallel_degree: [8]      #   (default: tensor_parallel_degree)
//   decode_gpus: [H200]                     #   and the decode pool's GPUs (default: the prefill's)
//
// Each candidate (a frameworks_to_test entry x GPU x TP x PP x knobs) is planned as its own
// one-deployment experiment: one that cannot be planned (the model does not fit, TP does not
// divide the heads) is pruned before anything is simulated, with the planner's reason. The others
// get their per-replica capacity by bisection (capacity_search.hpp); replicas = ceil(target /
// capacity), and the deployment with that many replicas (round-robin) is then simulated at the
// target rate; if that fails, one more replica is tried, twice at most. A disaggregated entry
// (config.prefill / decode) is searched over both pools' GPUs and TP degrees, and for each layout
// the cheapest prefill and decode instance counts are found at the target rate
// (config_search_pd.hpp).
#include <optional>
#include <string>
#include <vector>

#include "capacity_search.hpp"
#include "libraries.hpp"
#include "search_spec.hpp"

namespace llmpo {

struct SearchCandidate {
  std::string framework;     // the frameworks_to_test entry's name
  std::string gpu;
  int64_t tensor_parallel = 1, pipeline_parallel = 1;
  std::string knobs;         // "max_num_seqs=128;max_num_batched_tokens=8192" ("" = the entry's)
  std::string status;        // "ok", "pruned", "infeasible"
  std::string reason;        // why pruned or infeasible
  double capacity_per_replica = 0;
  int64_t replicas = 0;
  double price_per_gpu_hour = 0, cost_per_hour = 0;
  double capacity_total = 0;          // per-replica capacity x replicas
  double requests_per_dollar = 0;     // capacity_total / cost_per_hour, in req/s per $/h
  std::vector<double> bound_values;   // at the target rate, with `replicas` replicas
  double latency_ms = 0;              // the first bound's value (or mean E2EL): the frontier's axis
  bool pareto = false;
  // Probes (bisection and target checks) that ran past saturation (capacity_search.hpp's
  // `overloaded`); a failing one's reason says so, with its arrival and completion rates.
  int64_t overloaded_probes = 0;
  int64_t num_gpus = 0;               // of the deployment found (both pools when disaggregated)
  // A disaggregated entry: gpu, tensor_parallel and replicas above are the prefill pool's, these
  // the decode pool's (config_search_pd.hpp chooses both counts).
  bool disaggregated = false;
  std::string decode_gpu;
  int64_t decode_tensor_parallel = 0, decode_replicas = 0;
  double decode_price_per_gpu_hour = 0;
};

// Every candidate in space order; feasible ones carry their cost, and the cost-latency frontier
// is marked.
std::vector<SearchCandidate> search_configurations(const ExperimentFile& file, const Libraries& libraries,
                                                   const SearchSpec& search, int jobs, RunControl* control);

}  // namespace llmpo
