#pragma once
// `search` for a disaggregated deployment: with each pool's GPU and instance shape fixed, the
// cheapest (prefill instances, decode instances) pair that carries the target rate within the
// SLOs - the P:D ratio and the scale together.
//
// Passing is taken to be monotone in both counts (another instance of either pool never makes a
// deployment fail; true up to simulation noise), so the passing pairs form a staircase region
// and the cheapest pair is on its edge. The search, every probe a simulation at the target rate:
//   1. k = 1, 2, 4, ... up to max_replicas until k prefill + k decode instances pass;
//   2. by bisection, the fewest prefill instances passing with k decode ones (P_min), and the
//      fewest decode instances passing with k prefill ones (D_min);
//   3. along the edge from (P_min, k): a pass steps down one decode instance, a failure adds one
//      prefill instance, until P > k or D < D_min - at most 2k probes, each pair probed once.
// The cheapest passing pair (then the fewer GPUs, then the lower first SLO statistic) is the
// answer; its capacity is then bisected between the target and 4x the target.
#include "capacity_search.hpp"
#include "config_search.hpp"

namespace llmpo {

// Fills `out` (replicas = prefill instances, decode_replicas, num_gpus, cost, capacity, SLO
// statistics at the target, status and reason) for the disaggregated `run` of `plan`, whose
// instance counts are ignored. out.price_per_gpu_hour and out.decode_price_per_gpu_hour are set.
void search_pool_sizes(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& slo, const SearchSpec& search,
                       RunExecutor& executor, SearchCandidate& out, RunControl* control);

}  // namespace llmpo
