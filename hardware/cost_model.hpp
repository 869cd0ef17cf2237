#pragma once
// The roofline cost model: a pure function from (batch shape, configuration) to a step time,
// with one term per operator so reports can show where time goes.
// Configuration-dependent work (sharded widths, layer kinds per stage, links, peak rates) is
// done once in the constructor; breakdown() is O(number of operators), never O(tokens).
#include <string>
#include <vector>

#include "decode_attention.hpp"
#include "gpu_spec.hpp"
#include "interconnect.hpp"
#include "kernel_timing.hpp"
#include "mla_operators.hpp"
#include "models/model_spec.hpp"
#include "models/parallel_config.hpp"
#include "operators.hpp"
#include "step_shape.hpp"

namespace llmpo {

struct CostModelOptions {
  ParallelConfig parallel;
  std::string quantization = "none";
  std::string kv_cache_dtype = "auto";
  Accounting accounting = Accounting::corrected;
  // Links for TP collectives, PP transfers and MoE dispatch / combine: `intra_node` while the GPUs
  // fit in one node, `inter_node` once they span nodes. Required only when TP, PP or (MoE) DP > 1.
  const InterconnectSpec* intra_node = nullptr;
  const InterconnectSpec* inter_node = nullptr;
  // vLLM's decoder layers fuse each residual add into the RMSNorm that follows it
  // (LlamaDecoderLayer.forward: input_layernorm(hidden, residual), post_attention_layernorm(...)):
  // two fused add+norm kernels per layer instead of two norms and two adds.
  bool fused_add_norm = false;
  // Charge the GPU profile's per-step host cost (cpu_overhead_per_step/per_seq) inside the step.
  // Engines that model their own host timing (vLLM V1's overlapped scheduling) turn it off.
  bool include_host_overhead = true;
  // TP all-reduces use vLLM's custom all-reduce where vLLM would (hardware/interconnect.hpp has
  // the rule): vLLM's default (disable_custom_all_reduce = False). Hook for the framework config:
  // a framework without it, or a vLLM config with --disable-custom-all-reduce, sets this false.
  bool use_custom_all_reduce = true;
};

// A group of layers that cost the same: dense or MoE FFN, full or sliding-window attention.
struct LayerKind {
  bool moe = false;
  bool sliding = false;
  int64_t count = 0;  // layers of this kind in the whole model
  std::string label() const;  // "dense", "moe, sliding window", ...
};

struct OperatorCost {
  OpKind kind;
  int layer_kind = -1;   // index into CostModel::layer_kinds(), -1 for model-level operators
  double count = 1;      // times it runs in one step (layers of its kind)
  OperatorWork work;     // per run, per GPU
  OpTime time;           // per run
  double total_time_s() const { return count * time.time_s; }
};

struct StepBreakdown {
  std::vector<OperatorCost> ops;
  std::vector<double> stage_time_s;  // GPU time of each pipeline stage
  double transfer_time_s = 0;        // activations sent between stages
  double cpu_overhead_s = 0;         // scheduler, sampler, input preparation
  // Time for one batch to pass every stage: what a step costs without pipelining overlap.
  double latency_s = 0;
  // Time of the slowest stage plus its outgoing transfer: the interval between successive
  // batches when the pipeline is kept full.
  double bottleneck_stage_s = 0;
};

class CostModel {
 public:
  CostModel(const ModelSpec& model, const GpuSpec& gpu, const CostModelOptions& options);

  StepBreakdown breakdown(const StepShape& shape) const;

