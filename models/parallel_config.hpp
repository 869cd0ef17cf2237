#pragma once
// How a model is split across GPUs: tensor parallelism shards heads and FFN columns inside each
// layer, pipeline parallelism gives each stage a contiguous run of layers.
#include <cstdint>
#include <vector>

#include "model_spec.hpp"

namespace llmpo {

struct ParallelConfig {
  int64_t tensor_parallel = 1;    // GPUs sharing each layer
  int64_t pipeline_parallel = 1;  // stages, each a run of layers
  int64_t gpus() const { return tensor_parallel * pipeline_parallel; }
};

// Throws InputError when vLLM would refuse the split: TP must divide the query heads, and KV
// heads must divide by TP or TP by them (vLLM then replicates each KV head); PP <= layers.
void check_parallel_config(const ModelSpec& model, const ParallelConfig& parallel);

// Query heads and KV heads held by one GPU (KV heads are replicated when TP > KV heads).
int64_t query_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel);
int64_t kv_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel);

// Layers per pipeline stage, as vLLM's get_pp_indices splits them: an even share, with the
// remainder given one each to the stages just before the last.
std::vector<int64_t> pipeline_stage_layers(int64_t num_layers, int64_t stages);

// Index of the first layer of each stage (same length as pipeline_stage_layers).
std::vector<int64_t> pipeline_stage_first_layer(int64_t num_layers, int64_t stages);

}  // namespace llmpo
