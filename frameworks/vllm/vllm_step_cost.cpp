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
  // A FULL graph covers uniform decode batches only (one query token per request, 1 + k with
  // speculation: vLLM's uniform_decode_query_len); a step with a prefill chunk, or with mixed
  // query lengths, falls back to the piecewise graphs.
  const int64_t k = config_.speculative.num_speculative_tokens;
  const double query = static_cast<double>(1 + k);
  const bool pure_decode = k == 0 ? shape.prefill.seqs == 0
                                  : shape.decode.seqs == 0 && shape.prefill.max_query_tokens == query &&
                                        shape.prefill.query_tokens == query * shape.prefill.seqs;
  p.runs_as = pure_decode && config_.cudagraph_mode == CudaGraphMode::full_and_piecewise ? CudaGraphMode::full_and_piecewise
                                                                                          : CudaGraphMode::piecewise;
  return p;
}

const VllmStepCost::CountPart& VllmStepCost::count_part(const StepShape& shape) const {
  // Without speculation the plan depends only on the step's token count and whether it has a
  // prefill; with it, on the query lengths too (computed afresh each time).
  const bool remembered = config_.speculative.num_speculative_tokens == 0 && last_counts_.new_tokens == shape.new_tokens() &&
                          last_counts_.seqs == shape.num_seqs() && last_counts_.has_prefill == (shape.prefill.seqs != 0);
  if (remembered) return last_counts_;
  last_counts_.new_tokens = shape.new_tokens();
  last_counts_.seqs = shape.num_seqs();
  last_counts_.has_prefill = shape.prefill.seqs != 0;
  last_counts_.plan = plan(shape);
  last_counts_.kernels_s = model_.count_part_s(shape, last_counts_.plan.padded_tokens);
  return last_counts_;
}

double VllmStepCost::target_time_s(double kernels_s, CudaGraphMode runs_as) const {
  const VllmHostTiming& h = config_.host;
  switch (runs_as) {
    case CudaGraphMode::full_and_piecewise: return kernels_s + h.graph_launch_s;
    case CudaGraphMode::piecewise: {
      const double pieces = static_cast<double>(model_.model().num_layers) + 1;
      return kernels_s + pieces * h.graph_launch_s;
    }
    case CudaGraphMode::none: break;
  }
  return std::max(kernels_s, model_.kernels_per_step() * h.launch_gap_s);
}

double VllmStepCost::gpu_time_s(const StepShape& shape) const {
  const CountPart& counts = count_part(shape);
  const double kernels_s = model_.add_context_part_s(shape, counts.kernels_s);
  // The drafter runs after the target's forward, inside the same engine step.
  return target_time_s(kernels_s, counts.plan.runs_as) + speculation_time_s(shape);
}

void VllmStepCost::start_decode_run(const StepShape& first) const {
  // Speculation's terms vary with the drafts; a prefill or no decode takes another attention path.
  decode_run_.plain = config_.speculative.num_speculative_tokens == 0 && model_.decode_context_is_plain() &&
                      first.prefill.seqs == 0 && first.decode.seqs > 0 && first.verify.seqs == 0;
  if (!decode_run_.plain) return;
  const CountPart& counts = count_part(first);
  decode_run_.kernels_s = counts.kernels_s;
  decode_run_.runs_as = counts.plan.runs_as;
  decode_run_.host_s = host_time_s(first);
}

SimTime VllmStepCost::decode_run_step_ns(const StepShape& shape) const {
  if (!decode_run_.plain) return step_time_ns(shape);
  // gpu_time_s and step_time_ns's operations in their order (speculation adds 0 here).
  const double kernels_s = model_.add_decode_context_part_s(shape.decode, decode_run_.kernels_s);
  const double step_s = step_seconds(target_time_s(kernels_s, decode_run_.runs_as), decode_run_.host_s);
  return std::max<SimTime>(duration_to_ns(step_s), 1);
}

double VllmStepCost::drafter_pass_s(const StepShape& shape) const {
  const CostModel& drafter = *config_.speculative.drafter;
  const auto tokens = static_cast<int64_t>(shape.new_tokens());
  const VllmHostTiming& h = config_.host;
  if (config_.cudagraph_mode == CudaGraphMode::none || tokens > max_capture_)
    return std::max(drafter.step_time_s(shape), drafter.kernels_per_step() * h.launch_gap_s);
  const double padded = static_cast<double>(next_capture_size(config_.capture_sizes, tokens));
  const double pieces = static_cast<double>(drafter.model().num_layers) + 1;
  return drafter.step_time_padded_s(shape, padded) + pieces * h.graph_launch_s;
}

double VllmStepCost::speculation_time_s(const StepShape& shape) const {
  const VllmSpeculativeTiming& spec = config_.speculative;
  if (spec.num_speculative_tokens == 0) return 0;
  // The target's LM head on the draft positions: the step's own pricing has one logits row per
  // sequence; verification needs one per draft too (compute; the weights are read anyway).
  const double logits_flops = 2.0 * shape.verify_draft_tokens * model_.geometry().hidden * spec.target_vocab_shard;
  double t = logits_flops / model_.gemm_peak_flops_per_s();
  t += spec.cpu_per_seq_s * shape.num_seqs();
  if (!spec.drafter) return t;
  // Pass 1 over every token of the step; then k - 1 passes of one token per sequence, each
  // attending over the sequence's context (the few drafted tokens it grows by are left out).
  t += drafter_pass_s(shape);
  if (spec.num_speculative_tokens > 1) {
    StepShape next(shape.window_tokens);
    const double seqs = shape.num_seqs();
    const double kv = shape.prefill.kv_tokens + shape.decode.kv_tokens;
    next.decode = {seqs, seqs, kv, kv, kv, 1};
    if (shape.window_tokens > 0) {
      const double seen = shape.prefill_windowed.kv_tokens + shape.decode_windowed.kv_tokens;
      next.decode_windowed = {seqs, seqs, seen, seen, seen, 1};
    }
    t += static_cast<double>(spec.num_speculative_tokens - 1) * drafter_pass_s(next);
  }
  return t;
}

double VllmStepCost::host_time_s(const StepShape& shape) const {
  return config_.host.per_step_s + config_.host.per_seq_s * shape.num_seqs();
}

double VllmStepCost::step_seconds(double gpu_s, double host_s) const {
  return config_.async_scheduling ? std::max(gpu_s, host_s) + config_.host.sync_gap_s : gpu_s + host_s;
}

double VllmStepCost::step_time_s(const StepShape& shape) const { return step_seconds(gpu_time_s(shape), host_time_s(shape)); }

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
