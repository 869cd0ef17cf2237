#pragma once
// The memory planner: weights per GPU, KV bytes per token, activation peak, and the KV-cache
// capacity in blocks and tokens exactly as vLLM sizes it at start-up:
//   kv_cache_bytes = gpu_memory_utilization x memory - weights - activation_peak - overhead
//   num_gpu_blocks = floor(kv_cache_bytes / (block_size x kv_bytes_per_token_per_gpu))
// With pipeline parallelism each stage is planned and the smallest capacity wins (vLLM takes
// the minimum block count over workers).
#include <cstdint>
#include <string>
#include <vector>

#include "model_spec.hpp"
#include "parallel_config.hpp"
#include "quantization.hpp"

namespace llmpo {

struct MemoryPlanRequest {
  ParallelConfig parallel;
  std::string quantization = "none";
  std::string kv_cache_dtype = "auto";
  double gpu_memory_bytes = 0;              // capacity of one GPU as the driver reports it
  double gpu_memory_utilization = 0.9;      // vLLM --gpu-memory-utilization
  int64_t max_model_len = 0;                // 0 = the model's max_position_embeddings
  int64_t max_num_batched_tokens = 8192;    // vLLM profiles a forward pass of this many tokens
  int64_t max_num_seqs = 256;               // ... and a sampler step over this many sequences
  int64_t block_size = 16;                  // tokens per KV block
  double runtime_overhead_bytes = -1;       // non-torch memory; < 0 = default_runtime_overhead()
};

// CUDA context remainder, cuBLAS workspaces and (with TP) NCCL / custom all-reduce buffers that
// vLLM's profiler counts as "non-torch memory"; typical values in vLLM start-up logs.
double default_runtime_overhead_bytes(const ParallelConfig& parallel);

struct StageMemory {
  int64_t layers = 0;
  double weight_bytes = 0;
  double activation_peak_bytes = 0;
  double kv_bytes_per_token = 0;      // for this GPU's layers and KV heads
  double kv_cache_bytes = 0;          // budget left for KV (may be negative)
  int64_t num_gpu_blocks = 0;
};

struct MemoryPlan {
  // Whole model, one replica, before any sharding: 2 x layers x kv_heads x head_dim x bytes.
  double kv_bytes_per_token_model = 0;
  double weight_bytes_model = 0;
  std::vector<StageMemory> stages;    // one per pipeline stage (a GPU of that stage)
  int64_t limiting_stage = 0;         // the stage with the fewest blocks
  double budget_bytes = 0;            // utilization x capacity
  double runtime_overhead_bytes = 0;
  int64_t max_model_len = 0;
  int64_t block_size = 0;
  int64_t num_gpu_blocks = 0;         // min over stages
  int64_t kv_capacity_tokens = 0;     // num_gpu_blocks x block_size
  int64_t max_concurrent_seqs = 0;    // full max_model_len sequences that fit at once
  bool fits = false;
  std::string verdict;                // one sentence: fits, or what is missing

  const StageMemory& limiting() const { return stages[static_cast<std::size_t>(limiting_stage)]; }
  // Sequences of `context_tokens` tokens that fit at once (block-rounded, like vLLM).
  int64_t concurrent_sequences_at(int64_t context_tokens) const;
};

// Throws InputError for invalid requests (TP that does not divide heads, utilization outside
// (0, 1], ...). A model that does not fit is not an error: fits = false with a verdict.
MemoryPlan plan_memory(const ModelSpec& model, const MemoryPlanRequest& request);

// Peak activation memory of vLLM's profiling pass on one GPU: max_num_batched_tokens tokens
// through the widest layer (FFN or attention), plus, on the last stage, the sampler's fp32
// logits and probabilities over max_num_seqs sequences.
double activation_peak_bytes(const ModelSpec& model, const MemoryPlanRequest& request, bool last_stage);

// Weight bytes of one GPU holding `layers` layers starting at `first_layer`, with the token
// embedding when first_layer == 0 and the final norm + LM head when it holds the last layer.
double stage_weight_bytes(const ModelSpec& model, const ParallelConfig& parallel,
                          const QuantizationInfo& quantization, int64_t first_layer, int64_t layers);

}  // namespace llmpo
