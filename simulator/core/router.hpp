#pragma once
// Data parallelism: a router spreads arriving requests over the replicas of one deployment.
#include <cstdint>
#include <string>
#include <vector>

#include "frameworks/framework.hpp"

namespace llmpo {

enum class RouterPolicy { round_robin, least_outstanding, least_kv };
const std::vector<std::string>& router_policy_names();  // round_robin, least_outstanding, least_kv
RouterPolicy router_policy_from(const std::string& name);  // caller validated the name
std::string to_string(RouterPolicy policy);

class Router {
 public:
  explicit Router(RouterPolicy policy) : policy_(policy) {}
  // `outstanding[i]`: admitted, unfinished requests of replica i. Ties go to the lowest index,
  // so routing is deterministic.
  int32_t pick(const std::vector<Framework*>& replicas, const std::vector<int64_t>& outstanding);

 private:
  RouterPolicy policy_;
  int32_t next_ = 0;
};

}  // namespace llmpo
