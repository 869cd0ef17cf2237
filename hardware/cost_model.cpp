#include "cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "expert_parallel.hpp"
#include "models/quantization.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

std::string LayerKind::label() const {
  std::string out = moe ? "moe" : "dense";
  if (sliding) out += ", sliding window";
  return out;
}

namespace {

double sixteen_bit_peak(const GpuSpec& gpu, const std::string& dtype) {
  if (dtype == "float32") return gpu.supports(ComputeType::tf32) ? gpu.peak(ComputeType::tf32) : gpu.peak(ComputeType::fp32);
  if (dtype == "float16" && gpu.supports(ComputeType::fp16)) return gpu.peak(ComputeType::fp16);
  return gpu.supports(ComputeType::bf16) ? gpu.peak(ComputeType::bf16) : gpu.peak(ComputeType::fp16);
}

// W8A8 schemes use the 8-bit tensor cores where the GPU has them, 16-bit math elsewhere
// (vLLM then falls back to weight-only kernels).
double gemm_peak(const GpuSpec& gpu, const QuantizationInfo& quantization, const std::string& dtype) {
  switch (quantization.math) {
    case GemmMath::fp8:
      if (gpu.supports(ComputeType::fp8)) return gpu.peak(ComputeType::fp8);
      break;
    case GemmMath::int8:
      if (gpu.supports(ComputeType::int8)) return gpu.peak(ComputeType::int8);
      break;
    case GemmMath::activation_dtype: break;
  }
  return sixteen_bit_peak(gpu, dtype);
}

// Expected number of distinct experts that `tokens` tokens, each routed to `top_k` of `experts`
// uniformly at random, touch: E (1 - (1 - k/E)^T). Weights of untouched experts are not read.
double expected_touched_experts(double experts, double top_k, double tokens) {
  if (tokens <= 0) return 0;
  return experts * (1.0 - std::pow(1.0 - top_k / experts, tokens));
}

}  // namespace

