#include "expert_parallel.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace llmpo {

std::vector<int64_t> experts_per_rank(int64_t experts, int64_t ranks) {
  std::vector<int64_t> out(static_cast<std::size_t>(std::max<int64_t>(ranks, 1)), 0);
  if (ranks <= 0) return out;
  const int64_t base = experts / ranks;
  const int64_t remainder = experts % ranks;
  for (int64_t r = 0; r < ranks; ++r) out[static_cast<std::size_t>(r)] = base + (r < remainder ? 1 : 0);
  return out;
}

namespace {

// C(E - g, k) / C(E, k): the chance that none of a token's k distinct experts is among g given ones.
double miss_probability(int64_t experts, int64_t group, int64_t top_k) {
  double p = 1.0;
  for (int64_t i = 0; i < top_k; ++i) {
    const double num = static_cast<double>(experts - group - i);
    if (num <= 0) return 0.0;
    p *= num / static_cast<double>(experts - i);
  }
  return p;
}

// Standard normal CDF and its inverse by bisection (called once per cost model, not per step).
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double expected_destination_ranks(int64_t experts, int64_t top_k, int64_t ranks) {
  if (experts <= 0 || top_k <= 0 || ranks <= 0) return 0;
  double d = 0;
  for (int64_t g : experts_per_rank(experts, ranks)) d += 1.0 - miss_probability(experts, g, top_k);
  return d;
}

double expected_max_standard_normal(int64_t n) {
  if (n <= 1) return 0.0;
  const double r = static_cast<double>(n);
  return normal_quantile((r - 0.375) / (r + 0.25));
}

double busiest_rank_share(int64_t experts, int64_t ranks, const ExpertLoad& load) {
  if (experts <= 0 || ranks <= 1) return 1.0;
  const std::vector<int64_t> groups = experts_per_rank(experts, ranks);
  if (load.distribution == ExpertLoadDistribution::uniform)
    return static_cast<double>(groups.front()) / static_cast<double>(experts);
  // Zipf popularity, normalised; placed at random expert ids by a fixed-seed Fisher-Yates shuffle
  // on mt19937_64's raw output (its sequence is fixed by the standard, unlike std::shuffle's).
  std::vector<double> popularity(static_cast<std::size_t>(experts));
  for (int64_t i = 0; i < experts; ++i)
    popularity[static_cast<std::size_t>(i)] = 1.0 / std::pow(static_cast<double>(i + 1), load.zipf_exponent);
  const double total = std::accumulate(popularity.begin(), popularity.end(), 0.0);
  for (double& p : popularity) p /= total;
  constexpr int kPlacements = 256;
  std::mt19937_64 engine(0x45505f6c6f6164ULL);  // "EP_load"
  double sum_of_max = 0;
  for (int trial = 0; trial < kPlacements; ++trial) {
    for (std::size_t i = popularity.size() - 1; i > 0; --i) std::swap(popularity[i], popularity[engine() % (i + 1)]);
    std::size_t next = 0;
    double busiest = 0;
    for (int64_t g : groups) {
      double share = 0;
      for (int64_t j = 0; j < g; ++j) share += popularity[next++];
      busiest = std::max(busiest, share);
    }
    sum_of_max += busiest;
  }
  return sum_of_max / kPlacements;
}

double expected_busiest_rank_assignments(double assignments, double share, int64_t ranks) {
  if (assignments <= 0) return 0;
  if (ranks <= 1) return assignments;
  const double mean = assignments * share;
  const double spread = expected_max_standard_normal(ranks) * std::sqrt(assignments * share * (1.0 - share));
  return std::clamp(mean + spread, mean, assignments);
}

MoeExchangeBytes moe_exchange_bytes(const ModelSpec& model, const ParallelConfig& parallel, double tokens,
                                    double act_bytes, int64_t gpus_per_node) {
  MoeExchangeBytes out;
  const int64_t dp = parallel.data_parallel;
  if (!model.moe.enabled() || dp <= 1 || tokens <= 0) return out;
  const double h = static_cast<double>(model.hidden_size);
  const int64_t tp = parallel.tensor_parallel;
  const bool deepep = parallel.expert_parallel && parallel.all2all_backend != All2AllBackend::allgather_reducescatter;
  if (!deepep) {
    // The DP group: ranks with the same TP index, G / TP of them per node.
    out.peers = dp;
    out.peers_per_node = std::clamp<int64_t>(gpus_per_node / std::max<int64_t>(tp, 1), 1, dp);
    out.dispatch = static_cast<double>(dp - 1) * tokens * h * act_bytes;
    out.combine = out.dispatch;
    return out;
  }
  const int64_t ranks = parallel.expert_parallel_size();
  out.peers = ranks;
  out.peers_per_node = std::clamp<int64_t>(gpus_per_node, 1, ranks);
  const double r = static_cast<double>(ranks);
  const double destinations = parallel.all2all_backend == All2AllBackend::deepep_low_latency
                                  ? static_cast<double>(model.moe.experts_per_token)
                                  : expected_destination_ranks(model.moe.num_experts, model.moe.experts_per_token, ranks);
  const double remote = destinations * (r - 1.0) / r;
  const double sent_tokens = tokens / static_cast<double>(tp);
  out.dispatch = sent_tokens * remote * (h + 4.0 * std::ceil(h / 128.0));  // FP8 + fp32 scale per 128
  out.combine = sent_tokens * remote * 2.0 * h;                             // BF16
  return out;
}

double moe_exchange_time_s(double bytes, int64_t peers, int64_t peers_per_node, const CollectiveLink& intra_node,
                           const CollectiveLink* inter_node) {
  if (peers <= 1 || bytes <= 0) return 0.0;
  const double p = static_cast<double>(peers);
  const int64_t local = std::clamp<int64_t>(peers_per_node, 1, peers);
  const double intra_bytes = bytes * static_cast<double>(local - 1) / (p - 1.0);
  const double intra_s = all_to_all_time_s(intra_bytes, local, intra_node);
  if (local == peers || inter_node == nullptr) return intra_s;
  const double inter_bytes = bytes * static_cast<double>(peers - local) / (p - 1.0);
  return std::max(intra_s, all_to_all_time_s(inter_bytes, peers - local + 1, *inter_node));
}

}  // namespace llmpo
