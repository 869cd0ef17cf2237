#include "vllm_step_cost.hpp"

#include <algorithm>

#include "simulator/util/error.hpp"

namespace llmpo {

VllmHostTiming VllmHostTiming::v1_defaults() {
  VllmHostTiming t;
  // V1's engine core per step: schedule(), the model runner's _prepare_inputs and
  // update_from_output(). update_from_output alone measures 0.142 ms at batch 128 and 0.287 ms at
  // 256 (vLLM PR #46112 micro-benchmark), ~1.1 us per sequence; schedule() and input preparation
  // walk the same requests, so about 4 us per sequence in all, on a fixed ~0.35 ms (the
  // batch-1 cost of the three, the ZMQ hand-off of outputs to the API server included).
  t.per_step_s = 350e-6;
  t.per_seq_s = 4e-6;
  // What async scheduling cannot hide: the device-to-host copy of the sampled token ids that the
  // step after next needs, and the hand-over between the two batches in flight.
  t.sync_gap_s = 30e-6;
  // Eager PyTorch / inductor launch: ~5 us of host time per kernel (dispatcher + cudaLaunchKernel).
  t.launch_gap_s = 5e-6;
  // cudaGraphLaunch of a captured forward: a few us on the host, a few on the device.
  t.graph_launch_s = 8e-6;
  return t;
}

int64_t next_capture_size(const std::vector<int64_t>& sizes, int64_t n) {
  const auto it = std::lower_bound(sizes.begin(), sizes.end(), n);
  return it == sizes.end() ? 0 : *it;
}

VllmStepCost::VllmStepCost(CostModel model, VllmStepTimingConfig config)
    : model_(std::move(model)), config_(std::move(config)) {
  if (!std::is_sorted(config_.capture_sizes.begin(), config_.capture_sizes.end()))
    throw InternalError("vLLM step cost: CUDA-graph capture sizes must be ascending");
  max_capture_ = config_.capture_sizes.empty() ? 0 : config_.capture_sizes.back();
  if (config_.capture_sizes.empty()) config_.cudagraph_mode = CudaGraphMode::none;
}

VllmStepPlan VllmStepCost::plan(const StepShape& shape) const {
  VllmStepPlan p;
  const auto tokens = static_cast<int64_t>(shape.new_tokens());
  p.padded_tokens = static_cast<double>(tokens);
  if (config_.cudagraph_mode == CudaGraphMode::none || tokens > max_capture_) return p;
  p.padded_tokens = static_cast<double>(next_capture_size(config_.capture_sizes, tokens));
  // A FULL graph covers uniform decode batches only (one query token per request); a step with a
  // prefill chunk falls back to the piecewise graphs.
  const bool pure_decode = shape.prefill.seqs == 0;
  p.runs_as = pure_decode && config_.cudagraph_mode == CudaGraphMode::full_and_piecewise ? CudaGraphMode::full_and_piecewise
                                                                                          : CudaGraphMode::piecewise;
  return p;
}

double VllmStepCost::gpu_time_s(const StepShape& shape) const {
  const VllmStepPlan p = plan(shape);
  const double kernels_s = model_.step_time_padded_s(shape, p.padded_tokens);
  const VllmHostTiming& h = config_.host;
  switch (p.runs_as) {
    case CudaGraphMode::full_and_piecewise: return kernels_s + h.graph_launch_s;
    case CudaGraphMode::piecewise: {
      const double pieces = static_cast<double>(model_.model().num_layers) + 1;
      return kernels_s + pieces * h.graph_launch_s;
    }
    case CudaGraphMode::none: break;
  }
  return std::max(kernels_s, model_.kernels_per_step() * h.launch_gap_s);
}

double VllmStepCost::host_time_s(const StepShape& shape) const {
  return config_.host.per_step_s + config_.host.per_seq_s * shape.num_seqs();
}

double VllmStepCost::step_time_s(const StepShape& shape) const {
  const double gpu = gpu_time_s(shape);
  const double host = host_time_s(shape);
  return config_.async_scheduling ? std::max(gpu, host) + config_.host.sync_gap_s : gpu + host;
}

// At least one tick: a step of zero time (a model too small to register) would never advance the clock.
SimTime VllmStepCost::step_time_ns(const StepShape& shape) const {
  return std::max<SimTime>(duration_to_ns(step_time_s(shape)), 1);
}

void VllmStepCost::stage_times_ns(const StepShape& shape, std::vector<SimTime>& out) const {
  const SimTime total = step_time_ns(shape);
  if (model_.stage_count() <= 1) {
    out.assign(1, total);
    return;
  }
  const StepBreakdown b = model_.breakdown(shape);
  const std::size_t stages = b.stage_time_s.size();
  const double transfer_s = stages > 1 ? b.transfer_time_s / static_cast<double>(stages - 1) : 0.0;
  std::vector<double> share(stages);
  double sum = 0;
  for (std::size_t s = 0; s < stages; ++s) {
    share[s] = b.stage_time_s[s] + (s + 1 < stages ? transfer_s : 0.0);
    sum += share[s];
  }
  out.assign(stages, 0);
  SimTime assigned = 0;
  for (std::size_t s = 0; s + 1 < stages; ++s) {
    out[s] = std::max<SimTime>(1, static_cast<SimTime>(static_cast<double>(total) * share[s] / sum));
    assigned += out[s];
  }
  out.back() = std::max<SimTime>(1, total - assigned);  // the parts add up to the step exactly
}

}  // namespace llmpo
