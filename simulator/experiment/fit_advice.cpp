#include "fit_advice.hpp"

#include "models/parallel_config.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

std::vector<int64_t> candidate_tps(const ModelSpec& model, const GpuSpec& gpu) {
  std::vector<int64_t> tps;
  for (int64_t tp = 1; tp <= gpu.max_gpus_per_node * 8; tp *= 2) {
    try {
      check_parallel_config(model, {tp, 1});
      tps.push_back(tp);
    } catch (const InputError&) {
    }
  }
  return tps;
}

FitAdvice fit_advice(const ModelSpec& model, const GpuSpec& gpu, const GpuLibrary& library,
                     const MemoryPlanRequest& request) {
  FitAdvice advice;
  advice.largest_tp_tried = gpu.max_gpus_per_node * 8;
  MemoryPlanRequest tp_request = request;
  for (int64_t tp : candidate_tps(model, gpu)) {
    tp_request.parallel.tensor_parallel = tp;
    if (plan_memory(model, tp_request).fits) {
      advice.smallest_tp = tp;
      break;
    }
  }
  MemoryPlanRequest gpu_request = request;
  for (const auto& other : library.gpus()) {
    gpu_request.gpu_memory_bytes = other.memory_bytes;
    if (plan_memory(model, gpu_request).fits &&
        (advice.smallest_gpu == nullptr || other.memory_bytes < advice.smallest_gpu->memory_bytes))
      advice.smallest_gpu = &other;
  }
  return advice;
}

}  // namespace llmpo
