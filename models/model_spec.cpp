#include "model_spec.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace llmpo {

std::string to_string(Activation value) {
  switch (value) {
    case Activation::silu: return "silu";
    case Activation::gelu: return "gelu";
    case Activation::gelu_tanh: return "gelu_tanh";
    case Activation::relu: return "relu";
  }
  return "?";
}

std::string to_string(NormKind value) {
  return value == NormKind::rmsnorm ? "rmsnorm" : "layernorm";
}

std::string to_string(PositionEmbedding value) {
  switch (value) {
    case PositionEmbedding::rope: return "rope";
    case PositionEmbedding::learned: return "learned";
    case PositionEmbedding::alibi: return "alibi";
    case PositionEmbedding::none: return "none";
  }
  return "?";
}

bool ModelSpec::is_moe_layer(int64_t layer_index) const {
  // HF convention (Llama-4 interleave_moe_layer_step, Qwen2-MoE decoder_sparse_step):
  // layer i is MoE when (i + 1) % interval == 0.
  // DeepSeek's first_k_dense_replace keeps the first layers dense.
  return moe.enabled() && layer_index >= moe.first_dense_layers && (layer_index + 1) % moe.moe_layer_interval == 0;
}

bool ModelSpec::is_sliding_layer(int64_t layer_index) const {
  if (!sliding_window.enabled()) return false;
  if (sliding_window.global_every == 0) return true;
  return (layer_index + 1) % sliding_window.global_every != 0;
}

int64_t ModelSpec::num_moe_layers() const {
  if (!moe.enabled()) return 0;
  int64_t count = 0;
  for (int64_t i = 0; i < num_layers; ++i) count += is_moe_layer(i) ? 1 : 0;
  return count;
}

int64_t ModelSpec::num_sliding_layers() const {
  if (!sliding_window.enabled()) return 0;
  if (sliding_window.global_every == 0) return num_layers;
  return num_layers - num_layers / sliding_window.global_every;
}

namespace {

// Upper limits on sizes, each far beyond any published model (10-1000x), so that the int64
// products the planners form (heads x head_dim, layers x KV width, sequences x vocabulary) cannot
// overflow: an absurd config.json is an input error, not undefined behaviour.
constexpr int64_t kMaxLayers = 100'000;
constexpr int64_t kMaxWidth = int64_t{1} << 20;       // hidden size, heads, head_dim, experts
constexpr int64_t kMaxFfnWidth = int64_t{1} << 24;    // dense, expert and shared FFN widths
constexpr int64_t kMaxVocab = int64_t{1} << 30;
constexpr int64_t kMaxPositions = int64_t{1} << 32;   // positions, window tokens
constexpr int64_t kMaxNormsPerLayer = 16;
// Parameter counts are int64 and multiplied by bytes per parameter; 1e15 (a thousand times the
// largest published model) keeps every total and byte count far below 2^63.
constexpr double kMaxParameters = 1e15;

// An upper bound on count_parameters(), in floating point so that it cannot overflow: every
// layer counted with all its kinds of blocks at full width, biases and norms included.
double parameter_upper_bound(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden_size);
  const double q = static_cast<double>(m.num_attention_heads) * static_cast<double>(m.head_dim);
  const double kv = static_cast<double>(m.num_kv_heads) * static_cast<double>(m.head_dim);
  const double experts = static_cast<double>(m.moe.num_experts + m.moe.num_shared_experts);
  const double ffn = static_cast<double>(m.intermediate_size) +
                     experts * static_cast<double>(std::max(m.moe.expert_intermediate_size,
                                                            m.moe.shared_expert_intermediate_size));
  // MLA: q_a + q_b (or q_proj), kv_a, kv_b and o at their full widths, norms included.
  const double mla_heads = static_cast<double>(m.num_attention_heads);
  const double mla = (h + 1) * static_cast<double>(m.mla.q_lora_rank + m.mla.latent_cache_width()) +
                     (static_cast<double>(m.mla.q_lora_rank + m.mla.kv_lora_rank + 1) + h) * mla_heads *
                         static_cast<double>(m.mla.qk_head_dim() + m.mla.qk_nope_head_dim + 2 * m.mla.v_head_dim);
  const double per_layer = (h + 1) * (2 * q + 2 * kv) + mla + 3 * (h + 1) * (ffn + 1) +
                           2 * h * experts +  // router rows and each expert's output bias
                           2 * static_cast<double>(m.norms_per_layer + 2) * (h + static_cast<double>(m.head_dim));
  return static_cast<double>(m.num_layers) * per_layer +
         (2 * static_cast<double>(m.vocab_size) + static_cast<double>(m.learned_position_slots) + 2) * h;
}

}  // namespace