CostModel::CostModel(const ModelSpec& model, const GpuSpec& gpu, const CostModelOptions& options)
    : model_(model), gpu_(gpu), options_(options) {
  const ParallelConfig& p = options.parallel;
  check_parallel_config(model, p);
  const QuantizationInfo& quantization = find_quantization(options.quantization);
  const double act_bytes = dtype_bytes(model.dtype);

  geometry_.hidden = static_cast<double>(model.hidden_size);
  geometry_.q_dim = static_cast<double>(query_heads_per_gpu(model, p) * model.head_dim);
  geometry_.kv_dim = static_cast<double>(kv_heads_per_gpu(model, p) * model.head_dim);
  geometry_.ffn_width = static_cast<double>(model.intermediate_size) / static_cast<double>(p.tensor_parallel);
  geometry_.gated_mlp = model.gated_mlp;
  geometry_.act_bytes = act_bytes;
  // Quantization "none" prices the formats the checkpoint ships (DeepSeek-V3 fp8_block, gpt-oss
  // mxfp4 experts); the GEMMs' math follows the non-expert format.
  const QuantizationInfo& linear_format = shipped_or_asked(model.shipped_weights.linear, quantization);
  const QuantizationInfo& expert_format = shipped_or_asked(model.shipped_weights.experts, quantization);
  const auto bytes_of = [&](const QuantizationInfo& q) { return q.weight_bytes_per_param > 0 ? q.weight_bytes_per_param : act_bytes; };
  geometry_.weight_bytes = bytes_of(linear_format);
  geometry_.expert_weight_bytes = bytes_of(expert_format);
  geometry_.kv_bytes = kv_cache_bytes_per_element(options.kv_cache_dtype, model.dtype);
  geometry_.head_dim = static_cast<double>(model.head_dim);
  table_bytes_ = quantization.quantizes_embeddings ? geometry_.weight_bytes : act_bytes;
  gemm_peak_ = gemm_peak(gpu, linear_format, model.dtype);
  if (model.mla.enabled())
    mla_ = mla_geometry(model, static_cast<double>(query_heads_per_gpu(model, p)), act_bytes, geometry_.weight_bytes,
                        geometry_.kv_bytes);
  attention_peak_ = sixteen_bit_peak(gpu, model.dtype);
  decode_attention_ = DecodeAttentionTimer(geometry_, gpu_, attention_peak_, options.accounting);

  const bool moe_group = model.moe.enabled() && p.data_parallel > 1;
  const bool multi_gpu = p.tensor_parallel > 1 || p.pipeline_parallel > 1 || moe_group;
  if (multi_gpu && options.intra_node == nullptr)
    throw InputError({}, "interconnect", "a multi-GPU configuration needs an interconnect preset");
  const bool tp_spans_nodes = p.tensor_parallel > gpu.max_gpus_per_node;
  const bool pp_spans_nodes = p.gpus() > gpu.max_gpus_per_node;
  moe_spans_nodes_ = moe_group && p.moe_ranks() > gpu.max_gpus_per_node;
  if ((tp_spans_nodes || pp_spans_nodes || moe_spans_nodes_) && options.inter_node == nullptr)
    throw InputError({}, "interconnect",
                     fmt::format("{} GPUs span more than one {}-GPU node: an inter-node interconnect is needed",
                                 moe_spans_nodes_ ? p.moe_ranks() * p.pipeline_parallel : p.gpus(),
                                 gpu.max_gpus_per_node));
  if (moe_group) {
    const MoeExchangeBytes exchange = moe_exchange_bytes(model, p, 1, act_bytes, gpu.max_gpus_per_node);
    moe_intra_link_ = collective_link(*options.intra_node, gpu, exchange.peers_per_node);
    if (moe_spans_nodes_) moe_inter_link_ = collective_link(*options.inter_node, gpu, exchange.peers);
  }
  if (p.expert_parallel)
    busiest_rank_share_ = busiest_rank_share(model.moe.num_experts, p.expert_parallel_size(), p.expert_load);
  if (p.tensor_parallel > 1)
    tp_link_ = collective_link(tp_spans_nodes ? *options.inter_node : *options.intra_node, gpu, p.tensor_parallel,
                               options.use_custom_all_reduce && !tp_spans_nodes);
  if (p.pipeline_parallel > 1)
    pp_link_ = collective_link(pp_spans_nodes ? *options.inter_node : *options.intra_node, gpu, 2);

  // Group layers into kinds and count each kind per pipeline stage.
  const auto stage_layers = pipeline_stage_layers(model.num_layers, p.pipeline_parallel);
  kind_count_per_stage_.assign(stage_layers.size(), {});
  int64_t layer = 0;
  for (std::size_t stage = 0; stage < stage_layers.size(); ++stage) {
    for (int64_t i = 0; i < stage_layers[stage]; ++i, ++layer) {
      const bool moe = model.is_moe_layer(layer);
      const bool sliding = model.is_sliding_layer(layer);
      std::size_t kind = 0;
      while (kind < layer_kinds_.size() && !(layer_kinds_[kind].moe == moe && layer_kinds_[kind].sliding == sliding)) ++kind;
      if (kind == layer_kinds_.size()) layer_kinds_.push_back({moe, sliding, 0});
      layer_kinds_[kind].count += 1;
      for (auto& counts : kind_count_per_stage_) counts.resize(layer_kinds_.size(), 0);
      kind_count_per_stage_[stage][kind] += 1;
    }
  }
  StepShape one_token(model.sliding_window.window_tokens);
  one_token.add_sequence(0, 1);
  for (const auto& op : breakdown(one_token).ops) kernels_per_step_ += op.count;
}

