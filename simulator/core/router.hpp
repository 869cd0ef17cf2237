#pragma once
// Data parallelism: a router spreads arriving requests over the replicas of one deployment.
// vllm_dp_lb is vLLM's internal data-parallel load balancer (vllm/v1/engine/core_client.py,
// DPLBAsyncMPClient.get_core_engine_for_request): the engine with the lowest
// 4 x waiting + running, ties to the lowest index. vLLM reads the counts from stats published
// every 100 ms plus a local increment per routed request; here they are exact at each arrival
// (the request routed a moment earlier is already waiting), so the staleness is not modelled.
#include <cstdint>
#include <string>
#include <vector>

#include "frameworks/framework.hpp"

namespace llmpo {

// session_affinity: a session's first request (and any request outside a session) goes to the
// replica with the fewest outstanding requests, its later requests (SessionTurn::session_id) to the
// same replica, where its history is cached (sticky sessions, as production routers offer them).
enum class RouterPolicy { round_robin, least_outstanding, least_kv, vllm_dp_lb, session_affinity };
// round_robin, least_outstanding, least_kv, vllm_dp_lb, session_affinity
const std::vector<std::string>& router_policy_names();
RouterPolicy router_policy_from(const std::string& name);  // caller validated the name
std::string to_string(RouterPolicy policy);

// vLLM's DP load-balancing score of one engine (core_client.py): waiting requests weigh four
// times as much as running ones.
int64_t vllm_dp_lb_score(const FrameworkStats& stats);

class Router {
 public:
  explicit Router(RouterPolicy policy) : policy_(policy) {}
  // `outstanding[i]`: admitted, unfinished requests of replica i. Ties go to the lowest index,
  // so routing is deterministic.
  int32_t pick(const std::vector<Framework*>& replicas, const std::vector<int64_t>& outstanding);
  // Follow-up turns go to their session's replica instead of being picked.
  bool keeps_sessions() const { return policy_ == RouterPolicy::session_affinity; }

 private:
  RouterPolicy policy_;
  int32_t next_ = 0;
};

}  // namespace llmpo
