#pragma once
// ModelSpec: the architecture of a decoder-only transformer as published in its Hugging Face
// config.json (or paper, where no config exists). Plain data; validate() checks consistency.
// The data-file schema that fills it is documented in models/README.md.
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/util/error.hpp"

namespace llmpo {

enum class Activation { silu, gelu, gelu_tanh, relu };
enum class NormKind { rmsnorm, layernorm };
enum class PositionEmbedding { rope, learned, alibi, none };

std::string to_string(Activation value);
std::string to_string(NormKind value);
std::string to_string(PositionEmbedding value);

// Mixture-of-experts feed-forward; num_experts == 0 means a dense model.
struct MoeSpec {
  int64_t num_experts = 0;                      // routed experts per MoE layer
  int64_t experts_per_token = 0;                // top-k
  int64_t expert_intermediate_size = 0;         // FFN width of one routed expert
  int64_t num_shared_experts = 0;               // always-active experts (Qwen2-MoE, Llama-4)
  int64_t shared_expert_intermediate_size = 0;  // FFN width of one shared expert
  int64_t moe_layer_interval = 1;               // every Nth layer is MoE; the others are dense
  // The first N layers keep a dense FFN (DeepSeek-V2/V3 first_k_dense_replace: 1 / 3).
  int64_t first_dense_layers = 0;
  bool enabled() const { return num_experts > 0; }
};

// Multi-head latent attention (DeepSeek-V2/V3; HF names). Keys and values are cached as one
// compressed latent of kv_lora_rank values plus a shared RoPE key of qk_rope_head_dim values
// per token and layer; per-head keys (qk_nope_head_dim) and values (v_head_dim) are
// up-projected from it by kv_b_proj. Queries go through a low-rank q_a/q_b pair, or one q_proj
// when q_lora_rank is 0 (HF null: DeepSeek-V2-Lite).
struct MlaSpec {
  int64_t q_lora_rank = 0;        // 0 = no query compression (q_proj)
  int64_t kv_lora_rank = 0;       // 0 = not an MLA model
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool enabled() const { return kv_lora_rank > 0; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  // Values one token caches per layer: the latent and the RoPE key (576 for DeepSeek-V3).
  int64_t latent_cache_width() const { return kv_lora_rank + qk_rope_head_dim; }
};

// The formats the published checkpoint stores its weights in (a quantization_schemes() name;
// "none" = the model's dtype). Used when the user asks for no other quantization.
struct ShippedWeights {
  std::string linear = "none";   // attention and dense/shared FFN projections
  std::string experts = "none";  // routed experts (gpt-oss: mxfp4 here, bf16 elsewhere)
  bool quantized() const { return linear != "none" || experts != "none"; }
};

// Local attention: some layers attend only to the last window_tokens tokens.
struct SlidingWindowSpec {
  int64_t window_tokens = 0;  // 0 = no sliding window anywhere
  // Every Nth layer (the Nth, 2Nth, ...) keeps full attention; 0 = every layer is sliding.
  // Gemma-2: 2 (alternating), Gemma-3: 6 (five local, one global).
  int64_t global_every = 0;
  bool enabled() const { return window_tokens > 0; }
};

struct ModelSpec {
  // --- identity ---
  std::string id;                    // canonical library id, e.g. "Llama3-70B"
  std::string hf_id;                 // Hugging Face repo id, e.g. "meta-llama/Meta-Llama-3-70B"
  std::vector<std::string> aliases;  // other accepted names, e.g. "llama3:70b"
  std::string family;                // HF model_type: llama, qwen2, mixtral, gemma2, ...
  std::string source_file;           // data file it came from ("" when built in code)
  int64_t published_params = 0;      // published parameter count (0 = unknown); tests compare
  std::string published_params_source;
  // Set by resolve_model when the user typed an Ollama tag (llama3.1:8b-instruct-q4_K_M), never
  // by a library file: the tag as typed, and the weight quantization its suffix names (a
  // quantization_schemes() name; "" when the tag names none).
  std::string typed_tag;
  std::string tag_quantization;