OperatorCost CostModel::make(OpKind kind, int layer_kind, double count, const OperatorWork& work) const {
  OperatorCost cost{kind, layer_kind, count, work, {}};
  switch (op_class(kind)) {
    case OpClass::gemm:
      // MLA's W_UK / W_UV stay 16-bit whatever the checkpoint (see mla_operators.hpp).
      cost.time = time_gemm(work, gpu_, kind == OpKind::mla_absorb ? attention_peak_ : gemm_peak_);
      break;
    case OpClass::attention: cost.time = time_attention(work, gpu_, attention_peak_); break;
    case OpClass::collective: cost.time = time_all_reduce(work, options_.parallel.tensor_parallel, tp_link_); break;
    case OpClass::transfer: cost.time = time_transfer(work, pp_link_); break;
    case OpClass::lookup:
    case OpClass::elementwise: cost.time = time_elementwise(work, gpu_); break;
  }
  return cost;
}

void CostModel::add_ffn_ops(double tokens, int kind_index, bool moe, std::vector<OperatorCost>& ops) const {
  const LayerGeometry& g = geometry_;
  const double count = static_cast<double>(layer_kinds_[static_cast<std::size_t>(kind_index)].count);
  const double tp = static_cast<double>(options_.parallel.tensor_parallel);
  const double up_factor = g.gated_mlp ? 2 : 1;  // gate and up fused, or up alone
  const Accounting accounting = options_.accounting;
  auto add_dense_ffn = [&](double width) {
    ops.push_back(make(OpKind::gate_up_proj, kind_index, count,
                       linear_work(tokens, g.hidden, width * up_factor, g.act_bytes, g.weight_bytes)));
    ops.push_back(make(OpKind::act_mul, kind_index, count, act_mul_work(width, tokens, g.act_bytes, g.gated_mlp, accounting)));
    ops.push_back(make(OpKind::down_proj, kind_index, count,
                       linear_work(tokens, width, g.hidden, g.act_bytes, g.weight_bytes)));
  };
  if (!moe) {
    add_dense_ffn(g.ffn_width);
    return;
  }
  const MoeSpec& m = model_.moe;
  const ParallelConfig& p = options_.parallel;
  const double experts = static_cast<double>(m.num_experts);
  const double top_k = static_cast<double>(m.experts_per_token);
  const double dp = static_cast<double>(p.data_parallel);
  // The router is small and replicated: every GPU scores every expert of its own tokens.
  ops.push_back(make(OpKind::moe_router, kind_index, count, linear_work(tokens, g.hidden, experts, g.act_bytes, g.act_bytes)));
  const MoeExchangeBytes exchange = moe_exchange_bytes(model_, p, tokens, g.act_bytes, gpu_.max_gpus_per_node);
  auto add_exchange = [&](OpKind kind, double bytes) {
    if (bytes <= 0) return;
    OperatorWork work;
    work.message_bytes = bytes;
    OperatorCost cost{kind, kind_index, count, work, {}};
    cost.time.time_s = moe_exchange_time_s(bytes, exchange.peers, exchange.peers_per_node, moe_intra_link_,
                                           moe_spans_nodes_ ? &moe_inter_link_ : nullptr);
    cost.time.memory_s = cost.time.time_s;
    cost.time.bound = Bound::network;
    ops.push_back(cost);
  };
  add_exchange(OpKind::moe_dispatch, exchange.dispatch);
  // Token-expert assignments this rank computes, the experts they touch and each one's width.
  double assignments = 0, touched = 0, width = 0;
  if (p.expert_parallel) {
    // Whole experts per rank; the busiest rank (hardware/expert_parallel.hpp) sets the time. The
    // group routes every DP rank's tokens (lockstep: each DP rank is assumed to carry `tokens`).
    const int64_t ranks = p.expert_parallel_size();
    const double local_experts = static_cast<double>(experts_per_rank(m.num_experts, ranks).front());
    assignments = expected_busiest_rank_assignments(dp * tokens * top_k, busiest_rank_share_, ranks);
    touched = expected_touched_experts(local_experts, 1, assignments);
    width = static_cast<double>(m.expert_intermediate_size);
  } else {
    // Every expert's columns split over TP x DP ranks; each rank sees the whole group's tokens.
    assignments = dp * tokens * top_k;
    touched = expected_touched_experts(experts, top_k, dp * tokens);
    width = static_cast<double>(m.expert_intermediate_size) / static_cast<double>(p.moe_ranks());
  }
  const double tokens_per_expert = touched > 0 ? assignments / touched : 0;
  ops.push_back(make(OpKind::expert_gate_up, kind_index, count,
                     linear_work(tokens_per_expert, g.hidden, width * up_factor, g.act_bytes, g.expert_weight_bytes, touched)));
  ops.push_back(make(OpKind::expert_act_mul, kind_index, count,
                     act_mul_work(width, assignments, g.act_bytes, g.gated_mlp, accounting)));
  ops.push_back(make(OpKind::expert_down, kind_index, count,
                     linear_work(tokens_per_expert, width, g.hidden, g.act_bytes, g.expert_weight_bytes, touched)));
  add_exchange(OpKind::moe_combine, exchange.combine);
  if (m.num_shared_experts > 0)
    add_dense_ffn(static_cast<double>(m.num_shared_experts * m.shared_expert_intermediate_size) / tp);
}

