#pragma once
// Shared by the cost-model tests (test_cost_model*.cpp): sums over a step's operators and small
// step builders. Constants the hand-worked numbers use (from models/library/*.yaml):
//   Llama-2-7B:   32 layers, d 4096, 32 heads / 32 KV heads x 128, FFN 11008, vocab 32000, fp16
//   Llama-3-70B:  80 layers, d 8192, 64 heads / 8 KV heads x 128, FFN 28672, vocab 128256, bf16
//   Mixtral-8x7B: 32 layers, d 4096, 8 experts of width 14336, top-2, bf16
//   Gemma-2-9B:   42 layers alternating sliding (window 4096) / global, 16 heads / 8 KV x 256
// GPU constants (hardware/gpus/*.yaml): A100-80GB-SXM 2.039 TB/s, 312 TFLOPS bf16/fp16,
// 108 SMs, NVLink 300 GB/s; H100-SXM NVLink 450 GB/s. nvswitch (calibrated): bandwidth protocol
// 32.14 us + 0 per rank at 0.6265 of the link, low-latency protocol 8.94 us + 1.95 us per rank at 0.1649.
#include <cstdint>

#include "hardware/cost_model.hpp"
#include "hardware/interconnect.hpp"

namespace llmpo::test {


inline const OperatorCost* find_op(const StepBreakdown& b, OpKind kind, int layer_kind) {
  for (const auto& op : b.ops)
    if (op.kind == kind && op.layer_kind == layer_kind) return &op;
  return nullptr;
}
// The result points into the breakdown: never take it from a temporary.
inline const OperatorCost* find_op(const StepBreakdown&& b, OpKind kind, int layer_kind) = delete;

// Per-step sums over every operator (count x per-run value).
inline double sum_weight_bytes(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.weight_bytes;
  return total;
}
inline double sum_total_bytes(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.total_bytes();
  return total;
}
inline double sum_flops(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.flops;
  return total;
}
inline double sum_kernels(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count;
  return total;
}
inline double sum_attention(const StepBreakdown& b, double OperatorWork::*field) {
  double total = 0;
  for (const auto& op : b.ops)
    if (op.kind == OpKind::attention) total += op.count * (op.work.*field);
  return total;
}

inline StepShape decode_batch(const CostModel& model, int batch, int64_t cached) {
  StepShape shape = model.empty_shape();
  for (int i = 0; i < batch; ++i) shape.add_sequence(cached, 1);
  return shape;
}

inline CostModelOptions with_parallel(int64_t tp, int64_t pp, const InterconnectSpec* intra, bool custom_all_reduce = true) {
  CostModelOptions options;
  options.parallel.tensor_parallel = tp;
  options.parallel.pipeline_parallel = pp;
  options.intra_node = intra;
  options.use_custom_all_reduce = custom_all_reduce;
  return options;
}


}  // namespace llmpo::test
