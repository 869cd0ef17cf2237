#pragma once
// LLMPerfOracle's `frameworks_to_test` as ours. Upstream simulates all entries together and
// spreads the requests round-robin over those with is_target_for_workload (default true): the
// targets are replicas of one deployment, not runs to compare. Identical targets (same model,
// GPU group, TP, PP and knobs: its data-parallel examples) become one entry with num_replicas;
// entries that upstream sent no requests are written commented out.
#include <string>

#include <yaml-cpp/yaml.h>

#include "hardware/gpu_library.hpp"
#include "lpo_hardware.hpp"
#include "lpo_reader.hpp"
#include "lpo_workload.hpp"
#include "models/model_library.hpp"

namespace llmpo {

// The `frameworks_to_test:` section, comments and commented-out entries included.
std::string lpo_frameworks(LpoReader& reader, const YAML::Node& root, const LpoHardware& hardware,
                           const LpoWorkload& workload, const ModelLibrary& models);

}  // namespace llmpo