  // --- architecture (HF config.json names in comments) ---
  int64_t num_layers = 0;               // num_hidden_layers
  int64_t hidden_size = 0;              // hidden_size
  int64_t num_attention_heads = 0;      // num_attention_heads
  int64_t num_kv_heads = 0;             // num_key_value_heads (== heads for MHA)
  int64_t head_dim = 0;                 // head_dim (hidden_size / heads unless stated)
  int64_t intermediate_size = 0;        // intermediate_size of a dense FFN
  int64_t vocab_size = 0;               // vocab_size
  int64_t max_position_embeddings = 0;  // max_position_embeddings
  bool tie_word_embeddings = false;     // LM head shares the embedding matrix
  Activation activation = Activation::silu;
  bool gated_mlp = true;                // gate*up (SwiGLU/GeGLU) vs plain up
  NormKind norm = NormKind::rmsnorm;
  int64_t norms_per_layer = 2;          // Gemma-2/3 have 4 (pre and post norms)
  bool qk_norm = false;                 // per-head RMSNorm on q and k (Qwen3, Gemma-3)
  bool qkv_bias = false;                // bias on q/k/v projections (Qwen2, GPT, OPT, phi-2)
  bool o_proj_bias = false;             // bias on the attention output projection
  bool mlp_bias = false;                // bias on FFN projections
  PositionEmbedding position_embedding = PositionEmbedding::rope;
  int64_t learned_position_slots = 0;   // rows of a learned position table (OPT adds 2)
  std::string dtype = "bfloat16";       // torch_dtype the weights are published in
  MoeSpec moe;
  SlidingWindowSpec sliding_window;
  MlaSpec mla;
  ShippedWeights shipped_weights;
  // A learned per-head logit added to every softmax denominator (gpt-oss "sinks"): heads x
  // layers parameters, no KV cache, negligible compute.
  bool attention_sinks = false;
  // Multi-token-prediction modules the checkpoint carries beyond num_layers (DeepSeek-V3
  // num_nextn_predict_layers: 1). Not counted in the parameters nor loaded for serving unless a
  // speculative proposer uses them; each is one decoder layer (MoE when the model is) plus
  // two norms and an eh_proj of 2 x hidden -> hidden.
  int64_t mtp_layers = 0;

  // --- derived ---
  int64_t q_dim() const { return num_attention_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }
  // Elements one token caches in one layer of the whole model: 2 x kv_dim (K and V), or the
  // MLA latent + RoPE key.
  int64_t kv_cache_elements_per_layer() const { return mla.enabled() ? mla.latent_cache_width() : 2 * kv_dim(); }
  bool is_moe_layer(int64_t layer_index) const;       // 0-based
  bool is_sliding_layer(int64_t layer_index) const;   // 0-based
  int64_t num_moe_layers() const;
  int64_t num_sliding_layers() const;

  // Throws InputError naming the field and value when the architecture is inconsistent.
  void validate() const;
};

// Parameter counts computed from the architecture alone.
struct ParameterCounts {
  int64_t embedding = 0;           // token embedding table (+ learned positions)
  int64_t attention = 0;           // all layers: q/k/v/o projections, biases, qk norms
  int64_t dense_mlp = 0;           // all dense FFN layers
  int64_t moe_experts = 0;         // all routed experts of all MoE layers
  int64_t moe_shared_and_router = 0;  // shared experts and router gates
  int64_t norms = 0;               // per-layer and final norms
  int64_t lm_head = 0;             // 0 when tied to the embedding
  int64_t total() const;
  // Active parameters without the token-embedding table: a lookup, not a matrix multiply.
  // Model cards (gpt-oss, DeepSeek) quote active counts this way.
  int64_t active_without_embedding() const { return active_per_token - embedding; }
  // Parameters one token touches: routed experts counted experts_per_token times, not all.
  int64_t active_per_token = 0;
};

ParameterCounts count_parameters(const ModelSpec& model);

}  // namespace llmpo
