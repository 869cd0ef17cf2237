#pragma once
// How long one vLLM V1 engine step takes on the wall clock: the GPU time of the forward pass as
// the roofline cost model prices it, shaped by the engine's CUDA graphs, plus the host work the
// engine core does per step, overlapped with the GPU when scheduling is asynchronous.
//
//   GPU time, by how the step runs (vllm/v1/worker/gpu_model_runner.py, CUDAGraphMode):
//     full graph   pure-decode batch of at most max capture size sequences, mode FULL_AND_PIECEWISE:
//                  one graph replay of the batch padded to the next capture size;
//                  kernels(padded) + graph_launch
//     piecewise    any batch of at most max capture size tokens otherwise: the layers between
//                  attention calls replay as graphs padded to the next capture size, attention
//                  runs eagerly between them; kernels(padded) + (layers + 1) graph_launch
//     eager        larger steps (or enforce_eager): every kernel launched from the host, which
//                  runs ahead of the GPU unless kernels are shorter than a launch;
//                  max(kernels, kernel count x launch_gap)
//   Host time: host_per_step + host_per_seq x sequences (schedule, prepare inputs, update from
//   outputs; vllm/v1/engine/core.py EngineCore.step).
//   Step:  async scheduling (EngineCore.step_with_batch_queue, two batches in flight): the host
//          work of the next step overlaps this step's forward, so max(GPU, host) + sync_gap;
//          synchronous: GPU + host.
// Padding: the padded rows run through the GEMMs and element-wise kernels; attention and the LM
// head see only the real sequences (padded entries have no context, logits are gathered for the
// real requests only).
//
// Speculative decoding (speculative_config.hpp) adds to the GPU time:
//   verify    the step itself, whose decodes are 1 + k token queries over their cached context
//             (priced as the small prefills they are: k more GEMM rows per sequence), plus the
//             logits of the k draft positions (the LM head GEMM on k more rows);
//   draft     a model-based drafter (vllm/v1/spec_decode/eagle.py, draft_model.py): its first
//             pass over every token the step scheduled (it keeps its own KV of the prompt and the
//             verified tokens), then k - 1 passes of one token per sequence, each a graph replay
//             (or eager launches) of the drafter's CostModel; the n-gram proposer instead costs
//             CPU time per sequence in the worker, between the forward and the step's end.
//   CUDA graphs: with speculation a FULL graph covers uniform decode batches of 1 + k query
//             tokens per request (vLLM's uniform_decode_query_len); other batches run piecewise.
#include <cstdint>
#include <optional>
#include <vector>

#include "simulator/core/step_cost.hpp"

namespace llmpo {

enum class CudaGraphMode { none, piecewise, full_and_piecewise };

// The host side of the V1 engine, per step. Defaults and their sources are in vllm_step_cost.cpp.
struct VllmHostTiming {
  double per_step_s;      // schedule + prepare inputs + output processing at batch 1
  double per_seq_s;       // the same, per scheduled sequence
  double sync_gap_s;      // not hidden by async scheduling: the sampled-token copy and hand-off
  double launch_gap_s;    // host time to launch one kernel when no graph replays the step
  double graph_launch_s;  // host + device cost of replaying one captured graph
  static VllmHostTiming v1_defaults();
};

// The drafter of speculative decoding, per step.
struct VllmSpeculativeTiming {
  int64_t num_speculative_tokens = 0;  // k (0 = no speculation)
  std::optional<CostModel> drafter;    // EAGLE / MTP head or draft model; none for n-gram
  double cpu_per_seq_s = 0;            // a CPU proposer's time per sequence (n-gram)
  double target_vocab_shard = 0;       // target LM-head columns on one GPU (vocab / TP), for the
                                       // draft positions' logits
};

struct VllmStepTimingConfig {
  bool async_scheduling = true;
  CudaGraphMode cudagraph_mode = CudaGraphMode::full_and_piecewise;
  std::vector<int64_t> capture_sizes;  // ascending; empty = no graphs
  VllmHostTiming host = VllmHostTiming::v1_defaults();
  VllmSpeculativeTiming speculative;
};

// Which way a step runs, and its padded row count (for tests and reports).
struct VllmStepPlan {
  CudaGraphMode runs_as = CudaGraphMode::none;
  double padded_tokens = 0;
};

class VllmStepCost final : public StepCost {
 public:
  // The cost model must be built with include_host_overhead = false (the host is timed here).
  VllmStepCost(CostModel model, VllmStepTimingConfig config);
  SimTime step_time_ns(const StepShape& shape) const override;
  // With pipeline parallelism: the step's time split over the stages in proportion to each
  // stage's kernels plus its outgoing activation transfer (the breakdown's stage times).
  void stage_times_ns(const StepShape& shape, std::vector<SimTime>& out) const override;
  // A decode run's counts, CUDA-graph plan and host time are its first step's: only the
  // attention is timed per step (where the model's attention is plain: CostModel).
  void start_decode_run(const StepShape& first) const override;
  SimTime decode_run_step_ns(const StepShape& shape) const override;

  double step_time_s(const StepShape& shape) const;
  double gpu_time_s(const StepShape& shape) const;
  double host_time_s(const StepShape& shape) const;
  // Speculative decoding's GPU time on top of the target's kernels: the draft positions' logits
  // and the drafter's passes (0 without speculation).
  double speculation_time_s(const StepShape& shape) const;
  VllmStepPlan plan(const StepShape& shape) const;
  const CostModel& model() const { return model_; }
  const VllmStepTimingConfig& config() const { return config_; }

 private:
  CostModel model_;
  VllmStepTimingConfig config_;
  int64_t max_capture_ = 0;
  // What a step's time takes from its token and sequence counts alone (the CUDA-graph plan; the
  // GEMMs, LM head and sampling: CostModel::count_part_s), remembered for the last counts seen:
  // every step of a decode run has the same counts, and only its attention is timed afresh.
  // Per replica and single-threaded, like CostModel's memos.
  struct CountPart {
    double new_tokens = -1;
    double seqs = -1;
    bool has_prefill = false;
    VllmStepPlan plan;
    double kernels_s = 0;
  };
  mutable CountPart last_counts_;
  const CountPart& count_part(const StepShape& shape) const;
  // The decode run being timed (start_decode_run); `plain` false: each step is timed in full.
  struct DecodeRunPart {
    bool plain = false;
    double kernels_s = 0;
    CudaGraphMode runs_as = CudaGraphMode::none;
    double host_s = 0;
  };
  mutable DecodeRunPart decode_run_;
  // The target model's GPU time given its kernels' time, as the step runs (CUDA graphs or not).
  double target_time_s(double kernels_s, CudaGraphMode runs_as) const;
  // The step's time from its GPU and host times (async scheduling overlaps them).
  double step_seconds(double gpu_s, double host_s) const;
  // One pass of the drafter over `shape`, graphs as for the target (its own captured graphs).
  double drafter_pass_s(const StepShape& shape) const;
};

// Capture sizes: cudagraph_capture_sizes() in vllm_version.hpp.

// The smallest capture size >= n, or 0 when n exceeds them all (sizes ascending).
int64_t next_capture_size(const std::vector<int64_t>& sizes, int64_t n);

}  // namespace llmpo
