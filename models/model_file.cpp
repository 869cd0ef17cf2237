#include "model_file.hpp"

#include "quantization.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

const std::vector<std::string> kActivations = {"silu", "gelu", "gelu_tanh", "relu"};
const std::vector<std::string> kNorms = {"rmsnorm", "layernorm"};
const std::vector<std::string> kPositions = {"rope", "learned", "alibi", "none"};
const std::vector<std::string> kDtypes = {"float32", "bfloat16", "float16"};

Activation activation_from(const std::string& name) {
  if (name == "silu") return Activation::silu;
  if (name == "gelu") return Activation::gelu;
  if (name == "gelu_tanh") return Activation::gelu_tanh;
  return Activation::relu;
}

PositionEmbedding position_from(const std::string& name) {
  if (name == "rope") return PositionEmbedding::rope;
  if (name == "learned") return PositionEmbedding::learned;
  if (name == "alibi") return PositionEmbedding::alibi;
  return PositionEmbedding::none;
}

void read_architecture(StrictMap& a, ModelSpec& m) {
  const NumberRange at_least_one{1, 1e15, false};
  m.num_layers = a.get_int("num_layers", at_least_one);
  m.hidden_size = a.get_int("hidden_size", at_least_one);
  m.num_attention_heads = a.get_int("num_attention_heads", at_least_one);
  m.num_kv_heads = a.get_int("num_kv_heads", at_least_one);
  m.head_dim = a.get_int("head_dim", at_least_one);
  m.intermediate_size = a.opt_int("intermediate_size", at_least_one).value_or(0);
  m.vocab_size = a.get_int("vocab_size", at_least_one);
  m.max_position_embeddings = a.get_int("max_position_embeddings", at_least_one);
  m.tie_word_embeddings = a.get_bool("tie_word_embeddings");
  m.activation = activation_from(a.get_choice("activation", kActivations));
  m.gated_mlp = a.get_bool("gated_mlp");
  m.norm = a.get_choice("norm", kNorms) == "rmsnorm" ? NormKind::rmsnorm : NormKind::layernorm;
  // Optional keys below have the documented default of a plain Llama-style block.
  m.norms_per_layer = a.opt_int("norms_per_layer", at_least_one).value_or(2);
  m.qk_norm = a.opt_bool("qk_norm").value_or(false);
  m.qkv_bias = a.opt_bool("qkv_bias").value_or(false);
  m.o_proj_bias = a.opt_bool("o_proj_bias").value_or(false);
  m.mlp_bias = a.opt_bool("mlp_bias").value_or(false);
  m.position_embedding = position_from(a.opt_choice("position_embedding", kPositions).value_or("rope"));
  m.learned_position_slots = a.opt_int("learned_position_slots", at_least_one).value_or(0);
  m.dtype = a.get_choice("dtype", kDtypes);
  m.attention_sinks = a.opt_bool("attention_sinks").value_or(false);
  m.mtp_layers = a.opt_int("mtp_layers", non_negative()).value_or(0);
  a.reject_unknown_keys();
}

void read_moe(StrictMap& moe, ModelSpec& m) {
  const NumberRange at_least_one{1, 1e9, false};
  m.moe.num_experts = moe.get_int("num_experts", at_least_one);
  m.moe.experts_per_token = moe.get_int("experts_per_token", at_least_one);
  m.moe.expert_intermediate_size = moe.get_int("expert_intermediate_size", at_least_one);
  m.moe.num_shared_experts = moe.opt_int("num_shared_experts", non_negative()).value_or(0);
  m.moe.shared_expert_intermediate_size =
      moe.opt_int("shared_expert_intermediate_size", non_negative()).value_or(0);
  m.moe.moe_layer_interval = moe.opt_int("moe_layer_interval", at_least_one).value_or(1);
  m.moe.first_dense_layers = moe.opt_int("first_dense_layers", non_negative()).value_or(0);
  moe.reject_unknown_keys();
}

void read_mla(StrictMap& mla, ModelSpec& m) {
  const NumberRange at_least_one{1, 1e9, false};
  m.mla.q_lora_rank = mla.opt_int("q_lora_rank", non_negative()).value_or(0);  // 0 / absent = q_proj
  m.mla.kv_lora_rank = mla.get_int("kv_lora_rank", at_least_one);
  m.mla.qk_nope_head_dim = mla.get_int("qk_nope_head_dim", at_least_one);
  m.mla.qk_rope_head_dim = mla.get_int("qk_rope_head_dim", at_least_one);
  m.mla.v_head_dim = mla.get_int("v_head_dim", at_least_one);
  mla.reject_unknown_keys();
}

// Scheme names a checkpoint can ship in: the model's dtype, or a scheme of quantization_schemes().
std::vector<std::string> shipped_weight_formats() {
  std::vector<std::string> names;
  for (const auto& scheme : quantization_schemes()) names.push_back(scheme.name);
  return names;
}

void read_shipped_weights(StrictMap& weights, ModelSpec& m) {
  const std::vector<std::string> formats = shipped_weight_formats();
  m.shipped_weights.linear = weights.opt_choice("linear", formats).value_or("none");
  // Experts default to the format of the other linear layers (DeepSeek-V3: fp8_block everywhere).
  m.shipped_weights.experts = weights.opt_choice("experts", formats).value_or(m.shipped_weights.linear);
  weights.reject_unknown_keys();
}

void read_sliding_window(StrictMap& window, ModelSpec& m) {
  m.sliding_window.window_tokens = window.get_int("window_tokens", {1, 1e9, false});
  m.sliding_window.global_every = window.get_int("global_every", non_negative());
  window.reject_unknown_keys();
}

ModelSpec parse_model_node(const YAML::Node& root, const std::string& file) {
  StrictMap top(root, file, "");
  ModelSpec m;
  m.source_file = file;
  m.id = top.get_string("id");
  m.hf_id = top.opt_string("hf_id").value_or("");
  m.aliases = top.opt_string_list("aliases");
  m.family = top.get_string("family");
  m.published_params = top.opt_int("published_params", positive()).value_or(0);
  m.published_params_source = top.opt_string("published_params_source").value_or("");
  if (m.published_params > 0 && m.published_params_source.empty())
    top.fail("published_params_source", "say where published_params comes from");
  top.opt_string("notes");  // free text for readers; not used by the program
  StrictMap architecture = top.get_map("architecture");
  read_architecture(architecture, m);
  if (auto moe = top.opt_map("moe")) read_moe(*moe, m);
  if (auto window = top.opt_map("sliding_window")) read_sliding_window(*window, m);
  if (auto mla = top.opt_map("mla")) read_mla(*mla, m);
  if (auto weights = top.opt_map("shipped_weights")) read_shipped_weights(*weights, m);
  top.reject_unknown_keys();
  try {
    m.validate();
  } catch (const InputError& error) {
    // validate() knows the field, not the line: point at the node it names.
    throw InputError(position_at_path(root, error.key_path(), file), error.key_path(), error.message());
  }
  return m;
}

}  // namespace

ModelSpec load_model_file(const std::string& path) {
  return parse_model_node(load_yaml_file(path), path);
}

ModelSpec parse_model_yaml(const std::string& text, const std::string& pretend_file) {
  return parse_model_node(load_yaml_string(text, pretend_file), pretend_file);
}

}  // namespace llmpo
