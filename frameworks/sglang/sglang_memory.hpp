#pragma once
// SGLang's GPU-dependent server defaults and its KV token pool size, as `python -m
// sglang.launch_server` computes them (SGLang v0.5.x):
//   server_args.py _handle_gpu_memory_settings: chunked_prefill_size and cuda_graph_max_bs by
//     GPU memory (MiB) and TP, then
//     reserved_mib = 512 + 1.5 x max(chunked_prefill_size, 2048)   (max_prefill_tokens when
//                    chunking is off) + 2 x cuda_graph_max_bs + TP x PP / 8 x 1024,
//                    at least 10240 on GPUs above 60 GiB
//     mem_fraction_static = round((gpu_mib - reserved_mib) / gpu_mib, 3)
//   model_runner_kv_cache_mixin.py profile_max_num_token:
//     rest = available after loading the weights - total x (1 - mem_fraction_static)
//          = total x mem_fraction_static - weights
//     max_total_num_tokens = floor(rest / cell_size), cell_size = this GPU's KV bytes per token
//   and _resolve_max_num_reqs: max_running_requests = min(clamp(tokens / context_len x 512,
//     2048, 4096), tokens / 2).
// `total` is the GPU's memory as the driver reports it (the GpuSpec's memory); the CUDA context,
// which SGLang's pre-load snapshot already excludes, is not subtracted (a few hundred MiB).
#include <cstdint>

#include "models/memory_plan.hpp"

namespace llmpo {

struct SglangGpuDefaults {
  int64_t chunked_prefill_size;
  int64_t cuda_graph_max_bs;
};
SglangGpuDefaults sglang_gpu_defaults(double gpu_memory_bytes, int64_t tensor_parallel);

double sglang_default_mem_fraction_static(double gpu_memory_bytes, int64_t chunked_prefill_size,
                                          int64_t max_prefill_tokens, int64_t cuda_graph_max_bs,
                                          int64_t tensor_parallel, int64_t pipeline_parallel);

// The token pool of one replica: the smallest over the plan's pipeline stages (0 when the
// weights leave nothing).
int64_t sglang_max_total_tokens(const MemoryPlan& plan, double gpu_memory_bytes, double mem_fraction_static);

int64_t sglang_default_max_running_requests(int64_t max_total_tokens, int64_t context_len);

// Rewrites `plan`'s KV figures (each stage's kv_cache_bytes and num_gpu_blocks, the plan's
// num_gpu_blocks, kv_capacity_tokens, fits and verdict) for SGLang's pool of 1-token pages.
void apply_sglang_memory(MemoryPlan& plan, double gpu_memory_bytes, double mem_fraction_static);

}  // namespace llmpo