void CostModel::add_layer_ops(const StepShape& shape, int kind_index, std::vector<OperatorCost>& ops) const {
  const LayerKind& kind = layer_kinds_[static_cast<std::size_t>(kind_index)];
  const LayerGeometry& g = geometry_;
  const double count = static_cast<double>(kind.count);
  const double tokens = shape.new_tokens();
  const bool tp = options_.parallel.tensor_parallel > 1;
  OperatorWork all_reduce;
  all_reduce.message_bytes = tokens * g.hidden * g.act_bytes;

  // With fused add + norm, each norm also performs the residual add before it (the previous
  // layer's FFN output, then this layer's attention output) and no separate add runs.
  const bool fused = options_.fused_add_norm;
  const auto norm_work = [&] { return fused ? fused_add_rms_norm_work(g, tokens) : rms_norm_work(g, tokens); };
  ops.push_back(make(OpKind::attn_norm, kind_index, count, norm_work()));
  const AttentionLoad& prefill = kind.sliding ? shape.prefill_windowed : shape.prefill;
  const AttentionLoad& decode = kind.sliding ? shape.decode_windowed : shape.decode;
  if (model_.mla.enabled()) {
    add_mla_attention_ops(tokens, prefill, decode, shape.verify, kind_index, ops);
  } else {
    ops.push_back(make(OpKind::qkv_proj, kind_index, count,
                       linear_work(tokens, g.hidden, g.q_dim + 2 * g.kv_dim, g.act_bytes, g.weight_bytes)));
    if (model_.position_embedding == PositionEmbedding::rope)
      ops.push_back(make(OpKind::rope, kind_index, count, rope_work(g, tokens)));
    ops.push_back(make(OpKind::attention, kind_index, count, attention_work(g, prefill, decode, options_.accounting)));
    ops.push_back(make(OpKind::o_proj, kind_index, count, linear_work(tokens, g.q_dim, g.hidden, g.act_bytes, g.weight_bytes)));
  }
  if (tp) ops.push_back(make(OpKind::attn_all_reduce, kind_index, count, all_reduce));
  // Gemma-2/3 also normalise each block's output (four norms per layer); phi-2 runs attention
  // and FFN in parallel off a single norm.
  const int64_t norms = model_.norms_per_layer;
  if (norms >= 3) ops.push_back(make(OpKind::attn_post_norm, kind_index, count, rms_norm_work(g, tokens)));
  // A single-norm layer (phi-2) has no norm after attention to fuse its add into.
  if (!fused || norms < 2) ops.push_back(make(OpKind::attn_residual, kind_index, count, residual_add_work(g, tokens)));
  if (norms >= 2) ops.push_back(make(OpKind::ffn_norm, kind_index, count, norm_work()));
  add_ffn_ops(tokens, kind_index, kind.moe, ops);
  if (tp) ops.push_back(make(OpKind::ffn_all_reduce, kind_index, count, all_reduce));
  if (norms >= 4) ops.push_back(make(OpKind::ffn_post_norm, kind_index, count, rms_norm_work(g, tokens)));
  // Fused: the next layer's input norm (or the final norm) adds it.
  if (!fused) ops.push_back(make(OpKind::ffn_residual, kind_index, count, residual_add_work(g, tokens)));
}

