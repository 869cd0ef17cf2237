#pragma once
// vLLM behaviours that changed between releases, one row per minor release. A deployment's
// `vllm_version` picks the row; knobs a user sets explicitly (async_scheduling, cudagraph_mode,
// enforce_eager, scheduler_reserve_full_isl) override it. Each field says which release changed
// it and where in vLLM's source; frameworks/README.md has the table in words.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace llmpo {

struct VllmBehaviour {
  std::string version;                 // "0.19"
  // EngineCore.step_with_batch_queue with two batches in flight; default since 0.14
  // (vLLM PR #27614, vllm/config/vllm.py resolves async_scheduling=None to on).
  bool async_scheduling = false;
  // CompilationConfig.cudagraph_mode default FULL_AND_PIECEWISE (pure-decode batches replay one
  // full graph, mixed batches piecewise graphs) since 0.11; PIECEWISE before.
  bool full_cudagraphs = false;
  // SchedulerConfig.scheduler_reserve_full_isl (vLLM PR #37307): admission needs blocks for the
  // whole prompt, not only the first chunk. Present and true in 0.19 (the resolved config of the
  // project's vLLM 0.19.0 run records it); absent before.
  bool reserve_full_isl = false;
  // gpu_worker.py determine_available_memory subtracts profile_cudagraph_memory() from the KV
  // budget: added off by default by PR #30515, on by default since 0.21
  // (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1; vLLM logs "default since v0.21.0").
  bool cudagraph_memory_in_kv_sizing = false;
  // Capture sizes above 256 step by 16 rather than 8 (vllm/config/vllm.py _set_cudagraph_sizes,
  // with CompilationConfig.max_cudagraph_capture_size, vLLM 0.11.1); our rows are per minor
  // release, so 0.12 is the first row with it.
  bool capture_step_16_above_256 = false;
};

// The versions accepted, oldest first: "0.10" .. "0.21".
const std::vector<std::string>& vllm_version_names();
// The release vLLM deployments model unless told otherwise: "0.19".
const std::string& default_vllm_version();
// The row of `version` (exact spelling from vllm_version_names(); "0.19.0" and other patch
// releases are accepted as their minor release). Throws InputError listing the valid values.
const VllmBehaviour& vllm_behaviour(const std::string& version);
// The minor release of `version` ("0.19.0" -> "0.19"), or "" when it is not one of ours.
std::string vllm_minor_version(const std::string& version);

// vllm/config/vllm.py _set_cudagraph_sizes: min(2 x max_num_seqs, 512), then capped at
// max_num_batched_tokens (no speculative decoding here, so the decode query length is 1).
int64_t max_cudagraph_capture_size(int64_t max_num_seqs,
                                   int64_t max_num_batched_tokens = std::numeric_limits<int64_t>::max());

// vLLM's default capture list up to max_cudagraph_capture_size: 1, 2, 4 (those not above the
// maximum), 8 .. 248 step 8 and, from 256, step 16 (step 8 before 0.12). Sorted ascending.
// For max_num_seqs 256 it is the 51 sizes of the vLLM 0.19.0 run's resolved config.
std::vector<int64_t> cudagraph_capture_sizes(int64_t max_num_seqs, const VllmBehaviour& behaviour,
                                             int64_t max_num_batched_tokens = std::numeric_limits<int64_t>::max());

// Graphs a deployment captures (gpu_model_runner.py capture_model): one graph per capture size
// (piecewise, or full under FULL-only modes), plus, under FULL_AND_PIECEWISE, a full graph for
// each capture size that a pure-decode batch can reach (<= max_num_seqs).
int64_t cudagraph_count(int64_t max_num_seqs, const VllmBehaviour& behaviour,
                        int64_t max_num_batched_tokens = std::numeric_limits<int64_t>::max());

// CompilationConfig.cudagraph_mode values we model: "NONE" (as --enforce-eager), "PIECEWISE",
// "FULL_AND_PIECEWISE".
const std::vector<std::string>& cudagraph_mode_names();

}  // namespace llmpo
