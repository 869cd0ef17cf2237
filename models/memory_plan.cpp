#include "memory_plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Parameters of linear layers in one transformer layer held by one TP rank, and of the
// replicated small tensors (norms, router, biases that are not sharded).
struct LayerParams {
  double linear = 0;         // quantizable matrices, already divided among TP ranks
  double expert_linear = 0;  // the routed experts' matrices (a checkpoint may ship them apart)
  double replicated = 0;     // kept in the model dtype on every rank
};

// One MLA layer's attention on one TP rank, as vLLM's DeepseekV2MLAAttention builds it
// (vllm/model_executor/models/deepseek_v2.py): q_a_proj and kv_a_proj_with_mqa are replicated
// (fused_qkv_a_proj with disable_tp, ReplicatedLinear without q_lora), q_b_proj / q_proj and
// kv_b_proj are column-parallel over the heads, o_proj row-parallel.
void add_mla_attention(const ModelSpec& m, const ParallelConfig& p, LayerParams& out) {
  const MlaSpec& a = m.mla;
  const double h = static_cast<double>(m.hidden_size);
  const double heads = static_cast<double>(query_heads_per_gpu(m, p));
  const double qk = static_cast<double>(a.qk_head_dim());
  if (a.q_lora_rank > 0) {
    const double rank = static_cast<double>(a.q_lora_rank);
    out.linear += h * rank + rank * heads * qk;
    out.replicated += rank;  // q_a_layernorm
  } else {
    out.linear += h * heads * qk;
  }
  out.linear += h * static_cast<double>(a.latent_cache_width()) +
                static_cast<double>(a.kv_lora_rank) * heads * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim) +
                heads * static_cast<double>(a.v_head_dim) * h;
  out.replicated += static_cast<double>(a.kv_lora_rank);  // kv_a_layernorm
}

double ffn_linear_params(const ModelSpec& m, double width_per_gpu) {
  return (m.gated_mlp ? 3.0 : 2.0) * static_cast<double>(m.hidden_size) * width_per_gpu;
}

LayerParams layer_params(const ModelSpec& m, const ParallelConfig& p, int64_t layer_index) {
  const double tp = static_cast<double>(p.tensor_parallel);
  const double h = static_cast<double>(m.hidden_size);
  const double q_cols = static_cast<double>(query_heads_per_gpu(m, p) * m.head_dim);
  const double kv_cols = static_cast<double>(kv_heads_per_gpu(m, p) * m.head_dim);
  LayerParams out;
  if (m.mla.enabled())
    add_mla_attention(m, p, out);
  else
    out.linear += h * (q_cols + 2 * kv_cols) + q_cols * h;
  if (m.attention_sinks) out.replicated += q_cols / static_cast<double>(m.head_dim);  // one logit per head
  if (m.qkv_bias) out.replicated += q_cols + 2 * kv_cols;
  if (m.o_proj_bias) out.replicated += h;
  if (m.qk_norm) out.replicated += 2.0 * static_cast<double>(m.head_dim);
  const double norm_width = m.norm == NormKind::layernorm ? 2 * h : h;
  out.replicated += static_cast<double>(m.norms_per_layer) * norm_width;

  if (m.is_moe_layer(layer_index)) {
    // Experts held by this GPU and the width of each.
    double experts_here = static_cast<double>(m.moe.num_experts);
    double expert_width = static_cast<double>(m.moe.expert_intermediate_size);
    if (p.expert_parallel) {
      // Whole experts per rank (vLLM determine_expert_map): the first E mod EP ranks hold one
      // more, and the fullest rank is the one that must fit.
      const int64_t ep = p.expert_parallel_size();
      experts_here = static_cast<double>((m.moe.num_experts + ep - 1) / ep);
    } else {
      // Every expert's columns over TP, flattened across DP ranks (vLLM FusedMoEParallelConfig).
      expert_width /= static_cast<double>(p.moe_ranks());
    }
    out.expert_linear += experts_here * ffn_linear_params(m, expert_width);
    // Shared experts are ordinary MLPs, sharded over the DP rank's TP group.
    out.linear += static_cast<double>(m.moe.num_shared_experts) *
                  ffn_linear_params(m, static_cast<double>(m.moe.shared_expert_intermediate_size) / tp);
    out.replicated += h * static_cast<double>(m.moe.num_experts);  // router
    if (m.mlp_bias)  // gpt-oss: each expert's gate/up bias (sharded with its width) and down bias; the router's
      out.replicated += experts_here * ((m.gated_mlp ? 2 : 1) * expert_width + h) + static_cast<double>(m.moe.num_experts);
  } else {
    const double width = static_cast<double>(m.intermediate_size) / tp;
    out.linear += ffn_linear_params(m, width);
    if (m.mlp_bias) out.replicated += (m.gated_mlp ? 2 : 1) * width + h;
  }
  return out;
}