StepBreakdown CostModel::breakdown(const StepShape& shape) const {
  StepBreakdown out;
  const LayerGeometry& g = geometry_;
  const double tokens = shape.new_tokens();
  const double seqs = shape.num_seqs();
  const std::size_t stages = kind_count_per_stage_.size();
  const double tp = static_cast<double>(options_.parallel.tensor_parallel);

  // Model-level operators: embedding on the first stage; norm, LM head, sampling on the last.
  OperatorWork embedding = embedding_work(g, tokens);
  embedding.input_bytes = g.hidden * tokens * table_bytes_;
  out.ops.push_back(make(OpKind::embedding, -1, 1, embedding));
  double first_stage_extra = out.ops.back().total_time_s();
  if (options_.parallel.tensor_parallel > 1) {
    // A vocabulary-parallel embedding all-reduces its partial rows.
    OperatorWork reduce;
    reduce.message_bytes = tokens * g.hidden * g.act_bytes;
    out.ops.push_back(make(OpKind::attn_all_reduce, -1, 1, reduce));
    first_stage_extra += out.ops.back().total_time_s();
  }
  const std::size_t first_layer_op = out.ops.size();
  for (int kind = 0; kind < static_cast<int>(layer_kinds_.size()); ++kind) add_layer_ops(shape, kind, out.ops);
  std::vector<double> kind_time_s(layer_kinds_.size(), 0.0);  // one layer of each kind
  for (std::size_t i = first_layer_op; i < out.ops.size(); ++i)
    kind_time_s[static_cast<std::size_t>(out.ops[i].layer_kind)] += out.ops[i].time.time_s;

  double last_stage_extra = 0;
  auto add_tail = [&](OpKind kind, const OperatorWork& work) {
    out.ops.push_back(make(kind, -1, 1, work));
    last_stage_extra += out.ops.back().total_time_s();
  };
  add_tail(OpKind::final_norm, options_.fused_add_norm ? fused_add_rms_norm_work(g, tokens) : rms_norm_work(g, tokens));
  const double vocab_shard = static_cast<double>(model_.vocab_size) / tp;
  add_tail(OpKind::lm_head, linear_work(seqs, g.hidden, vocab_shard, g.act_bytes, table_bytes_));
  add_tail(OpKind::sampling, sampling_work(static_cast<double>(model_.vocab_size), seqs));

  out.stage_time_s.assign(stages, 0.0);
  for (std::size_t s = 0; s < stages; ++s)
    for (std::size_t k = 0; k < layer_kinds_.size(); ++k)
      out.stage_time_s[s] += static_cast<double>(kind_count_per_stage_[s][k]) * kind_time_s[k];
  out.stage_time_s.front() += first_stage_extra;
  out.stage_time_s.back() += last_stage_extra;

  double transfer_one_s = 0;
  if (stages > 1) {
    OperatorWork send;
    send.message_bytes = tokens * g.hidden * g.act_bytes;
    out.ops.push_back(make(OpKind::pp_transfer, -1, static_cast<double>(stages - 1), send));
    transfer_one_s = out.ops.back().time.time_s;
    out.transfer_time_s = out.ops.back().total_time_s();
  }
  const GpuEfficiency& e = gpu_.efficiency;
  if (options_.include_host_overhead) out.cpu_overhead_s = e.cpu_overhead_per_step_s + e.cpu_overhead_per_seq_s * seqs;
  for (double stage_s : out.stage_time_s) {
    out.latency_s += stage_s;
    out.bottleneck_stage_s = std::max(out.bottleneck_stage_s, stage_s + (stages > 1 ? transfer_one_s : 0));
  }
  out.latency_s += out.transfer_time_s + out.cpu_overhead_s;
  return out;
}

}  // namespace llmpo

