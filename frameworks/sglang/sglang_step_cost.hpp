#pragma once
// How long one SGLang engine step takes on the wall clock: the GPU time of the forward pass as
// the roofline cost model prices it, shaped by SGLang's CUDA graphs, plus the scheduler's CPU
// work, hidden behind the GPU by the overlap scheduler.
//
//   GPU time (python/sglang/srt/model_executor/cuda_graph_runner.py): a decode batch of at most
//   cuda_graph_max_bs requests replays the graph captured for the next capture batch size:
//   kernels(padded) + graph_launch. Prefill (extend) batches and larger decode batches run
//   eagerly: max(kernels, kernel count x launch_gap) (piecewise prefill graphs are off by
//   default and not modelled).
//   CPU time: per_step + per_seq x sequences (scheduling, radix-cache matching, batch
//   preparation and result processing in the scheduler process).
//   Step: the overlap scheduler (Scheduler.event_loop_overlap, default on) prepares batch N+1
//   while the GPU runs batch N: max(GPU, CPU) + sync_gap; with disable_overlap_schedule the
//   two run one after the other: GPU + CPU.
#include <cstdint>
#include <vector>

#include "simulator/core/step_cost.hpp"

namespace llmpo {

// SGLang's CPU timing per step; defaults and their derivation in sglang_step_cost.cpp.
struct SglangHostTiming {
  double per_step_s;      // scheduler loop at batch 1
  double per_seq_s;       // per scheduled request
  double sync_gap_s;      // not hidden by the overlap: the hand-over of the sampled tokens
  double launch_gap_s;    // host time per kernel launched eagerly
  double graph_launch_s;  // replaying one captured CUDA graph
  static SglangHostTiming defaults();
};

struct SglangStepTimingConfig {
  bool overlap_schedule = true;
  std::vector<int64_t> cuda_graph_batch_sizes;  // ascending; empty = no CUDA graphs
  SglangHostTiming host = SglangHostTiming::defaults();
};

// SGLang's decode capture batch sizes up to max_bs (server_args.py
// _generate_cuda_graph_batch_sizes, without speculative decoding): 1, 2, 4, 8, 12, then every 8
// to 256, every 16 to 496, every 32 from 512.
std::vector<int64_t> sglang_cuda_graph_batch_sizes(int64_t max_bs);

class SglangStepCost final : public StepCost {
 public:
  // The cost model must be built with include_host_overhead = false (the CPU is timed here).
  SglangStepCost(CostModel model, SglangStepTimingConfig config);
  SimTime step_time_ns(const StepShape& shape) const override;

  double step_time_s(const StepShape& shape) const;
  double gpu_time_s(const StepShape& shape) const;
  double host_time_s(const StepShape& shape) const;
  // The batch size the decode graph pads `shape` to, or 0 when the step runs eagerly.
  int64_t graph_batch_size(const StepShape& shape) const;
  const SglangStepTimingConfig& config() const { return config_; }

 private:
  CostModel model_;
  SglangStepTimingConfig config_;
};

}  // namespace llmpo
