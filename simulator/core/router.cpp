#include "router.hpp"

#include <cstdint>

namespace llmpo {

const std::vector<std::string>& router_policy_names() {
  static const std::vector<std::string> names = {"round_robin", "least_outstanding", "least_kv", "vllm_dp_lb",
                                                   "session_affinity"};
  return names;
}

RouterPolicy router_policy_from(const std::string& name) {
  if (name == "least_outstanding") return RouterPolicy::least_outstanding;
  if (name == "least_kv") return RouterPolicy::least_kv;
  if (name == "vllm_dp_lb") return RouterPolicy::vllm_dp_lb;
  if (name == "session_affinity") return RouterPolicy::session_affinity;
  return RouterPolicy::round_robin;
}

std::string to_string(RouterPolicy policy) {
  return router_policy_names()[static_cast<std::size_t>(policy)];
}

int64_t vllm_dp_lb_score(const FrameworkStats& stats) { return 4 * stats.waiting + stats.running; }

int32_t Router::pick(const std::vector<Framework*>& replicas, const std::vector<int64_t>& outstanding) {
  const int32_t count = static_cast<int32_t>(replicas.size());
  if (count == 1) return 0;
  switch (policy_) {
    case RouterPolicy::round_robin: {
      const int32_t chosen = next_;
      next_ = (next_ + 1) % count;
      return chosen;
    }
    case RouterPolicy::least_outstanding:
    case RouterPolicy::session_affinity: {  // a session's first turn; its follow-ups stay there
      int32_t best = 0;
      for (int32_t i = 1; i < count; ++i)
        if (outstanding[static_cast<std::size_t>(i)] < outstanding[static_cast<std::size_t>(best)]) best = i;
      return best;
    }
    case RouterPolicy::least_kv: {
      int32_t best = 0;
      double best_use = 2.0;
      for (int32_t i = 0; i < count; ++i) {
        const FrameworkStats s = replicas[static_cast<std::size_t>(i)]->stats();
        const double use = s.kv_total_blocks > 0 ? static_cast<double>(s.kv_used_blocks) / static_cast<double>(s.kv_total_blocks) : 0.0;
        if (use < best_use) {
          best_use = use;
          best = i;
        }
      }
      return best;
    }
    case RouterPolicy::vllm_dp_lb: {
      int32_t best = 0;
      int64_t best_score = INT64_MAX;
      for (int32_t i = 0; i < count; ++i) {
        const int64_t score = vllm_dp_lb_score(replicas[static_cast<std::size_t>(i)]->stats());
        if (score < best_score) {  // strict: ties keep the lower index, as vLLM's loop from index 0
          best_score = score;
          best = i;
        }
      }
      return best;
    }
  }
  return 0;
}

}  // namespace llmpo