namespace llmpo {

namespace {

// Memoised f(count) for whole counts below a bound; larger or fractional counts are computed.
template <typename Compute>
double memoised(std::vector<double>& memo, double count, Compute compute) {
  constexpr double kLimit = 1 << 16;
  const bool cacheable = count >= 0 && count < kLimit && count == std::floor(count);
  if (!cacheable) return compute();
  const auto index = static_cast<std::size_t>(count);
  if (index >= memo.size()) memo.resize(index + 1, std::numeric_limits<double>::quiet_NaN());
  if (std::isnan(memo[index])) memo[index] = compute();
  return memo[index];
}

}  // namespace

double CostModel::token_part_s(double tokens) const {
  return memoised(token_part_memo_, tokens, [&] {
    if (tokens <= 0) return 0.0;
    StepShape shape(model_.sliding_window.window_tokens);
    shape.add_sequence(0, static_cast<int64_t>(tokens));
    double total = 0;
    for (const auto& op : breakdown(shape).ops)
      if (op.kind != OpKind::attention && op.kind != OpKind::lm_head && op.kind != OpKind::sampling &&
          op.kind != OpKind::mla_kv_up && op.kind != OpKind::mla_absorb)  // these depend on the cached lengths
        total += op.total_time_s();
    return total;
  });
}

double CostModel::sequence_part_s(double seqs) const {
  return memoised(sequence_part_memo_, seqs, [&] {
    if (seqs <= 0) return 0.0;
    StepShape shape(model_.sliding_window.window_tokens);
    for (int64_t i = 0; i < static_cast<int64_t>(seqs); ++i) shape.add_sequence(0, 1);
    const StepBreakdown b = breakdown(shape);
    double total = b.cpu_overhead_s;
    for (const auto& op : b.ops)
      if (op.kind == OpKind::lm_head || op.kind == OpKind::sampling) total += op.total_time_s();
    return total;
  });
}

double CostModel::step_time_s(const StepShape& shape) const { return step_time_padded_s(shape, shape.new_tokens()); }

double CostModel::step_time_padded_s(const StepShape& shape, double padded_tokens) const {
  return add_context_part_s(shape, count_part_s(shape, padded_tokens));
}

double CostModel::count_part_s(const StepShape& shape, double padded_tokens) const {
  return token_part_s(std::max(padded_tokens, shape.new_tokens())) + sequence_part_s(shape.num_seqs());
}

bool CostModel::decode_context_is_plain() const {
  return !model_.mla.enabled() &&
         std::none_of(layer_kinds_.begin(), layer_kinds_.end(), [](const LayerKind& kind) { return kind.sliding; });
}

double CostModel::add_context_part_s(const StepShape& shape, double total) const {
  for (std::size_t k = 0; k < layer_kinds_.size(); ++k) {
    const LayerKind& kind = layer_kinds_[k];
    const AttentionLoad& prefill = kind.sliding ? shape.prefill_windowed : shape.prefill;
    const AttentionLoad& decode = kind.sliding ? shape.decode_windowed : shape.decode;
    if (model_.mla.enabled()) {
      total += static_cast<double>(kind.count) * mla_context_time_s(prefill, decode, shape.verify);
      continue;
    }
    // A pure-decode step (nearly every step of a run) takes the precomputed path, bit for bit.
    const double attention_s =
        prefill.seqs == 0 && decode.seqs > 0
            ? decode_attention_.time_s(decode)
            : time_attention(attention_work(geometry_, prefill, decode, options_.accounting), gpu_, attention_peak_).time_s;
    total += static_cast<double>(kind.count) * attention_s;
  }
  return total;
}

}  // namespace llmpo
