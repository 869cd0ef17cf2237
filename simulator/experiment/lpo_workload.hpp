#pragma once
// LLMPerfOracle's `workload:` (client_profiles with inter-arrival, prompt and output
// distributions, total_duration, ...) and the timing keys of `simulation:` as our `workload:`.
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "lpo_distributions.hpp"
#include "lpo_reader.hpp"

namespace llmpo {

struct LpoWorkload {
  std::string section;                  // "workload:\n  arrival: ...\n" with comments
  LpoArrival arrival;
  std::optional<int64_t> seed;          // workload.random_seed
  std::string load_balancing_strategy;  // upstream's, "round_robin" by default
  bool prompts_share_prefixes = false;  // prefix_patterns or conversational turns upstream
};

LpoWorkload lpo_workload(LpoReader& reader, const YAML::Node& root);

}  // namespace llmpo