double forward_peak(const ModelSpec& m, const MemoryPlanRequest& r) {
  const double tokens = static_cast<double>(r.max_num_batched_tokens);
  const double tp = static_cast<double>(r.parallel.tensor_parallel);
  const double bytes = dtype_bytes(m.dtype);
  const double h = static_cast<double>(m.hidden_size);
  // Widest FFN intermediate of any layer: dense width, or top-k routed copies for MoE.
  double ffn_width = static_cast<double>(m.intermediate_size);
  if (m.moe.enabled())
    ffn_width = std::max(ffn_width, static_cast<double>(m.moe.experts_per_token *
                                                         m.moe.expert_intermediate_size));
  // Live at the FFN: residual + normed input (2h) + gate/up output (2w) + activation output (w).
  const double ffn_live = tokens * (2 * h + 3 * ffn_width / tp) * bytes;
  // Live at attention: residual + normed input + q/k/v + attention output.
  const double attn_live = tokens * (3 * h + static_cast<double>(m.q_dim() + 2 * m.kv_dim()) / tp) * bytes;
  return std::max(ffn_live, attn_live);
}

}  // namespace

double sampler_peak_bytes(const ModelSpec& m, const MemoryPlanRequest& r) {
  constexpr double kBytesPerLogit = 2 + 4 + 4 + 8 + 1 + 4 + 1 + 4;  // see the header: 28
  const double logits = static_cast<double>(r.max_num_seqs) * static_cast<double>(m.vocab_size);
  const double hidden_states = static_cast<double>(r.max_num_batched_tokens * m.hidden_size) * dtype_bytes(m.dtype);
  return kBytesPerLogit * logits + hidden_states;
}

double activation_peak_bytes(const ModelSpec& model, const MemoryPlanRequest& request, bool last_stage) {
  // The forward's intermediates are freed before the sampler runs, so the peak is the larger.
  const double forward = forward_peak(model, request);
  return last_stage ? std::max(forward, sampler_peak_bytes(model, request)) : forward;
}

double default_runtime_overhead_bytes(const ParallelConfig& parallel) {
  return parallel.tensor_parallel > 1 ? 1.5 * kGiB : 0.1 * kGiB;
}

double cudagraph_memory_estimate_bytes(int64_t graphs) {
  constexpr double kBytesPerGraph = 0.36 * kGiB / 16;  // see the header
  return graphs > 0 ? static_cast<double>(graphs) * kBytesPerGraph : 0.0;
}

double rope_cache_bytes(const ModelSpec& m) {
  if (m.position_embedding != PositionEmbedding::rope) return 0;
  // MLA rotates only the qk_rope_head_dim part of each head.
  const int64_t rotary_dim = m.mla.enabled() ? m.mla.qk_rope_head_dim : m.head_dim;
  return static_cast<double>(m.max_position_embeddings * rotary_dim) * dtype_bytes(m.dtype);
}

double stage_weight_bytes(const ModelSpec& m, const ParallelConfig& p,
                          const QuantizationInfo& quantization, int64_t first_layer, int64_t layers) {
  const double model_bytes = dtype_bytes(m.dtype);
  const auto bytes_of = [&](const QuantizationInfo& q) {
    return q.weight_bytes_per_param > 0 ? q.weight_bytes_per_param : model_bytes;
  };
  const double linear_bytes = bytes_of(shipped_or_asked(m.shipped_weights.linear, quantization));
  const double expert_bytes = bytes_of(shipped_or_asked(m.shipped_weights.experts, quantization));
  const double table_bytes = quantization.quantizes_embeddings ? linear_bytes : model_bytes;
  const double tp = static_cast<double>(p.tensor_parallel);
  const double h = static_cast<double>(m.hidden_size);

  double bytes = 0;
  for (int64_t i = first_layer; i < first_layer + layers; ++i) {
    const LayerParams params = layer_params(m, p, i);
    bytes += params.linear * linear_bytes + params.expert_linear * expert_bytes + params.replicated * model_bytes;
  }
  // vLLM's VocabParallelEmbedding / ParallelLMHead shard the vocabulary across TP ranks.
  const double vocab_table = static_cast<double>(m.vocab_size) / tp * h;
  const bool holds_first = first_layer == 0;
  const bool holds_last = first_layer + layers == m.num_layers;
  if (holds_first) {
    bytes += vocab_table * table_bytes;
    if (m.position_embedding == PositionEmbedding::learned)
      bytes += static_cast<double>(m.learned_position_slots) * h * model_bytes;
  }
  if (holds_last) {
    bytes += (m.norm == NormKind::layernorm ? 2 * h : h) * model_bytes;  // final norm
    // A tied LM head shares the embedding, unless the embedding lives on another stage.
    if (!m.tie_word_embeddings || !holds_first) bytes += vocab_table * table_bytes;
  }
  return bytes;
}

