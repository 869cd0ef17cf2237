#pragma once
// What would fit when a deployment does not: the smallest tensor-parallel degree on the same
// GPU, and the smallest GPU of the library at the same degree. Shared by `memory` and the
// experiment planner, which phrase it as flags or as YAML keys.
#include <cstdint>
#include <optional>
#include <vector>

#include "hardware/gpu_library.hpp"
#include "models/memory_plan.hpp"
#include "models/model_spec.hpp"

namespace llmpo {

struct FitAdvice {
  std::optional<int64_t> smallest_tp;    // on the same GPU, same PP; none up to 8 nodes' worth
  int64_t largest_tp_tried = 0;
  const GpuSpec* smallest_gpu = nullptr;  // at the same TP and PP; null when none fits
};

// Valid TP degrees (powers of two that vLLM accepts for this model) up to 8 nodes of `gpu`.
std::vector<int64_t> candidate_tps(const ModelSpec& model, const GpuSpec& gpu);

FitAdvice fit_advice(const ModelSpec& model, const GpuSpec& gpu, const GpuLibrary& library,
                     const MemoryPlanRequest& request);

}  // namespace llmpo
