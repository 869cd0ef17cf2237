#include "fit_advice.hpp"

#include <fmt/format.h>

#include "models/parallel_config.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// One remedy in the reader's terms.
std::string tp_remedy(int64_t tp, const GpuSpec& gpu, int64_t pp, AdviceTerms terms) {
  const std::string gpus = pp > 1 ? fmt::format("x PP {} = {} x {}", pp, tp * pp, gpu.id) : fmt::format("{} x {}", tp, gpu.id);
  return terms == AdviceTerms::flags ? fmt::format("--tp {} ({})", tp, gpus)
                                     : fmt::format("tensor_parallel_degree: {} ({})", tp, gpus);
}

std::string gpu_remedy(const GpuSpec& other, int64_t tp, AdviceTerms terms) {
  return terms == AdviceTerms::flags
             ? fmt::format("--gpu {} ({:.0f} GiB{})", other.id, other.memory_bytes / kGiB, tp > 1 ? fmt::format(" each, at TP {}", tp) : "")
             : fmt::format("preset: {} ({:.0f} GiB) at tensor_parallel_degree {}", other.id, other.memory_bytes / kGiB, tp);
}

std::string context_remedy(const ContextFit& fit, int64_t requested_tp, AdviceTerms terms) {
  if (terms == AdviceTerms::flags)
    return fit.tensor_parallel == requested_tp ? fmt::format("--max-model-len {}", fit.max_model_len)
                                               : fmt::format("--tp {} --max-model-len {}", fit.tensor_parallel, fit.max_model_len);
  return fit.tensor_parallel == requested_tp
             ? fmt::format("max_model_len: {}", fit.max_model_len)
             : fmt::format("tensor_parallel_degree: {} with max_model_len: {}", fit.tensor_parallel, fit.max_model_len);
}

// "max_model_len 10485760 (the model's max_position_embeddings: no --max-model-len was given)".
std::string context_named(const FitAdvice& advice, AdviceTerms terms) {
  const char* setting = terms == AdviceTerms::flags ? "--max-model-len" : "max_model_len";
  return advice.model_default_context
             ? fmt::format("the context of {} tokens (the model's max_position_embeddings, used when {} is not set)",
                           advice.max_model_len, setting)
             : fmt::format("the context of {} tokens ({})", advice.max_model_len, setting);
}

}  // namespace

// Binary search: a longer context never needs fewer KV blocks.
int64_t longest_fitting_context(const ModelSpec& model, MemoryPlanRequest request, int64_t min_tokens, int64_t below) {
  const auto fits = [&](int64_t tokens) {
    request.max_model_len = tokens;
    return plan_memory(model, request).fits;
  };
  if (min_tokens >= below || !fits(min_tokens)) return 0;
  int64_t low = min_tokens, high = below;  // fits(low), !fits(high) (the caller's context did not)
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    (fits(mid) ? low : high) = mid;
  }
  return low;
}

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
                     const MemoryPlanRequest& request, int64_t min_context_tokens) {
  FitAdvice advice;
  const MemoryPlan plan = plan_memory(model, request);
  advice.max_model_len = plan.max_model_len;
  advice.model_default_context = request.max_model_len <= 0;
  advice.blocker = plan.limiting().kv_cache_bytes > 0 ? FitBlocker::context : FitBlocker::weights;
  const std::vector<int64_t> tps = candidate_tps(model, gpu);
  advice.largest_tp_tried = tps.empty() ? request.parallel.tensor_parallel : tps.back();
  MemoryPlanRequest tp_request = request;
  for (int64_t tp : tps) {
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
  if (plan.limiting().kv_cache_bytes > 0 && plan.num_gpu_blocks == 0 && request.block_size > kDefaultBlockSize) {
    MemoryPlanRequest default_blocks = request;
    default_blocks.block_size = kDefaultBlockSize;
    advice.default_block_size_fits = plan_memory(model, default_blocks).fits;
  }
  // A shorter context at the requested degree, else at the smallest larger one that has room.
  MemoryPlanRequest context_request = request;
  for (int64_t tp : tps) {
    if (tp < request.parallel.tensor_parallel) continue;
    context_request.parallel.tensor_parallel = tp;
    const int64_t longest =
        longest_fitting_context(model, context_request, std::max<int64_t>(1, min_context_tokens), plan.max_model_len);
    if (longest > 0) {
      advice.shorter_context = ContextFit{tp, longest};
      break;
    }
  }
  return advice;
}

std::string describe_fit_advice(const FitAdvice& advice, const GpuSpec& gpu, const MemoryPlanRequest& request,
                                AdviceTerms terms) {
  const int64_t tp = request.parallel.tensor_parallel;
  const int64_t pp = request.parallel.pipeline_parallel;
  std::vector<std::string> remedies;
  std::string out;
  bool context_listed = true;
  if (advice.context_is_the_blocker()) {
    // The remedy users reach for (more or larger GPUs) cannot work: say so before the one that does.
    out += fmt::format("; what blocks it is {}: its KV cache fits at no TP up to {} on {} and on no GPU of the library",
                       context_named(advice, terms), advice.largest_tp_tried, gpu.id);
    remedies.push_back(context_remedy(*advice.shorter_context, tp, terms));
  } else {
    // At the requested degree a shorter context is the smallest change; then more GPUs, a larger
    // GPU, and last more GPUs with a shorter context.
    const bool here = advice.shorter_context && advice.shorter_context->tensor_parallel == tp;
    if (advice.default_block_size_fits)
      remedies.push_back(fmt::format("{} {} (vLLM's default; the KV cache has room for no whole block of {} tokens)",
                                     terms == AdviceTerms::flags ? "block size" : "block_size:", kDefaultBlockSize,
                                     request.block_size));
    if (here) remedies.push_back(context_remedy(*advice.shorter_context, tp, terms));
    if (advice.smallest_tp) remedies.push_back(tp_remedy(*advice.smallest_tp, gpu, pp, terms));
    if (advice.smallest_gpu != nullptr) remedies.push_back(gpu_remedy(*advice.smallest_gpu, tp, terms));
    context_listed = here || (advice.shorter_context && !advice.smallest_tp);
    if (advice.shorter_context && !here && !advice.smallest_tp)
      remedies.push_back(context_remedy(*advice.shorter_context, tp, terms));
  }
  if (remedies.empty())
    return out + fmt::format("; nothing tried fits it: no TP up to {} on {}, no GPU of the library, no shorter {}",
                             advice.largest_tp_tried, gpu.id, terms == AdviceTerms::flags ? "--max-model-len" : "max_model_len");
  out += "; would fit: " + join(remedies, ", or ");
  if (advice.shorter_context && context_listed)
    out += fmt::format(" ({} tokens is the longest context whose KV cache fits at TP {}{})", advice.shorter_context->max_model_len,
                       advice.shorter_context->tensor_parallel, pp > 1 ? fmt::format(" x PP {}", pp) : "");
  return out;
}

}  // namespace llmpo