void ModelSpec::validate() const {
  const SourcePos pos{source_file, 0, 0};
  auto require_positive = [&](int64_t value, const char* field) {
    if (value <= 0)
      throw InputError(pos, std::string("architecture.") + field,
                       fmt::format("must be a positive integer, got {}", value));
  };
  auto require_at_most = [&](int64_t value, int64_t limit, const std::string& field) {
    if (value > limit)
      throw InputError(pos, field, fmt::format("{} is implausibly large (at most {} is supported)",
                                               value, limit));
  };
  require_positive(num_layers, "num_layers");
  require_positive(hidden_size, "hidden_size");
  require_positive(num_attention_heads, "num_attention_heads");
  require_positive(num_kv_heads, "num_kv_heads");
  require_positive(head_dim, "head_dim");
  require_positive(vocab_size, "vocab_size");
  require_positive(max_position_embeddings, "max_position_embeddings");
  require_positive(norms_per_layer, "norms_per_layer");
  require_at_most(num_layers, kMaxLayers, "architecture.num_layers");
  require_at_most(hidden_size, kMaxWidth, "architecture.hidden_size");
  require_at_most(num_attention_heads, kMaxWidth, "architecture.num_attention_heads");
  require_at_most(head_dim, kMaxWidth, "architecture.head_dim");
  require_at_most(intermediate_size, kMaxFfnWidth, "architecture.intermediate_size");
  require_at_most(vocab_size, kMaxVocab, "architecture.vocab_size");
  require_at_most(max_position_embeddings, kMaxPositions, "architecture.max_position_embeddings");
  require_at_most(learned_position_slots, kMaxPositions + 2, "architecture.learned_position_slots");
  require_at_most(norms_per_layer, kMaxNormsPerLayer, "architecture.norms_per_layer");
  require_at_most(moe.num_experts, kMaxWidth, "moe.num_experts");
  require_at_most(moe.expert_intermediate_size, kMaxFfnWidth, "moe.expert_intermediate_size");
  require_at_most(moe.num_shared_experts, kMaxWidth, "moe.num_shared_experts");
  require_at_most(moe.shared_expert_intermediate_size, kMaxFfnWidth, "moe.shared_expert_intermediate_size");
  require_at_most(moe.moe_layer_interval, kMaxLayers, "moe.moe_layer_interval");
  require_at_most(moe.first_dense_layers, kMaxLayers, "moe.first_dense_layers");
  require_at_most(mtp_layers, kMaxLayers, "mtp_layers");
  require_at_most(mla.q_lora_rank, kMaxWidth, "mla.q_lora_rank");
  require_at_most(mla.kv_lora_rank, kMaxWidth, "mla.kv_lora_rank");
  require_at_most(mla.qk_nope_head_dim, kMaxWidth, "mla.qk_nope_head_dim");
  require_at_most(mla.qk_rope_head_dim, kMaxWidth, "mla.qk_rope_head_dim");
  require_at_most(mla.v_head_dim, kMaxWidth, "mla.v_head_dim");
  require_at_most(sliding_window.window_tokens, kMaxPositions, "sliding_window.window_tokens");
  require_at_most(sliding_window.global_every, kMaxLayers, "sliding_window.global_every");
  if (num_attention_heads % num_kv_heads != 0)
    throw InputError(pos, "architecture.num_kv_heads",
                     fmt::format("{} query heads are not a multiple of {} KV heads",
                                 num_attention_heads, num_kv_heads));
  // A model whose every layer is MoE has no dense FFN, so intermediate_size may be absent.
  const bool all_layers_moe = moe.enabled() && moe.moe_layer_interval == 1;
  if (!all_layers_moe) require_positive(intermediate_size, "intermediate_size");
  if (moe.enabled()) {
    if (moe.experts_per_token <= 0 || moe.experts_per_token > moe.num_experts)
      throw InputError(pos, "moe.experts_per_token",
                       fmt::format("must be between 1 and num_experts ({}), got {}",
                                   moe.num_experts, moe.experts_per_token));
    if (moe.expert_intermediate_size <= 0)
      throw InputError(pos, "moe.expert_intermediate_size", "must be a positive integer");
    if (moe.moe_layer_interval <= 0)
      throw InputError(pos, "moe.moe_layer_interval", "must be a positive integer");
    if (moe.num_shared_experts < 0 ||
        (moe.num_shared_experts > 0 && moe.shared_expert_intermediate_size <= 0))
      throw InputError(pos, "moe.shared_expert_intermediate_size",
                       "must be positive when num_shared_experts > 0");
  }
  if (mla.enabled()) {
    if (mla.q_lora_rank < 0) throw InputError(pos, "mla.q_lora_rank", "must be >= 0 (0 = no query compression)");
    require_positive(mla.qk_nope_head_dim, "mla.qk_nope_head_dim");
    require_positive(mla.qk_rope_head_dim, "mla.qk_rope_head_dim");
    require_positive(mla.v_head_dim, "mla.v_head_dim");
    // The rest of the program sizes queries as heads x head_dim: for MLA that is the query
    // head width nope + rope, and every query head has its own up-projected key (HF sets
    // num_key_value_heads = num_attention_heads).
    if (head_dim != mla.qk_head_dim())
      throw InputError(pos, "architecture.head_dim",
                       fmt::format("an MLA model's head_dim must be qk_nope_head_dim + qk_rope_head_dim = {}, got {}",
                                   mla.qk_head_dim(), head_dim));
    if (num_kv_heads != num_attention_heads)
      throw InputError(pos, "architecture.num_kv_heads",
                       fmt::format("an MLA model up-projects one key per query head: num_kv_heads must equal "
                                   "num_attention_heads ({}), got {}", num_attention_heads, num_kv_heads));
  }
  if (moe.first_dense_layers < 0 || (moe.enabled() && moe.first_dense_layers >= num_layers))
    throw InputError(pos, "moe.first_dense_layers",
                     fmt::format("must be between 0 and num_layers - 1 ({}), got {}", num_layers - 1,
                                 moe.first_dense_layers));
  if (moe.enabled() && moe.first_dense_layers > 0) require_positive(intermediate_size, "intermediate_size");
  if (mtp_layers < 0) throw InputError(pos, "mtp_layers", "must be >= 0");
  if (sliding_window.window_tokens < 0 || sliding_window.global_every < 0)
    throw InputError(pos, "sliding_window", "window_tokens and global_every must be >= 0");
  if (position_embedding == PositionEmbedding::learned && learned_position_slots <= 0)
    throw InputError(pos, "architecture.learned_position_slots",
                     "must be positive when position_embedding is learned");
  if (const double bound = parameter_upper_bound(*this); bound > kMaxParameters)
    throw InputError(pos, "architecture",
                     fmt::format("these sizes make up to {:.3g} parameters; at most {:.0e} are "
                                 "supported", bound, kMaxParameters));
}

