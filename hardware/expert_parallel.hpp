#pragma once
// The MoE layer of a data-parallel + expert-parallel deployment (vLLM --data-parallel-size D
// --enable-expert-parallel): how routed tokens travel between ranks and how unevenly they land.
// E routed experts, top-k per token, h hidden size, R = EP = TP x D ranks, G GPUs per node,
// T tokens of one DP rank in this step. Assumption (lockstep, not simulated): every DP rank
// carries the same T tokens, so the group routes N = D x T x k token-expert assignments.
//
// Expert placement (vLLM determine_expert_map, vllm/model_executor/layers/fused_moe/layer.py,
// "linear"): rank r holds floor(E / R) experts, one more for r < E mod R.
//
// Destinations of one token (k experts drawn without replacement, group sizes g_r):
//   D = sum_r 1 - C(E - g_r, k) / C(E, k);   remote destinations D_remote = D (R - 1) / R
//
// Dispatch and combine, bytes one rank sends (backend = vLLM --all2all-backend):
//   allgather_reducescatter (vLLM's default, AgRsAll2AllManager): the DP group all-gathers every
//     rank's hidden states and reduce-scatters the expert outputs, both in the activation dtype b:
//       dispatch = combine = (D - 1) T h b over D peers
//   deepep_high_throughput: each of the T / TP tokens a rank dispatches goes once to every remote
//     rank holding one of its experts, FP8 with one fp32 scale per 128 elements; the combine
//     returns BF16:  dispatch = T/TP D_remote (h + 4 ceil(h / 128)),  combine = T/TP D_remote 2 h
//   deepep_low_latency: one copy per routed expert, not per rank (D_remote = k (R - 1) / R),
//     same element sizes.
// No dispatch or combine runs when D = 1: the TP ranks already hold every token and the TP
// all-reduce after the layer sums the experts' outputs.
//
// Time of an exchange of S bytes per rank over P peers, n of them in the rank's node (n = P when
// the group fits in a node), on the preset's protocols (hardware/interconnect.hpp, fastest of
// Simple and LL; NVLS does not apply to all-to-all):
//   a2a(S, P, link) = latency + latency_per_rank (P - 1) + S / (efficiency x link rate)
//   time = a2a(S (n - 1) / (P - 1), n, NVLink)                  when n = P
//        = max(a2a(S (n - 1) / (P - 1), n, NVLink),
//              a2a(S (P - n) / (P - 1), P - n + 1, RDMA))         otherwise (both run at once)
//
// Busiest rank (the MoE time is the slowest rank's, all ranks wait in the combine): with q the
// largest share of assignments one rank receives, its expected load is taken as
//   L = N q + z_R sqrt(N q (1 - q)),   z_R = Phi^-1((R - 0.375) / (R + 0.25))
// (binomial load, normal approximation, Blom's expected maximum of R standard normals), clamped to
// [N q, N]. uniform: q = ceil(E / R) / E. zipf(s): expert popularity ~ 1 / i^s placed at random
// expert ids; q = the mean over 256 fixed-seed placements of the largest rank share (a documented,
// deterministic estimate; vLLM's EPLB, --enable-eplb, exists to undo such skew and is not modelled:
// use uniform for an EPLB deployment with enough redundant experts).
// Its local experts see the L assignments spread uniformly: touched experts
//   t = g (1 - (1 - 1/g)^L),  g = ceil(E / R);  grouped GEMM of t instances with m = L / t rows,
// each paying its own M tile (kernel_timing.hpp gemm_min_tile_m) and reading t experts' weights.
#include <cstdint>
#include <vector>

#include "interconnect.hpp"
#include "models/model_spec.hpp"
#include "models/parallel_config.hpp"

namespace llmpo {

// Experts each rank holds under vLLM's linear placement.
std::vector<int64_t> experts_per_rank(int64_t experts, int64_t ranks);

// D above: expected distinct ranks a token's top-k experts live on.
double expected_destination_ranks(int64_t experts, int64_t top_k, int64_t ranks);

// q above: the largest share of routed assignments one rank receives.
double busiest_rank_share(int64_t experts, int64_t ranks, const ExpertLoad& load);

// L above, for N assignments.
double expected_busiest_rank_assignments(double assignments, double share, int64_t ranks);

// Blom's approximation of the expected maximum of n standard normal draws.
double expected_max_standard_normal(int64_t n);

// Bytes one rank sends in the dispatch and in the combine of one MoE layer.
struct MoeExchangeBytes {
  double dispatch = 0;
  double combine = 0;
  int64_t peers = 1;           // P above
  int64_t peers_per_node = 1;  // n above
};
MoeExchangeBytes moe_exchange_bytes(const ModelSpec& model, const ParallelConfig& parallel, double tokens,
                                    double act_bytes, int64_t gpus_per_node);

// The exchange time above; `inter_node` may be null when n = P.
double moe_exchange_time_s(double bytes, int64_t peers, int64_t peers_per_node, const CollectiveLink& intra_node,
                           const CollectiveLink* inter_node);

}  // namespace llmpo
