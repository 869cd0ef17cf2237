#include "config_search_pd.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "pd_deployment.hpp"

namespace llmpo {

namespace {

// Each (prefill, decode) pair simulated once at the target rate, however often it is asked for.
class PoolSizeProbes {
 public:
  PoolSizeProbes(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& slo, RunExecutor& executor,
                 double target, RunControl* control)
      : plan_(plan), run_(run), slo_(slo), executor_(executor), target_(target), control_(control) {}

  const CapacityProbe& at(int64_t prefill, int64_t decode) {
    const auto key = std::make_pair(prefill, decode);
    auto found = probes_.find(key);
    if (found == probes_.end()) {
      const RunSpec sized = with_pool_replicas(run_, prefill, decode);
      found = probes_.emplace(key, probe_load(plan_, sized, slo_, executor_, target_, control_)).first;
    }
    return found->second;
  }
  bool passes(int64_t prefill, int64_t decode) { return at(prefill, decode).passed; }
  const std::map<std::pair<int64_t, int64_t>, CapacityProbe>& all() const { return probes_; }

 private:
  const ExperimentPlan& plan_;
  const RunSpec& run_;
  const CapacitySpec& slo_;
  RunExecutor& executor_;
  double target_;
  RunControl* control_;
  std::map<std::pair<int64_t, int64_t>, CapacityProbe> probes_;
};

// The smallest n in [1, passing] for which passes(n) holds, given that passes(passing) does.
template <typename Passes>
int64_t fewest_passing(int64_t passing, Passes passes) {
  int64_t failing = 0;
  while (passing - failing > 1) {
    const int64_t mid = failing + (passing - failing) / 2;
    (passes(mid) ? passing : failing) = mid;
  }
  return passing;
}

}  // namespace

void search_pool_sizes(const ExperimentPlan& plan, const RunSpec& run, const CapacitySpec& slo, const SearchSpec& search,
                       RunExecutor& executor, SearchCandidate& out, RunControl* control) {
  const int64_t prefill_gpus = run.parallel.gpus(), decode_gpus = run.pd->decode.parallel.gpus();
  const auto cost_per_hour = [&](int64_t prefill, int64_t decode) {
    return static_cast<double>(prefill * prefill_gpus) * out.price_per_gpu_hour +
           static_cast<double>(decode * decode_gpus) * out.decode_price_per_gpu_hour;
  };
  PoolSizeProbes probes(plan, run, slo, executor, search.target_rate_per_s, control);
  const auto count_overloaded = [&] {
    out.overloaded_probes = 0;
    for (const auto& [sizes, probe] : probes.all()) out.overloaded_probes += probe.state == LoadState::overloaded;
  };

  // 1. A passing square: k prefill and k decode instances.
  int64_t k = 1;
  while (!probes.passes(k, k)) {
    if (k >= search.max_replicas) {
      count_overloaded();
      out.status = "infeasible";
      out.reason = fmt::format("{} prefill + {} decode instances (max_replicas) at the target: {}", k, k,
                               probes.at(k, k).reason);
      return;
    }
    k = std::min(2 * k, search.max_replicas);
  }
  // 2. Each pool's fewest instances with k of the other: no passing pair has fewer.
  const int64_t fewest_prefill = fewest_passing(k, [&](int64_t n) { return probes.passes(n, k); });
  const int64_t fewest_decode = fewest_passing(k, [&](int64_t n) { return probes.passes(k, n); });
  // 3. The staircase's edge: for each prefill count, the fewest decode instances that pass.
  std::optional<std::pair<int64_t, int64_t>> best;
  const auto better = [&](std::pair<int64_t, int64_t> a, std::pair<int64_t, int64_t> b) {
    const double cost_a = cost_per_hour(a.first, a.second), cost_b = cost_per_hour(b.first, b.second);
    if (cost_a != cost_b) return cost_a < cost_b;
    const int64_t gpus_a = a.first * prefill_gpus + a.second * decode_gpus;
    const int64_t gpus_b = b.first * prefill_gpus + b.second * decode_gpus;
    if (gpus_a != gpus_b) return gpus_a < gpus_b;
    const auto& va = probes.at(a.first, a.second).bound_values;
    const auto& vb = probes.at(b.first, b.second).bound_values;
    return !va.empty() && !vb.empty() && va.front() < vb.front();
  };
  for (int64_t prefill = fewest_prefill, decode = k; prefill <= k && decode >= fewest_decode;) {
    if (probes.passes(prefill, decode)) {
      if (!best || better({prefill, decode}, *best)) best = std::make_pair(prefill, decode);
      --decode;
    } else {
      ++prefill;
    }
  }
  count_overloaded();
  const auto [prefill, decode] = *best;  // (fewest_prefill, k) passes, so the walk found one
  const CapacityProbe& chosen = probes.at(prefill, decode);
  out.replicas = prefill;
  out.decode_replicas = decode;
  out.num_gpus = prefill * prefill_gpus + decode * decode_gpus;
  out.cost_per_hour = cost_per_hour(prefill, decode);
  out.bound_values = chosen.bound_values;
  out.latency_ms = chosen.bound_values.empty() ? chosen.metrics.e2el_ms.mean : chosen.bound_values.front();

  // What the chosen deployment carries: it passes at the target, so bisect above it.
  CapacitySpec above = slo;
  above.low = search.target_rate_per_s;
  above.high = 4 * search.target_rate_per_s;
  const RunSpec sized = with_pool_replicas(run, prefill, decode);
  const CapacityResult capacity = find_capacity(plan, sized, above, executor, control);
  for (const auto& p : capacity.probes) out.overloaded_probes += p.state == LoadState::overloaded;
  out.capacity_total = capacity.capacity > 0 ? capacity.capacity : search.target_rate_per_s;
  out.requests_per_dollar = out.capacity_total / out.cost_per_hour;
  out.status = "ok";
}

}  // namespace llmpo