int64_t ParameterCounts::total() const {
  return embedding + attention + dense_mlp + moe_experts + moe_shared_and_router + norms + lm_head;
}

namespace {

// One FFN of width `width`: gated (gate, up, down) or plain (up, down), with optional biases.
int64_t ffn_parameters(const ModelSpec& m, int64_t width) {
  const int64_t matrices = m.gated_mlp ? 3 : 2;
  int64_t count = matrices * m.hidden_size * width;
  if (m.mlp_bias) count += (m.gated_mlp ? 2 * width : width) + m.hidden_size;
  return count;
}

int64_t norm_parameters(const ModelSpec& m, int64_t width) {
  return m.norm == NormKind::layernorm ? 2 * width : width;  // layernorm has a bias
}

// One MLA layer's attention (DeepSeek-V2/V3 modeling code): q_a_proj h -> q_lora, its RMSNorm,
// q_b_proj q_lora -> heads x (nope + rope) (or one q_proj h -> heads x (nope + rope));
// kv_a_proj_with_mqa h -> kv_lora + rope, its RMSNorm over kv_lora; kv_b_proj kv_lora ->
// heads x (nope + v); o_proj heads x v -> h.
int64_t mla_attention_parameters(const ModelSpec& m) {
  const MlaSpec& a = m.mla;
  const int64_t heads = m.num_attention_heads;
  const int64_t q = a.q_lora_rank > 0
                        ? m.hidden_size * a.q_lora_rank + norm_parameters(m, a.q_lora_rank) +
                              a.q_lora_rank * heads * a.qk_head_dim()
                        : m.hidden_size * heads * a.qk_head_dim();
  const int64_t kv = m.hidden_size * a.latent_cache_width() + norm_parameters(m, a.kv_lora_rank) +
                     a.kv_lora_rank * heads * (a.qk_nope_head_dim + a.v_head_dim);
  return q + kv + heads * a.v_head_dim * m.hidden_size;
}

}  // namespace

