#include "sglang_memory.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/units.hpp"

namespace llmpo {

SglangGpuDefaults sglang_gpu_defaults(double gpu_memory_bytes, int64_t tensor_parallel) {
  const double mib = gpu_memory_bytes / kMiB;
  const bool small_tp = tensor_parallel < 4;
  if (mib < 20 * 1024) return {2048, 8};                        // T4, RTX 4080
  if (mib < 35 * 1024) return {2048, small_tp ? 24 : 80};       // A10, RTX 4090, L4
  if (mib < 60 * 1024) return {4096, small_tp ? 32 : 160};      // A100 40GB, L40
  if (mib < 160 * 1024) return {8192, small_tp ? 256 : 512};    // H100, A100 80GB, H200, H20
  return {16384, 512};                                          // B200, MI300
}

double sglang_default_mem_fraction_static(double gpu_memory_bytes, int64_t chunked_prefill_size,
                                          int64_t max_prefill_tokens, int64_t cuda_graph_max_bs,
                                          int64_t tensor_parallel, int64_t pipeline_parallel) {
  const double gpu_mib = gpu_memory_bytes / kMiB;
  double reserved_mib = 512;  // attention-backend metadata
  const int64_t activation_tokens = chunked_prefill_size > 0 ? chunked_prefill_size : max_prefill_tokens;
  reserved_mib += static_cast<double>(std::max<int64_t>(activation_tokens, 2048)) * 1.5;
  reserved_mib += static_cast<double>(cuda_graph_max_bs) * 2;
  reserved_mib += static_cast<double>(tensor_parallel * pipeline_parallel) / 8 * 1024;
  if (gpu_mib > 60 * 1024) reserved_mib = std::max(reserved_mib, 10.0 * 1024);
  return std::round((gpu_mib - reserved_mib) / gpu_mib * 1000) / 1000;
}

int64_t sglang_max_total_tokens(const MemoryPlan& plan, double gpu_memory_bytes, double mem_fraction_static) {
  int64_t tokens = -1;
  for (const StageMemory& stage : plan.stages) {
    const double rest_bytes = gpu_memory_bytes * mem_fraction_static - stage.weight_bytes;
    const int64_t stage_tokens =
        rest_bytes <= 0 || stage.kv_bytes_per_token <= 0 ? 0 : static_cast<int64_t>(std::floor(rest_bytes / stage.kv_bytes_per_token));
    tokens = tokens < 0 ? stage_tokens : std::min(tokens, stage_tokens);
  }
  return std::max<int64_t>(tokens, 0);
}

int64_t sglang_default_max_running_requests(int64_t max_total_tokens, int64_t context_len) {
  const auto estimated = static_cast<int64_t>(static_cast<double>(max_total_tokens) / static_cast<double>(context_len) * 512);
  return std::min(std::clamp<int64_t>(estimated, 2048, 4096), max_total_tokens / 2);
}

void apply_sglang_memory(MemoryPlan& plan, double gpu_memory_bytes, double mem_fraction_static) {
  for (StageMemory& stage : plan.stages) {
    stage.kv_cache_bytes = gpu_memory_bytes * mem_fraction_static - stage.weight_bytes;
    stage.block_bytes = stage.kv_bytes_per_token;
    stage.num_gpu_blocks = stage.kv_cache_bytes <= 0 || stage.kv_bytes_per_token <= 0
                               ? 0
                               : static_cast<int64_t>(std::floor(stage.kv_cache_bytes / stage.kv_bytes_per_token));
  }
  plan.budget_bytes = gpu_memory_bytes * mem_fraction_static;
  plan.block_size = 1;
  plan.num_gpu_blocks = sglang_max_total_tokens(plan, gpu_memory_bytes, mem_fraction_static);
  plan.kv_capacity_tokens = plan.num_gpu_blocks;
  plan.max_concurrent_seqs = plan.max_model_len > 0 ? plan.num_gpu_blocks / plan.max_model_len : 0;
  plan.fits = plan.num_gpu_blocks > 0;
  for (std::size_t i = 0; i < plan.stages.size(); ++i)
    if (plan.stages[i].num_gpu_blocks < plan.stages[static_cast<std::size_t>(plan.limiting_stage)].num_gpu_blocks)
      plan.limiting_stage = static_cast<int64_t>(i);
  const StageMemory& limiting = plan.limiting();
  plan.verdict = plan.fits ? fmt::format("fits: SGLang pool of {} tokens (mem_fraction_static {:.3f} x {:.2f} GiB - "
                                         "{:.2f} GiB of weights)",
                                         plan.num_gpu_blocks, mem_fraction_static, gpu_memory_bytes / kGiB,
                                         limiting.weight_bytes / kGiB)
                           : fmt::format("does not fit: mem_fraction_static {:.3f} x {:.2f} GiB leaves no room for KV "
                                         "after {:.2f} GiB of weights",
                                         mem_fraction_static, gpu_memory_bytes / kGiB, limiting.weight_bytes / kGiB);
}

}  // namespace llmpo
