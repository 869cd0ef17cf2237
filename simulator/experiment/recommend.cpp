#include "recommend.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fit_advice.hpp"
#include "frameworks/framework_config.hpp"
#include "models/model_names.hpp"
#include "run_executor.hpp"
#include "seed_batch_sizes.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/flag_errors.hpp"

namespace llmpo {

namespace {

// How an experiment text names a model or GPU file the user gave: by its absolute path (an
// experiment resolves relative paths against its own folder, which this text does not have).
std::string absolute_path(const std::string& typed) {
  return std::filesystem::absolute(typed).lexically_normal().string();
}

// A YAML double-quoted scalar (a JSON string is one).
std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

struct Deployment {
  const ModelSpec& model;
  const GpuSpec& gpu;
  std::string model_ref, gpu_ref;
  int64_t tp = 1;
  int64_t context = 0;
};

std::string candidate_yaml(const Deployment& d, const RecommendOptions& o, int64_t max_num_seqs, int64_t requests) {
  return fmt::format(R"(name: recommend
simulation: {{seed: 1, percentiles: [99]}}
hardware:
  gpu0: {{preset: {}}}
workload:
  arrival: {{process: closed_loop, clients: {}}}
  num_requests: {}
  prompt_tokens: {{distribution: fixed, value: {}}}
  output_tokens: {{distribution: fixed, value: {}}}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {{model_profile_id: {}, gpu_id: gpu0, tensor_parallel_degree: {}, max_num_seqs: {}, max_model_len: {}, gpu_memory_utilization: {}}}
)",
                     quoted(d.gpu_ref), max_num_seqs, requests, o.prompt_tokens, o.output_tokens, quoted(d.model_ref),
                     d.tp, max_num_seqs, d.context, kRecommendMemoryUtilization);
}

MaxNumSeqsProbe simulate(const Deployment& d, const RecommendOptions& o, int64_t max_num_seqs, const Libraries& libraries) {
  MaxNumSeqsProbe out;
  out.max_num_seqs = max_num_seqs;
  out.num_requests = std::max<int64_t>(64, 4 * max_num_seqs);
  // A larger max_num_seqs than the GPU's default grows the sampler's profiling pass: vLLM may
  // then not start at this context, which is an answer, not an input error.
  MemoryPlanRequest request = recommend_memory_request(d.model, d.gpu, d.tp, d.context);
  request.max_num_seqs = max_num_seqs;
  const MemoryPlan memory = plan_memory(d.model, request);
  if (!memory.fits) {
    out.reason = "vLLM would not start: " + memory.verdict;
    return out;
  }
  out.started = true;
  const ExperimentPlan plan = plan_experiment(
      read_experiment_text(candidate_yaml(d, o, max_num_seqs, out.num_requests),
                           fmt::format("recommend {} on {} x {} max_num_seqs {}", d.model.id, d.tp, d.gpu.id, max_num_seqs),
                           {}),
      libraries);
  RunExecutor executor(plan, libraries);
  const RunMetrics m = executor.execute(plan.runs.front()).metrics;
  out.output_throughput = m.output_throughput;
  out.tpot_p99_ms = m.tpot_ms.percentiles.at(0);
  out.ttft_p99_ms = m.ttft_ms.percentiles.at(0);
  out.mean_batch = m.mean_batch_sequences;
  std::vector<std::string> failures;
  if (m.rejected > 0 || m.completed < out.num_requests)
    failures.push_back(fmt::format("{} of {} requests completed", m.completed, out.num_requests));
  if (!(out.tpot_p99_ms <= o.tpot_p99_ms)) failures.push_back(fmt::format("TPOT p99 {:.1f} ms > {:g}", out.tpot_p99_ms, o.tpot_p99_ms));
  if (!(out.ttft_p99_ms <= o.ttft_p99_ms)) failures.push_back(fmt::format("TTFT p99 {:.1f} ms > {:g}", out.ttft_p99_ms, o.ttft_p99_ms));
  for (const auto& f : failures) out.reason += (out.reason.empty() ? "" : "; ") + f;
  out.passed = failures.empty();
  return out;
}

void check_options(const RecommendOptions& o, const ModelSpec& model, int64_t context) {
  if (o.prompt_tokens < 1) throw InputError({}, "--prompt-toks", "must be a positive token count");
  if (o.output_tokens < 2)
    throw InputError({}, "--gen-toks", "must be at least 2 (TPOT is the time between output tokens)");
  if (!(o.tpot_p99_ms > 0)) throw InputError({}, "--slo-tpot-ms", "must be a positive number of milliseconds");
  if (!(o.ttft_p99_ms > 0)) throw InputError({}, "--slo-ttft-ms", "must be a positive number of milliseconds");
  if (context < 1) throw InputError({}, "--context", "must be a positive token count");
  if (context > model.max_position_embeddings)
    throw InputError({}, "--context",
                     fmt::format("{} exceeds {}'s max_position_embeddings ({}); vLLM refuses a longer max_model_len",
                                 context, model.id, model.max_position_embeddings));
  if (o.prompt_tokens + o.output_tokens > context)
    throw InputError({}, "--context",
                     fmt::format("{} is shorter than a simulated request ({} prompt + {} output tokens)", context,
                                 o.prompt_tokens, o.output_tokens));
}

GpuRecommendation recommend_on(const Deployment& base, const RecommendOptions& o, const Libraries& libraries) {
  GpuRecommendation out;
  out.gpu = base.gpu;
  out.minimum = minimum_gpu_memory(base.model, base.gpu, base.context);
  out.seed_batch = seed_batch_size(base.model, base.gpu);
  for (int64_t tp : candidate_tps(base.model, base.gpu)) {
    if (tp > kRecommendMaxTp) break;
    const MemoryPlan plan = plan_memory(base.model, recommend_memory_request(base.model, base.gpu, tp, base.context));
    if (!plan.fits) continue;
    out.smallest_tp = tp;
    out.kv_capacity_tokens = plan.kv_capacity_tokens;
    out.max_concurrency = static_cast<double>(plan.kv_capacity_tokens) / static_cast<double>(base.context);
    break;
  }
  if (!out.smallest_tp) {
    for (int64_t tp : candidate_tps(base.model, base.gpu)) {
      if (tp > kRecommendMaxTp) break;
      const int64_t longest = longest_fitting_context(base.model, recommend_memory_request(base.gpu, tp, base.context),
                                                      o.prompt_tokens + o.output_tokens, base.context);
      if (longest > 0) {
        out.shorter_context = ContextFit{tp, longest};
        break;
      }
    }
    return out;
  }
  Deployment d = base;
  d.tp = *out.smallest_tp;
  const int64_t cap = std::min<int64_t>(kRecommendMaxNumSeqsCap, static_cast<int64_t>(std::floor(out.max_concurrency)));
  for (int64_t seqs : max_num_seqs_candidates(cap)) {
    out.probes.push_back(simulate(d, o, seqs, libraries));
    const MaxNumSeqsProbe& p = out.probes.back();
    if (p.passed && (!out.best || p.output_throughput > out.probes[*out.best].output_throughput))
      out.best = out.probes.size() - 1;
  }
  return out;
}

}  // namespace