ParameterCounts count_parameters(const ModelSpec& m) {
  ParameterCounts counts;
  counts.embedding = m.vocab_size * m.hidden_size;
  if (m.position_embedding == PositionEmbedding::learned)
    counts.embedding += m.learned_position_slots * m.hidden_size;

  int64_t attention_per_layer = m.mla.enabled() ? mla_attention_parameters(m)
                                                : m.hidden_size * (m.q_dim() + 2 * m.kv_dim())  // q, k, v
                                                      + m.q_dim() * m.hidden_size;              // o
  if (m.qkv_bias) attention_per_layer += m.q_dim() + 2 * m.kv_dim();
  if (m.o_proj_bias) attention_per_layer += m.hidden_size;
  if (m.qk_norm) attention_per_layer += 2 * norm_parameters(m, m.head_dim);
  if (m.attention_sinks) attention_per_layer += m.num_attention_heads;  // one logit per head
  counts.attention = attention_per_layer * m.num_layers;

  const int64_t moe_layers = m.num_moe_layers();
  const int64_t dense_layers = m.num_layers - moe_layers;
  const int64_t dense_ffn = dense_layers > 0 ? ffn_parameters(m, m.intermediate_size) : 0;
  counts.dense_mlp = dense_ffn * dense_layers;

  int64_t routed_per_layer = 0;
  int64_t shared_per_layer = 0;
  int64_t active_routed_per_layer = 0;
  if (m.moe.enabled()) {
    const int64_t one_expert = ffn_parameters(m, m.moe.expert_intermediate_size);
    routed_per_layer = m.moe.num_experts * one_expert;
    active_routed_per_layer = m.moe.experts_per_token * one_expert;
    shared_per_layer = m.hidden_size * m.moe.num_experts;  // router
    if (m.mlp_bias) shared_per_layer += m.moe.num_experts;  // gpt-oss: the router has a bias too
    shared_per_layer += m.moe.num_shared_experts *
                        ffn_parameters(m, m.moe.shared_expert_intermediate_size);
  }
  counts.moe_experts = routed_per_layer * moe_layers;
  counts.moe_shared_and_router = shared_per_layer * moe_layers;

  counts.norms = m.norms_per_layer * norm_parameters(m, m.hidden_size) * m.num_layers +
                 norm_parameters(m, m.hidden_size);  // + final norm
  counts.lm_head = m.tie_word_embeddings ? 0 : m.vocab_size * m.hidden_size;

  counts.active_per_token = counts.total() - counts.moe_experts +
                            active_routed_per_layer * moe_layers;
  return counts;
}

}  // namespace llmpo