  // The same latency as breakdown(shape).latency_s (to rounding), fast enough for the event loop:
  // everything that depends only on the step's token count or sequence count is computed once
  // per distinct count and remembered; only attention, which depends on the cached lengths, is
  // evaluated per step. Not thread-safe (the caches are per CostModel; each replica has its own).
  double step_time_s(const StepShape& shape) const;
  // step_time_s of a step whose GEMMs and element-wise kernels run `padded_tokens` rows (a CUDA
  // graph captured for that many) while attention and the LM head see the real batch.
  double step_time_padded_s(const StepShape& shape, double padded_tokens) const;
  // step_time_padded_s in its two parts, for callers that time many steps of one token and
  // sequence count (a decode run): what depends only on those counts, and `total` plus the
  // attention that depends on the cached lengths, added in the same order, so that
  // add_context_part_s(shape, count_part_s(shape, padded)) is step_time_padded_s bit for bit.
  double count_part_s(const StepShape& shape, double padded_tokens) const;
  double add_context_part_s(const StepShape& shape, double total) const;
  // add_context_part_s of a step with decodes only (`decode`, no prefill, none verifying), bit for
  // bit, for models whose layers all see every cached token through the standard attention
  // (decode_context_is_plain: no sliding window, no MLA): each kind of layer adds the same
  // decode attention, timed once.
  bool decode_context_is_plain() const;
  double add_decode_context_part_s(const AttentionLoad& decode, double total) const {
    const double attention_s = decode_attention_.time_s(decode);
    for (const LayerKind& kind : layer_kinds_) total += static_cast<double>(kind.count) * attention_s;
    return total;
  }
  // GPU kernels one step launches (every operator of every layer, model-level ones included):
  // what launch gaps multiply when no CUDA graph replays the step.
  double kernels_per_step() const { return kernels_per_step_; }
  StepShape empty_shape() const { return StepShape(model_.sliding_window.window_tokens); }

  const std::vector<LayerKind>& layer_kinds() const { return layer_kinds_; }
  std::size_t stage_count() const { return kind_count_per_stage_.size(); }
  const LayerGeometry& geometry() const { return geometry_; }
  double gemm_peak_flops_per_s() const { return gemm_peak_; }
  double attention_peak_flops_per_s() const { return attention_peak_; }
  const ModelSpec& model() const { return model_; }
  const GpuSpec& gpu() const { return gpu_; }

 private:
  void add_layer_ops(const StepShape& shape, int kind_index, std::vector<OperatorCost>& ops) const;
  void add_ffn_ops(double tokens, int kind_index, bool moe, std::vector<OperatorCost>& ops) const;
  OperatorCost make(OpKind kind, int layer_kind, double count, const OperatorWork& work) const;
  // MLA models (hardware/mla_operators.hpp; defined in cost_model_mla.cpp): the attention block's
  // operators, and the time of those that depend on the cached lengths (the attention kernels,
  // the prefills' kv_b up-projection, the decodes' W_UK / W_UV absorption) for one layer.
  // `verify`: the speculative verifications among the prefills, which run with the decodes.
  void add_mla_attention_ops(double tokens, const AttentionLoad& prefill, const AttentionLoad& decode,
                             const AttentionLoad& verify, int kind_index,
                             std::vector<OperatorCost>& ops) const;
  double mla_context_time_s(const AttentionLoad& prefill, const AttentionLoad& decode, const AttentionLoad& verify) const;
  double token_part_s(double tokens) const;  // every operator that scales with new tokens
  double sequence_part_s(double seqs) const; // LM head, sampling, CPU overhead

  ModelSpec model_;
  GpuSpec gpu_;
  CostModelOptions options_;
  LayerGeometry geometry_;
  MlaGeometry mla_;               // MLA models only
  double table_bytes_ = 2;        // embedding / LM head element size
  double gemm_peak_ = 0;          // FLOP/s of the GEMMs' math type
  double attention_peak_ = 0;     // FLOP/s of attention (16-bit math)
  double kernels_per_step_ = 0;
  DecodeAttentionTimer decode_attention_;  // add_context_part_s of pure-decode steps
  CollectiveLink tp_link_;
  CollectiveLink pp_link_;
  // MoE dispatch / combine between DP ranks (hardware/expert_parallel.hpp): the NVLink domain
  // and, when the MoE group spans nodes, the RDMA network.
  CollectiveLink moe_intra_link_;
  CollectiveLink moe_inter_link_;
  bool moe_spans_nodes_ = false;
  double busiest_rank_share_ = 1;  // q of expert_parallel.hpp under expert parallelism
  std::vector<LayerKind> layer_kinds_;
  std::vector<std::vector<int64_t>> kind_count_per_stage_;  // [stage][kind]
  // Memo of token_part_s / sequence_part_s by integer count (NaN = not computed yet).
  mutable std::vector<double> token_part_memo_;
  mutable std::vector<double> sequence_part_memo_;
};

}  // namespace llmpo