MemoryPlanRequest recommend_memory_request(const GpuSpec& gpu, int64_t tp, int64_t context) {
  const VllmDefaultLimits defaults = vllm_default_limits(gpu.memory_bytes, gpu.id);
  MemoryPlanRequest r;
  r.parallel.tensor_parallel = tp;
  r.gpu_memory_bytes = gpu.memory_bytes;
  r.gpu_memory_utilization = kRecommendMemoryUtilization;
  r.max_model_len = context;
  r.max_num_seqs = defaults.max_num_seqs;
  r.max_num_batched_tokens = defaults.max_num_batched_tokens;
  return r;
}

MemoryPlanRequest recommend_memory_request(const ModelSpec& model, const GpuSpec& gpu, int64_t tp, int64_t context) {
  MemoryPlanRequest r = recommend_memory_request(gpu, tp, context);
  r.quantization = deployment_quantization(model, std::nullopt);
  return r;
}

MinimumMemory minimum_gpu_memory(const ModelSpec& model, const GpuSpec& gpu, int64_t context) {
  MemoryPlanRequest request = recommend_memory_request(model, gpu, 1, context);
  // Weights, activation peak, overhead and KV bytes per token do not depend on the memory.
  const MemoryPlan plan = plan_memory(model, request);
  const StageMemory& stage = plan.limiting();
  MinimumMemory m;
  m.weight_bytes = stage.weight_bytes;
  m.activation_bytes = stage.activation_peak_bytes;
  // Every fixed cost besides weights and activations: non-torch memory, the RoPE cache and any
  // CUDA-graph estimate.
  m.overhead_bytes = plan.runtime_overhead_bytes + stage.rope_cache_bytes + plan.cudagraph_memory_bytes;
  // The blocks vLLM needs free for one sequence of the context (sliding groups: their window).
  m.kv_bytes = static_cast<double>(stage.kv_layout.admission_blocks(context)) * stage.block_bytes;
  m.memory_bytes = std::ceil((m.weight_bytes + m.activation_bytes + m.overhead_bytes + m.kv_bytes) /
                             request.gpu_memory_utilization);
  // The planner computes the same sum in another order: step over its rounding, a byte at a time.
  for (int step = 0;; ++step) {
    request.gpu_memory_bytes = m.memory_bytes;
    if (plan_memory(model, request).fits) break;
    if (step == 1000) throw InternalError("minimum_gpu_memory: the planner does not agree with its parts");
    m.memory_bytes += 1;
  }
  return m;
}