std::string weight_format_label(const ModelSpec& m, const std::string& quantization) {
  if (quantization != "none" || !m.shipped_weights.quantized()) return quantization == "none" ? m.dtype : quantization;
  const ShippedWeights& w = m.shipped_weights;
  const std::string linear = w.linear == "none" ? m.dtype : w.linear;
  if (w.experts == w.linear || !m.moe.enabled()) return linear + " (shipped)";
  return fmt::format("{}, experts {} (shipped)", linear, w.experts == "none" ? m.dtype : w.experts);
}

double kv_bytes_per_layer_token_per_gpu(const ModelSpec& m, const ParallelConfig& p, double kv_element_bytes) {
  // MLA: vLLM's MLAAttentionSpec caches one "head" of kv_lora_rank + qk_rope_head_dim (576)
  // values per token and layer, and every TP rank holds the whole latent: it is not split
  // by heads (vllm/v1/kv_cache_interface.py MLAAttentionSpec; attention/layer.py MLAAttention
  // get_kv_cache_spec with num_kv_heads 1, head_size kv_lora_rank + qk_rope_head_dim).
  if (m.mla.enabled()) return static_cast<double>(m.mla.latent_cache_width()) * kv_element_bytes;
  return 2.0 * static_cast<double>(kv_heads_per_gpu(m, p) * m.head_dim) * kv_element_bytes;
}

int64_t MemoryPlan::concurrent_sequences_at(int64_t context_tokens) const {
  if (context_tokens <= 0 || block_size <= 0 || stages.empty()) return 0;
  // A decoding sequence: context_tokens - 1 computed, a slot for the next.
  const int64_t blocks_per_seq = limiting().kv_layout.blocks_held(context_tokens - 1, context_tokens);
  return blocks_per_seq > 0 ? num_gpu_blocks / blocks_per_seq : 0;
}

