#pragma once
// Splitting a model's layers over GPUs of different sizes (the DualGPUOptimizer seed's "GPU
// split"): layers proportional to each GPU's free memory, then the launch flags that realise
// the split in vLLM, llama.cpp and Hugging Face Accelerate.
#include <cstdint>
#include <string>
#include <vector>

#include "memory_plan.hpp"

namespace llmpo {

struct LayerSplitGpu {
  double memory_bytes = 0;       // capacity of this GPU
  double free_bytes = 0;         // what is left for weights + KV after overheads
  int64_t first_layer = 0;
  int64_t layers = 0;
  double weight_bytes = 0;
  double kv_cache_bytes = 0;     // left for KV after weights
  int64_t kv_capacity_tokens = 0;
};

struct LayerSplit {
  std::vector<LayerSplitGpu> gpus;
  int64_t kv_capacity_tokens = 0;  // the smallest over GPUs: every layer needs the token's KV
  bool fits = false;
  std::string verdict;
  std::string vllm_flags;          // a `vllm serve` line that starts on these GPUs, or "" (see vllm_note)
  std::string vllm_note;           // what the line assumes, and what vLLM can do with unequal GPUs
  std::string llama_cpp_flags;     // --tensor-split with the layer counts as proportions
  std::string hf_device_map;       // JSON object for from_pretrained(device_map=...)
};

// `request.parallel` is ignored (one GPU per stage); gpu_memory_bytes is taken per GPU from
// `gpu_memory_bytes`. Throws InputError for fewer than 2 GPUs or more GPUs than layers.
LayerSplit split_layers(const ModelSpec& model, const std::vector<double>& gpu_memory_bytes,
                        const MemoryPlanRequest& request);

}  // namespace llmpo
