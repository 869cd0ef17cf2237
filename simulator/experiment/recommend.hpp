#pragma once
// `llmperforacle recommend`: per GPU, what the AI-Flux and DualGPUOptimizer seeds give by rule
// of thumb, computed instead:
//   1. the smallest per-GPU memory at which vLLM starts the model at TP 1 with one sequence of
//      the context length (weights + activation peak + runtime overhead + that sequence's KV
//      blocks, over gpu_memory_utilization 0.9, from the memory planner), and the smallest TP
//      (up to 8) at which it starts on this GPU;
//   2. vLLM's "maximum concurrency" at that TP: KV capacity tokens / context;
//   3. the max_num_seqs of the highest output throughput whose TPOT p99 and TTFT p99 meet the
//      SLO, from short closed-loop simulations with clients = max_num_seqs for max_num_seqs
//      1, 2, 4, ... up to the maximum concurrency (capped at 1024), each with
//      max(64, 4 x clients) requests of fixed lengths. All clients send their first request at
//      time 0, as `vllm bench serve --max-concurrency N` does, and that first wave counts in the
//      p99s. Each candidate is an experiment text planned and run like any experiment file, so
//      all its checks apply.
// Memory planning uses the GPU's `vllm serve` defaults of max_num_seqs and
// max_num_batched_tokens (1024/8192 on >= 70 GiB GPUs except A100, else 256/2048), except that
// each simulated candidate is planned with its own max_num_seqs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fit_advice.hpp"
#include "libraries.hpp"
#include "models/memory_plan.hpp"

namespace llmpo {

inline constexpr int64_t kRecommendMaxTp = 8;
inline constexpr int64_t kRecommendMaxNumSeqsCap = 1024;
inline constexpr double kRecommendMemoryUtilization = 0.9;

struct RecommendOptions {
  int64_t context_tokens = 0;  // 0 = the model's max_position_embeddings (vLLM's max_model_len)
  int64_t prompt_tokens = 512;
  int64_t output_tokens = 128;
  double tpot_p99_ms = 100;
  double ttft_p99_ms = 2000;
};

// The smallest per-GPU memory at which the model starts at TP 1 with one context, and its parts.
struct MinimumMemory {
  double weight_bytes = 0, activation_bytes = 0, overhead_bytes = 0;
  double kv_bytes = 0;       // ceil(context / block_size) blocks of block_size x KV bytes per token
  double memory_bytes = 0;   // (weights + activation + overhead + KV) / 0.9, nudged up to fit
};

// One simulated max_num_seqs (clients = max_num_seqs).
struct MaxNumSeqsProbe {
  int64_t max_num_seqs = 0;
  int64_t num_requests = 0;
  bool started = false;      // vLLM would start with this max_num_seqs (its sampler pass fits)
  bool passed = false;       // started, nothing rejected, and both p99s within the SLO
  std::string reason;        // why it failed, empty when it passed
  double output_throughput = 0;  // tok/s over the run
  double tpot_p99_ms = 0, ttft_p99_ms = 0;
  double mean_batch = 0;
};

struct GpuRecommendation {
  GpuSpec gpu;
  MinimumMemory minimum;                 // at TP 1
  std::optional<int64_t> smallest_tp;    // none: no valid TP up to kRecommendMaxTp fits
  // When none does: the smallest TP up to kRecommendMaxTp with room for a shorter context, and
  // the longest context (at least one request's tokens) that fits there, for `--context`.
  std::optional<ContextFit> shorter_context;
  int64_t kv_capacity_tokens = 0;        // at smallest_tp
  double max_concurrency = 0;            // kv_capacity_tokens / context
  std::vector<MaxNumSeqsProbe> probes;   // in increasing max_num_seqs
  std::optional<std::size_t> best;       // index into probes of the recommendation
  std::string seed_batch;                // AI-Flux's batch size for this model size and GPU, or ""
};

struct Recommendation {
  ModelSpec model;
  int64_t context_tokens = 0;
  RecommendOptions options;
  std::vector<GpuRecommendation> gpus;
};

// The memory planner's request on `gpu` at `tp`, max_model_len `context`, with the GPU's vLLM
// defaults of max_num_seqs and max_num_batched_tokens and gpu_memory_utilization 0.9.
MemoryPlanRequest recommend_memory_request(const GpuSpec& gpu, int64_t tp, int64_t context);
// The same with the weight quantization the model's Ollama tag names (none without a tag).
MemoryPlanRequest recommend_memory_request(const ModelSpec& model, const GpuSpec& gpu, int64_t tp, int64_t context);

MinimumMemory minimum_gpu_memory(const ModelSpec& model, const GpuSpec& gpu, int64_t context);

// 1, 2, 4, ... below `cap`, then `cap` itself (cap >= 1).
std::vector<int64_t> max_num_seqs_candidates(int64_t cap);

// `model_name` and `gpu_names` as the user typed them (library names or files); no GPU names:
// every GPU of the library. Throws InputError for unknown names and invalid options.
Recommendation recommend(const std::string& model_name, const std::vector<std::string>& gpu_names,
                         const RecommendOptions& options, const Libraries& libraries);

}  // namespace llmpo