MemoryPlan plan_memory(const ModelSpec& m, const MemoryPlanRequest& r) {
  check_parallel_config(m, r.parallel);
  if (!(r.gpu_memory_bytes > 0))
    throw InputError({}, "gpu_memory", "GPU memory must be positive");
  if (!(r.gpu_memory_utilization > 0 && r.gpu_memory_utilization <= 1))
    throw InputError({}, "gpu_memory_utilization",
                     fmt::format("must be in (0, 1], got {}", r.gpu_memory_utilization));
  if (r.block_size < 1) throw InputError({}, "block_size", "must be >= 1");
  if (r.max_num_batched_tokens < 1) throw InputError({}, "max_num_batched_tokens", "must be >= 1");
  if (r.max_num_seqs < 1) throw InputError({}, "max_num_seqs", "must be >= 1");
  if (r.max_model_len < 0) throw InputError({}, "max_model_len", "must be >= 1");
  const QuantizationInfo& quantization = find_quantization(r.quantization);
  const double kv_element_bytes = kv_cache_bytes_per_element(r.kv_cache_dtype, m.dtype);

  MemoryPlan plan;
  plan.block_size = r.block_size;
  plan.max_model_len = r.max_model_len > 0 ? r.max_model_len : m.max_position_embeddings;
  plan.budget_bytes = r.gpu_memory_utilization * r.gpu_memory_bytes;
  plan.runtime_overhead_bytes =
      r.runtime_overhead_bytes >= 0 ? r.runtime_overhead_bytes : default_runtime_overhead_bytes(r.parallel);
  plan.cudagraph_memory_bytes = std::max(0.0, r.cudagraph_memory_bytes);
  plan.kv_bytes_per_token_model = static_cast<double>(m.num_layers * m.kv_cache_elements_per_layer()) * kv_element_bytes;
  plan.weight_bytes_model = stage_weight_bytes(m, ParallelConfig{}, quantization, 0, m.num_layers);

  const auto layers = pipeline_stage_layers(m.num_layers, r.parallel.pipeline_parallel);
  const auto first = pipeline_stage_first_layer(m.num_layers, r.parallel.pipeline_parallel);
  const double kv_per_layer_token = kv_bytes_per_layer_token_per_gpu(m, r.parallel, kv_element_bytes);
  plan.num_gpu_blocks = INT64_MAX;
  for (std::size_t s = 0; s < layers.size(); ++s) {
    StageMemory stage;
    stage.layers = layers[s];
    stage.weight_bytes = stage_weight_bytes(m, r.parallel, quantization, first[s], layers[s]);
    const bool last_stage = s + 1 == layers.size();
    stage.rope_cache_bytes = rope_cache_bytes(m);
    stage.forward_peak_bytes = forward_peak(m, r);
    stage.sampler_peak_bytes = last_stage ? sampler_peak_bytes(m, r) : 0.0;
    stage.activation_peak_bytes = std::max(stage.forward_peak_bytes, stage.sampler_peak_bytes);
    stage.kv_bytes_per_token = kv_per_layer_token * static_cast<double>(layers[s]);
    stage.kv_cache_bytes = plan.budget_bytes - stage.weight_bytes - stage.rope_cache_bytes -
                           stage.activation_peak_bytes - plan.runtime_overhead_bytes - plan.cudagraph_memory_bytes;
    // One block = one page in each layer slot of a group (kv_cache_utils.py: num_blocks =
    // available // page_size // group_size); without sliding windows, all the stage's layers.
    stage.kv_layout = kv_cache_layout(m, first[s], layers[s], r.block_size, r.hybrid_kv_cache);
    stage.block_bytes = kv_per_layer_token * static_cast<double>(stage.kv_layout.group_size_layers * r.block_size);
    stage.num_gpu_blocks = stage.kv_cache_bytes > 0
                               ? static_cast<int64_t>(std::floor(stage.kv_cache_bytes / stage.block_bytes))
                               : 0;
    if (stage.num_gpu_blocks < plan.num_gpu_blocks) {
      plan.num_gpu_blocks = stage.num_gpu_blocks;
      plan.limiting_stage = static_cast<int64_t>(s);
    }
    plan.stages.push_back(stage);
  }
  const StageMemory& worst = plan.limiting();
  plan.kv_capacity_tokens = plan.num_gpu_blocks / worst.kv_layout.num_groups() * r.block_size;
  plan.max_concurrent_seqs = plan.concurrent_sequences_at(plan.max_model_len);

  if (worst.kv_cache_bytes <= 0) {
    plan.fits = false;
    plan.verdict = fmt::format(
        "does not fit: weights {} + activations {} + overhead {} per GPU exceed the {} budget "
        "({:.0f}% of {}) by {}",
        format_bytes(worst.weight_bytes), format_bytes(worst.activation_peak_bytes),
        format_bytes(plan.runtime_overhead_bytes + plan.cudagraph_memory_bytes + worst.rope_cache_bytes),
        format_bytes(plan.budget_bytes),
        r.gpu_memory_utilization * 100, format_bytes(r.gpu_memory_bytes),
        format_bytes(-worst.kv_cache_bytes));
  } else if (plan.num_gpu_blocks < worst.kv_layout.admission_blocks(plan.max_model_len)) {
    plan.fits = false;
    // What is missing, not the remedy: callers phrase that in their reader's terms
    // (simulator/experiment/fit_advice.hpp). A cache of no whole block holds 0 tokens.
    const std::string held = plan.kv_capacity_tokens > 0
                                 ? fmt::format("holds only {} tokens", plan.kv_capacity_tokens)
                                 : fmt::format("has room for no whole block of {} tokens", r.block_size);
    plan.verdict = fmt::format("does not fit at max_model_len {}: the KV cache {} (vLLM refuses to start)",
                               plan.max_model_len, held);
  } else {
    plan.fits = true;
    plan.verdict = fmt::format("fits: {} KV blocks = {} tokens, {} concurrent sequences of {} tokens",
                               plan.num_gpu_blocks, plan.kv_capacity_tokens,
                               plan.max_concurrent_seqs, plan.max_model_len);
  }
  return plan;
}

}  // namespace llmpo
