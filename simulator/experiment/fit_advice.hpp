#pragma once
// What would fit when a deployment does not, and what stops it: the smallest tensor-parallel
// degree on the same GPU, the smallest GPU of the library at the same degree, and the longest
// max_model_len that fits at the smallest degree where the model starts at all. Each remedy is
// checked with the memory planner before it is offered. Shared by `memory`, the single-
// deployment commands (`bench`, `step`, `replay`) and the experiment planner, which phrase it in
// flags (--tp 4) or in experiment-file keys (tensor_parallel_degree: 4).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hardware/gpu_library.hpp"
#include "models/memory_plan.hpp"
#include "models/model_spec.hpp"

namespace llmpo {

// What fails first at the requested settings.
enum class FitBlocker {
  weights,  // weights + activation peak + overhead leave no room for KV at all
  context,  // there is room for KV, but less than one max_model_len sequence
};

// A shorter context that fits: at `tensor_parallel` (the requested degree when the model
// starts there, else the smallest larger one where it does), the longest max_model_len whose
// KV cache fits.
struct ContextFit {
  int64_t tensor_parallel = 1;
  int64_t max_model_len = 0;
};

struct FitAdvice {
  FitBlocker blocker = FitBlocker::weights;
  int64_t max_model_len = 0;             // the context the plan was made for
  bool model_default_context = false;    // it is the model's max_position_embeddings (none was set)
  std::optional<int64_t> smallest_tp;    // on the same GPU, same PP and context
  int64_t largest_tp_tried = 0;          // the largest valid degree tried (up to 8 nodes' worth)
  const GpuSpec* smallest_gpu = nullptr;  // at the same TP, PP and context; null when none fits
  std::optional<ContextFit> shorter_context;  // none: no degree tried leaves room for one
  // The KV cache has room, but not for one block of the requested size, and vLLM's default
  // block size (kDefaultBlockSize tokens) fits.
  bool default_block_size_fits = false;

  // Neither more GPUs (TP) nor a larger GPU carries this context, but a shorter one fits: the
  // context length, not the GPU count, is what blocks the deployment.
  bool context_is_the_blocker() const { return !smallest_tp && smallest_gpu == nullptr && shorter_context.has_value(); }
};

// vLLM's default KV block size in tokens (CacheConfig.block_size on CUDA).
inline constexpr int64_t kDefaultBlockSize = 16;

// Valid TP degrees (powers of two that vLLM accepts for this model) up to 8 nodes of `gpu`.
std::vector<int64_t> candidate_tps(const ModelSpec& model, const GpuSpec& gpu);

// The longest max_model_len in [min_tokens, below) at which `request` fits (the planner's
// verdict); 0 when none does. `below` itself must not fit.
int64_t longest_fitting_context(const ModelSpec& model, MemoryPlanRequest request, int64_t min_tokens, int64_t below);

// `min_context_tokens`: a shorter context below this is not offered (the longest request the
// caller must serve; 1 = any).
FitAdvice fit_advice(const ModelSpec& model, const GpuSpec& gpu, const GpuLibrary& library,
                     const MemoryPlanRequest& request, int64_t min_context_tokens = 1);

// Whom the advice speaks to: a command line (flags) or an experiment file (its keys).
enum class AdviceTerms { flags, experiment_file };

// "; would fit: --tp 4 (4 x H100-SXM), or --gpu H200 (139 GiB), or ..." with, when the context
// is the blocker, a sentence saying so first; or what was tried when nothing fits.
std::string describe_fit_advice(const FitAdvice& advice, const GpuSpec& gpu, const MemoryPlanRequest& request,
                                AdviceTerms terms);

}  // namespace llmpo
