#pragma once
// The memory planner: weights per GPU, KV bytes per token, activation peak, and the KV-cache
// capacity in blocks and tokens as vLLM sizes it at start-up (vllm/v1/worker/gpu_worker.py,
// determine_available_memory; vllm/v1/core/kv_cache_utils.py, get_kv_cache_config_from_groups):
//   kv_cache_bytes = gpu_memory_utilization x memory - weights - RoPE cache - torch activation
//                    peak of the profiling run - non-torch increase - CUDA-graph estimate
//   num_gpu_blocks = floor(kv_cache_bytes / (group_size_layers x per-layer page bytes))
// where the CUDA-graph estimate is subtracted only by releases that do it (vLLM >= 0.21) and
// the page groups follow the hybrid allocator (models/kv_cache_groups.hpp).
// With pipeline parallelism each stage is planned and the smallest capacity wins (vLLM takes
// the minimum block count over workers).
#include <cstdint>
#include <string>
#include <vector>

#include "kv_cache_groups.hpp"
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
  bool hybrid_kv_cache = true;              // vLLM's hybrid allocator (off: every layer, every token)
  double cudagraph_memory_bytes = 0;        // subtracted from the KV budget (vLLM >= 0.21; 0 before)
};

// vLLM's CUDA-graph memory estimate (gpu_model_runner.py profile_cudagraph_memory, vLLM PR
// #30515) for `graphs` captured graphs. Each graph is charged about 23 MiB: a vLLM 0.27 start-up
// log reports "PIECEWISE=16 ... Estimated CUDA graph memory: 0.36 GiB total" (gpustack/runner
// PR #251), and vLLM issue #50780 measures ~24 MiB per real FULL graph.
double cudagraph_memory_estimate_bytes(int64_t graphs);

// The RoPE cos/sin cache vLLM's RotaryEmbedding builds while loading (max_position x
// rotary_dim in the model dtype, one shared instance per GPU; get_rope caches it). It is why vLLM
// logs 14.99 GiB of weights for Llama-3-8B where the parameters are 14.96 GiB.
double rope_cache_bytes(const ModelSpec& model);

// The increase of non-torch memory during vLLM's profiling (cuBLAS workspaces, loaded kernels
// and, with TP, NCCL and custom all-reduce buffers; the CUDA context predates the baseline
// snapshot). vLLM start-up logs ("non_torch_memory takes ...") show 0.04-0.26 GiB on one GPU
// (0.11 GiB for Llama-3-8B on an H100) and 1.39-2.10 GiB with TP: 0.1 GiB and 1.5 GiB here.
double default_runtime_overhead_bytes(const ParallelConfig& parallel);

struct StageMemory {
  int64_t layers = 0;
  double weight_bytes = 0;
  double rope_cache_bytes = 0;        // RoPE cos/sin cache (see rope_cache_bytes())
  double activation_peak_bytes = 0;   // max(forward_peak_bytes, sampler_peak_bytes)
  double forward_peak_bytes = 0;      // widest layer of the profiling forward
  double sampler_peak_bytes = 0;      // dummy sampler run (last stage only)
  double kv_bytes_per_token = 0;      // for this GPU's layers and KV heads
  KvCacheLayout kv_layout;            // page groups of this GPU's layers
  double block_bytes = 0;             // one block: group_size_layers pages
  double kv_cache_bytes = 0;          // budget left for KV (may be negative)
  int64_t num_gpu_blocks = 0;
};

struct MemoryPlan {
  // Whole model, one replica, before any sharding: 2 x layers x kv_heads x head_dim x bytes
  // (MLA: layers x (kv_lora_rank + qk_rope_head_dim) x bytes).
  double kv_bytes_per_token_model = 0;
  double weight_bytes_model = 0;
  std::vector<StageMemory> stages;    // one per pipeline stage (a GPU of that stage)
  int64_t limiting_stage = 0;         // the stage with the fewest blocks
  double budget_bytes = 0;            // utilization x capacity
  double runtime_overhead_bytes = 0;
  double cudagraph_memory_bytes = 0;  // subtracted CUDA-graph estimate (0 unless vLLM >= 0.21)
  int64_t max_model_len = 0;
  int64_t block_size = 0;
  int64_t num_gpu_blocks = 0;         // min over stages
  // vLLM's "GPU KV cache size: N tokens": num_gpu_blocks / groups x block_size.
  int64_t kv_capacity_tokens = 0;
  int64_t max_concurrent_seqs = 0;    // full max_model_len sequences that fit at once
  bool fits = false;
  std::string verdict;                // one sentence: fits, or what is missing

  const StageMemory& limiting() const { return stages[static_cast<std::size_t>(limiting_stage)]; }
  // Sequences of `context_tokens` tokens that fit at once while decoding (block-rounded, each
  // sliding-window group holding only its window, like vLLM's hybrid allocator).
  int64_t concurrent_sequences_at(int64_t context_tokens) const;
};

// Throws InputError for invalid requests (TP that does not divide heads, utilization outside
// (0, 1], ...). A model that does not fit is not an error: fits = false with a verdict.
MemoryPlan plan_memory(const ModelSpec& model, const MemoryPlanRequest& request);

// Peak torch memory of vLLM's profiling pass on one GPU (gpu_model_runner.py profile_run): the
// larger of the forward of max_num_batched_tokens tokens through the widest layer and, on the
// last stage, the dummy sampler run over max_num_seqs rows (sampler_peak_bytes).
double activation_peak_bytes(const ModelSpec& model, const MemoryPlanRequest& request, bool last_stage);

// Weight bytes of one GPU holding `layers` layers starting at `first_layer`, with the token
// embedding when first_layer == 0 and the final norm + LM head when it holds the last layer.
// The dummy sampler run of profile_run (_dummy_sampler_run: temperature, top-k and top-p all
// set, so the PyTorch top-k/top-p path of vllm/v1/sample/ops/topk_topp_sampler.py runs). Live at
// its peak, per row and vocabulary entry: the bf16 logits (2 B), their fp32 copy (4), the sorted
// fp32 logits (4) and int64 order (8), the top-k mask (1), the fp32 softmax / cumulative sum (4),
// the top-p mask (1) and the scattered result (4) = 28 B; plus the hidden states of the forward.
double sampler_peak_bytes(const ModelSpec& model, const MemoryPlanRequest& request);

// KV-cache bytes one token takes in one layer on one GPU: K and V of the GPU's KV heads, or the
// MLA latent, which every TP rank holds whole.
double kv_bytes_per_layer_token_per_gpu(const ModelSpec& model, const ParallelConfig& parallel,
                                        double kv_element_bytes);

// How the weights are stored for a request's quantization, for headings: the asked scheme, the
// model's dtype, or the shipped formats ("fp8_block (shipped)", "bfloat16, experts mxfp4 (shipped)").
std::string weight_format_label(const ModelSpec& model, const std::string& quantization);

// `quantization` "none" prices each kind of weight in the format the checkpoint ships
// (ModelSpec::shipped_weights: DeepSeek-V3 fp8_block, gpt-oss mxfp4 experts).
double stage_weight_bytes(const ModelSpec& model, const ParallelConfig& parallel,
                          const QuantizationInfo& quantization, int64_t first_layer, int64_t layers);

}  // namespace llmpo