std::vector<int64_t> max_num_seqs_candidates(int64_t cap) {
  std::vector<int64_t> out;
  for (int64_t n = 1; n < cap; n *= 2) out.push_back(n);
  if (cap >= 1) out.push_back(cap);
  return out;
}

Recommendation recommend(const std::string& model_name, const std::vector<std::string>& gpu_names,
                         const RecommendOptions& options, const Libraries& libraries) {
  Recommendation out;
  out.model = at_flag("--model", [&] { return resolve_model(model_name, libraries.models); });
  const std::string model_ref =
      libraries.models.try_find(model_name) != nullptr ? out.model.id
      : !out.model.typed_tag.empty()                 ? model_name  // re-resolved with its quantization
                                                     : absolute_path(model_name);
  out.options = options;
  out.context_tokens = options.context_tokens > 0 ? options.context_tokens : out.model.max_position_embeddings;
  if (options.context_tokens < 0) throw InputError({}, "--context", "must be a positive token count");
  check_options(options, out.model, out.context_tokens);

  std::vector<std::pair<GpuSpec, std::string>> gpus;  // spec, reference for experiment texts
  if (gpu_names.empty())
    for (const auto& gpu : libraries.gpus.gpus()) gpus.emplace_back(gpu, gpu.id);
  for (const auto& name : gpu_names) {
    GpuSpec gpu = at_flag("--gpu", [&] { return resolve_gpu(name, libraries.gpus); });
    const bool in_library = libraries.gpus.try_find(name) != nullptr;
    std::string gpu_ref = in_library ? gpu.id : absolute_path(name);
    gpus.emplace_back(std::move(gpu), std::move(gpu_ref));
  }
  for (const auto& [gpu, gpu_ref] : gpus) {
    const Deployment d{out.model, gpu, model_ref, gpu_ref, 1, out.context_tokens};
    out.gpus.push_back(recommend_on(d, options, libraries));
  }
  return out;
}

}  // namespace llmpo
