#include "hf_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/util/input_limits.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

using nlohmann::json;

const std::vector<std::string> kSupportedTypes = {
    "llama",  "mistral",     "mixtral", "qwen2",    "qwen2_moe", "qwen3", "qwen3_moe", "gemma2",
    "gemma3", "gemma3_text", "phi3",    "gpt2",     "gpt_neox",  "opt",   "gptj",      "phi",
    "deepseek_v2", "deepseek_v3", "gpt_oss", "llama4", "llama4_text"};

// 1-based line and column of byte `offset` in `text`.
SourcePos pos_at(const std::string& text, const std::string& file, std::size_t offset) {
  offset = std::min(offset, text.size());
  const auto line = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
  const std::size_t line_start = offset == 0 ? std::string::npos : text.rfind('\n', offset - 1);
  const std::size_t column = line_start == std::string::npos ? offset + 1 : offset - line_start;
  return SourcePos{file, static_cast<int>(line) + 1, static_cast<int>(column)};
}

// "string \"32\"", "null", "number 32.5": what a wrong-typed value was, for error messages.
std::string describe(const json& value) {
  std::string shown = value.dump();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  if (value.is_null()) return "null";
  return fmt::format("{} {}", value.type_name(), shown);
}

// Reads keys of one JSON object (the root, or Gemma-3's text_config), reporting errors with the
// key's line. Lines come from searching the raw text for "\"key\"" after the object's start:
// nlohmann keeps no positions, and config.json files are flat enough for this to be right.
class Reader {
 public:
  static constexpr int64_t kMaxInteger = int64_t{1} << 40;

  Reader(const std::string& text, const std::string& file, json node, std::string prefix,
         std::size_t start)
      : text_(text), file_(file), node_(std::move(node)), prefix_(std::move(prefix)), start_(start) {}

  SourcePos pos_of(const std::string& key) const {
    const std::string quoted = "\"" + key + "\"";
    std::size_t at = text_.find(quoted, start_);
    if (at == std::string::npos) at = text_.find(quoted);
    return at == std::string::npos ? pos_at(text_, file_, start_) : pos_at(text_, file_, at);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw InputError(pos_of(key), prefix_ + key, message);
  }
  // nullptr when the key is absent or null: transformers treats null as "use the default".
  const json* find(const std::string& key) const {
    const auto it = node_.find(key);
    return it == node_.end() || it->is_null() ? nullptr : &*it;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }

  std::optional<int64_t> opt_int(const std::string& key, int64_t minimum) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) fail(key, "expected an integer, got " + describe(*value));
    // Every integer of a config.json is a size or a count; capping them here keeps the importer's
    // own arithmetic (4 x hidden, positions + 2) exact. ModelSpec::validate() has the finer limits.
    if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(kMaxInteger))
      fail(key, fmt::format("{} is implausibly large (at most {} is supported)", value->dump(),
                            kMaxInteger));
    const int64_t number = value->get<int64_t>();
    if (number < minimum)
      fail(key, minimum == 1 ? fmt::format("must be a positive integer, got {}", number)
                             : fmt::format("must be an integer >= {}, got {}", minimum, number));
    return number;
  }
  std::optional<int64_t> opt_positive(const std::string& key) const { return opt_int(key, 1); }
  int64_t get_positive(const std::string& key) const {
    require(key);
    return *opt_positive(key);
  }
  std::optional<bool> opt_bool(const std::string& key) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean()) fail(key, "expected true or false, got " + describe(*value));
    return value->get<bool>();
  }
  std::optional<std::string> opt_string(const std::string& key) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) fail(key, "expected a string, got " + describe(*value));
    return value->get<std::string>();
  }
  void require(const std::string& key) const {
    if (node_.find(key) == node_.end()) {
      throw InputError(pos_at(text_, file_, start_), prefix_ + key, "missing required field");
    }
    if (node_.at(key).is_null()) fail(key, "expected a value, got null");
  }

 private:
  const std::string& text_;
  const std::string& file_;
  json node_;
  std::string prefix_;
  std::size_t start_;
};

// How one model_type names its fields and what transformers assumes when a key is absent.
struct Family {
  std::string layers = "num_hidden_layers", hidden = "hidden_size", heads = "num_attention_heads";
  std::string ffn = "intermediate_size", positions = "max_position_embeddings";
  std::vector<std::string> activation_keys = {"hidden_act"};
  std::string default_activation = "silu";
  bool ffn_defaults_to_4x = false;   // GPT-2/GPT-J: n_inner null means 4 * hidden
  bool tie_default = false;          // the config class's tie_word_embeddings default
  bool gated = true;
  NormKind norm = NormKind::rmsnorm;
  int64_t norms_per_layer = 2;
  bool qk_norm = false, qkv_bias = false, o_bias = false, mlp_bias = false;
  std::string bias_key;              // a bool key switching q/k/v/o biases ("" = fixed)
  PositionEmbedding position = PositionEmbedding::rope;
};

Family family_of(const std::string& type) {
  Family f;
  if (type == "llama" || type == "qwen3" || type == "qwen3_moe" || type == "gpt_oss" || type == "llama4_text")
    f.bias_key = "attention_bias";
  if (type == "qwen3" || type == "qwen3_moe") f.qk_norm = true;
  if (type == "gpt_oss") f.mlp_bias = true;  // gate_up_proj_bias, down_proj_bias and the router's bias
  if (type == "qwen2" || type == "qwen2_moe") f.qkv_bias = true;  // hard-coded in modeling_qwen2
  if (type == "gemma2" || type == "gemma3_text") {
    // Gemma norms before and after both attention and MLP; gemma's own key is hidden_activation.
    f.activation_keys = {"hidden_activation", "hidden_act"};
    f.default_activation = "gelu_pytorch_tanh";
    f.tie_default = true;
    f.norms_per_layer = 4;
    f.bias_key = "attention_bias";
    f.qk_norm = type == "gemma3_text";
  }
  const bool gpt_style = type == "gpt2" || type == "gpt_neox" || type == "opt" || type == "gptj" ||
                         type == "phi";
  if (gpt_style) {
    f.gated = false;
    f.norm = NormKind::layernorm;
    f.mlp_bias = true;
  }
  if (type == "gpt2" || type == "gptj") {
    f.layers = "n_layer", f.hidden = "n_embd", f.heads = "n_head", f.ffn = "n_inner";
    f.positions = "n_positions";
    f.ffn_defaults_to_4x = true;
    f.activation_keys = {"activation_function"};
    f.default_activation = "gelu_new";
  }
  if (type == "gpt2") {
    f.tie_default = true;
    f.qkv_bias = f.o_bias = true;
    f.position = PositionEmbedding::learned;
  }
  if (type == "gptj") f.norms_per_layer = 1;  // attention and MLP run in parallel off one norm
  if (type == "gpt_neox") {
    f.default_activation = "gelu";
    f.bias_key = "attention_bias";
    f.qkv_bias = f.o_bias = true;  // GPTNeoXConfig.attention_bias defaults to true
  }
  if (type == "opt") {
    f.ffn = "ffn_dim";
    f.activation_keys = {"activation_function"};
    f.default_activation = "relu";
    f.tie_default = true;
    f.bias_key = "enable_bias";
    f.qkv_bias = f.o_bias = true;
    f.position = PositionEmbedding::learned;
  }
  if (type == "phi") {  // phi-1/1.5/2: parallel attention and MLP off one LayerNorm
    f.default_activation = "gelu_new";
    f.norms_per_layer = 1;
    f.qkv_bias = f.o_bias = true;
  }
  return f;
}

Activation activation_of(const Reader& r, const Family& f) {
  std::string key = f.activation_keys.front();
  for (const auto& candidate : f.activation_keys)
    if (r.has(candidate)) { key = candidate; break; }
  const std::string name = r.opt_string(key).value_or(f.default_activation);
  if (name == "silu" || name == "swish") return Activation::silu;
  if (name == "gelu") return Activation::gelu;
  // transformers' gelu_new, gelu_pytorch_tanh and gelu_fast are all the tanh approximation.
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" ||
      name == "gelu_tanh")
    return Activation::gelu_tanh;
  if (name == "relu") return Activation::relu;
  r.fail(key, fmt::format("activation '{}' is not supported (supported: silu, swish, gelu, "
                          "gelu_new, gelu_pytorch_tanh, gelu_fast, relu)", name));
}

// Sliding windows from the newer per-layer list, which must be expressible as "every Nth layer
// is full attention" (ModelSpec's form; Gemma-2/3 and Mistral all are).
void read_layer_types(const Reader& r, int64_t window, ModelSpec& m) {
  const json& types = *r.find("layer_types");
  if (!types.is_array() || static_cast<int64_t>(types.size()) != m.num_layers)
    r.fail("layer_types", fmt::format("expected a list of {} layer types", m.num_layers));
  std::vector<bool> sliding;
  for (const json& t : types) {
    if (!t.is_string() || (t != "sliding_attention" && t != "full_attention"))
      r.fail("layer_types", "entries must be \"sliding_attention\" or \"full_attention\", got " +
                                describe(t));
    sliding.push_back(t == "sliding_attention");
  }
  const auto first_full = std::find(sliding.begin(), sliding.end(), false);
  if (std::none_of(sliding.begin(), sliding.end(), [](bool s) { return s; })) return;
  const int64_t every = first_full == sliding.end() ? 0 : (first_full - sliding.begin()) + 1;
  for (int64_t i = 0; i < m.num_layers; ++i)
    if (sliding[static_cast<std::size_t>(i)] != (every == 0 || (i + 1) % every != 0))
      r.fail("layer_types", "only patterns where every Nth layer is full attention are supported");
  if (window <= 0) r.fail("sliding_window", "sliding layers need a sliding_window size");
  m.sliding_window = {window, every};
}

void read_sliding_window(const Reader& r, const std::string& type, ModelSpec& m) {
  const int64_t window = r.opt_positive("sliding_window").value_or(0);
  if (r.has("layer_types")) return read_layer_types(r, window, m);
  if (type == "mistral" || type == "mixtral" || type == "phi3") {
    if (window > 0) m.sliding_window = {window, 0};  // every layer attends within the window
  } else if (type == "qwen2" || type == "qwen2_moe" || type == "qwen3" || type == "qwen3_moe") {
    // transformers: layers at index >= max_window_layers slide, when use_sliding_window is set.
    if (!r.opt_bool("use_sliding_window").value_or(false)) return;
    const int64_t full_layers = r.opt_int("max_window_layers", 0).value_or(0);
    if (full_layers >= m.num_layers) return;
    if (full_layers != 0)
      r.fail("max_window_layers", "a mix of leading full-attention and trailing sliding layers "
                                  "is not supported");
    if (window <= 0) r.fail("sliding_window", "use_sliding_window needs a sliding_window size");
    m.sliding_window = {window, 0};
  } else if (type == "gemma2") {
    m.sliding_window = {window > 0 ? window : 4096, 2};  // Gemma-2 alternates local and global
  } else if (type == "gemma3_text") {
    const std::string key = r.has("sliding_window_pattern") ? "sliding_window_pattern"
                                                            : "_sliding_window_pattern";
    const int64_t every = r.opt_positive(key).value_or(6);  // Gemma3TextConfig's default
    if (every > 1) m.sliding_window = {window > 0 ? window : 4096, every};
  }
}

void read_moe(const Reader& r, const std::string& type, ModelSpec& m) {
  if (type == "mixtral") {
    m.moe.num_experts = r.get_positive("num_local_experts");
    m.moe.experts_per_token = r.get_positive("num_experts_per_tok");
    m.moe.expert_intermediate_size = r.get_positive("intermediate_size");  // one expert's width
  } else {  // qwen2_moe, qwen3_moe
    m.moe.num_experts = r.get_positive("num_experts");
    m.moe.experts_per_token = r.get_positive("num_experts_per_tok");
    m.moe.expert_intermediate_size = r.get_positive("moe_intermediate_size");
    m.moe.moe_layer_interval = r.opt_positive("decoder_sparse_step").value_or(1);
    if (const json* dense = r.find("mlp_only_layers"); dense && !dense->empty())
      r.fail("mlp_only_layers", "dense layers listed by index are not supported");
    if (type == "qwen2_moe") {
      r.require("shared_expert_intermediate_size");  // 0 = no shared expert
      m.moe.shared_expert_intermediate_size = *r.opt_int("shared_expert_intermediate_size", 0);
      m.moe.num_shared_experts = m.moe.shared_expert_intermediate_size > 0 ? 1 : 0;
    }
  }
  // intermediate_size is the dense FFN width, meaningful only when some layers are dense.
  m.intermediate_size = m.moe.moe_layer_interval > 1 ? r.get_positive("intermediate_size") : 0;
}

// DeepSeek-V2/V3: multi-head latent attention and DeepSeekMoE (modeling_deepseek.py): layer i is
// MoE when n_routed_experts is set, i >= first_k_dense_replace and i % moe_layer_freq == 0.
void read_deepseek(const Reader& r, const Reader& top, ModelSpec& m) {
  m.mla.q_lora_rank = r.opt_positive("q_lora_rank").value_or(0);  // null: q_proj (V2-Lite)
  m.mla.kv_lora_rank = r.get_positive("kv_lora_rank");
  m.mla.qk_nope_head_dim = r.get_positive("qk_nope_head_dim");
  m.mla.qk_rope_head_dim = r.get_positive("qk_rope_head_dim");
  m.mla.v_head_dim = r.get_positive("v_head_dim");
  // Every query head up-projects its own key from the latent (num_key_value_heads is the head
  // count in these files); the query/key head width is nope + rope.
  m.num_kv_heads = m.num_attention_heads;
  m.head_dim = m.mla.qk_head_dim();
  m.intermediate_size = r.get_positive("intermediate_size");
  if (auto experts = r.opt_positive("n_routed_experts")) {
    if (const int64_t freq = r.opt_positive("moe_layer_freq").value_or(1); freq != 1)
      r.fail("moe_layer_freq", fmt::format("only 1 (every layer after first_k_dense_replace) is supported, got {}", freq));
    m.moe.num_experts = *experts;
    m.moe.experts_per_token = r.get_positive("num_experts_per_tok");
    m.moe.expert_intermediate_size = r.get_positive("moe_intermediate_size");
    m.moe.num_shared_experts = r.opt_int("n_shared_experts", 0).value_or(0);
    m.moe.shared_expert_intermediate_size = m.moe.num_shared_experts > 0 ? m.moe.expert_intermediate_size : 0;
    m.moe.first_dense_layers = r.opt_int("first_k_dense_replace", 0).value_or(0);
  }
  m.mtp_layers = r.opt_int("num_nextn_predict_layers", 0).value_or(0);
  // DeepSeek-V3's quantization_config: {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}.
  if (const json* q = top.find("quantization_config"); q && q->is_object() && q->value("quant_method", "") == "fp8")
    m.shipped_weights.linear = m.shipped_weights.experts = q->contains("weight_block_size") ? "fp8_block" : "fp8";
}

// gpt-oss (modeling_gpt_oss.py): every layer MoE with biased experts and router, attention sinks,
// alternating sliding/full layers (layer_types); MXFP4 experts per quantization_config.
void read_gpt_oss(const Reader& r, const Reader& top, ModelSpec& m) {
  m.moe.num_experts = r.get_positive("num_local_experts");
  m.moe.experts_per_token = r.get_positive("num_experts_per_tok");
  m.moe.expert_intermediate_size = r.get_positive("intermediate_size");
  m.intermediate_size = 0;
  m.attention_sinks = true;
  if (const json* q = top.find("quantization_config"); q && q->is_object() && q->value("quant_method", "") == "mxfp4")
    m.shipped_weights.experts = "mxfp4";
}

// Llama 4 text model (modeling_llama4.py): MoE every interleave_moe_layer_step-th layer with one
// shared expert of the routed width; dense layers use intermediate_size_mlp. Chunked local
// attention (attention_chunk_size) on all but every 4th layer is approximated as a sliding
// window, as in the library's Llama-4 files.
void read_llama4(const Reader& r, ModelSpec& m) {
  m.moe.num_experts = r.get_positive("num_local_experts");
  m.moe.experts_per_token = r.get_positive("num_experts_per_tok");
  m.moe.expert_intermediate_size = r.get_positive("intermediate_size");
  m.moe.num_shared_experts = 1;
  m.moe.shared_expert_intermediate_size = m.moe.expert_intermediate_size;
  m.moe.moe_layer_interval = r.opt_positive("interleave_moe_layer_step").value_or(1);
  m.intermediate_size = m.moe.moe_layer_interval > 1 ? r.get_positive("intermediate_size_mlp") : 0;
  if (auto chunk = r.opt_positive("attention_chunk_size"))
    m.sliding_window = {*chunk, r.opt_positive("no_rope_layer_interval").value_or(4)};
}

std::string dtype_of(const Reader& r, const Reader& top) {
  for (const Reader* reader : {&r, &top})
    for (const char* key : {"torch_dtype", "dtype"})  // transformers >= 4.56 writes "dtype"
      if (auto value = reader->opt_string(key)) {
        if (*value == "bfloat16" || *value == "float16" || *value == "float32") return *value;
        reader->fail(key, fmt::format("dtype '{}' is not supported (supported: bfloat16, "
                                      "float16, float32)", *value));
      }
  // No torch_dtype means the file predates the key (gpt2, opt-era): those checkpoints were saved,
  // and are loaded by transformers, in float32. Assuming a half-precision dtype would halve the
  // weight memory without any evidence for it.
  return "float32";
}

// Defaults Gemma3TextConfig applies: a multimodal Gemma-3 config.json stores only the text keys
// that differ from them (gemma-3-4b-it's text_config has six keys), so reading it needs them.
json gemma3_text_defaults() {
  return {{"vocab_size", 262208},        {"num_attention_heads", 8},
          {"num_key_value_heads", 4},    {"head_dim", 256},
          {"max_position_embeddings", 131072}, {"sliding_window", 4096}};
}

std::string id_for(const std::string& file) {
  const std::filesystem::path path(file);
  const std::string folder = path.parent_path().filename().string();
  if (path.filename() == "config.json" && !folder.empty() && folder != "." && folder != "..")
    return folder;
  return "hf:" + path.stem().string();
}

// "[json.exception.parse_error.101] parse error at line 4, column 3: syntax error ..." -> the
// part after the position, since our SourcePos already says where.
std::string parse_error_detail(const std::string& what) {
  const std::size_t at = what.find("parse error");
  const std::size_t colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// The position of the first 'quoted' token of a parser message in `text` (file only if absent).
SourcePos pos_of_quoted(const std::string& text, const std::string& file, const std::string& what) {
  const std::size_t open = what.find('\'');
  const std::size_t close = open == std::string::npos ? open : what.find('\'', open + 1);
  const std::size_t at = close == std::string::npos ? close : text.find(what.substr(open + 1, close - open - 1));
  return at == std::string::npos ? SourcePos{file, 0, 0} : pos_at(text, file, at);
}

ModelSpec import_json(const std::string& text, const std::string& file) {
  check_json_nesting(text, file);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based index of the last byte read, i.e. where parsing stopped.
    throw InputError(pos_at(text, file, e.byte > 0 ? e.byte - 1 : 0), "",
                     "invalid JSON: " + parse_error_detail(e.what()));
  } catch (const json::out_of_range& e) {
    // A number beyond double's range (1e400) is reported without a position, but quoted.
    const std::string what = e.what();  // "[json.exception.out_of_range.406] number overflow ..."
    const std::size_t tag_end = what.find("] ");
    throw InputError(pos_of_quoted(text, file, what), "",
                     "invalid JSON: " + (tag_end == std::string::npos ? what : what.substr(tag_end + 2)));
  }
  if (!root.is_object())
    throw InputError(SourcePos{file, 1, 1}, "", "expected a JSON object (a config.json)");
  const Reader top(text, file, root, "", 0);
  top.require("model_type");
  const std::string model_type = *top.opt_string("model_type");
  if (std::find(kSupportedTypes.begin(), kSupportedTypes.end(), model_type) == kSupportedTypes.end())
    top.fail("model_type", fmt::format("model_type '{}' is not supported (supported: {})",
                                       model_type, join(kSupportedTypes)));

  // A multimodal Gemma-3 keeps the language model in text_config; its vision tower (SigLIP) is
  // not part of the decoder being simulated and is not counted.
  // Llama 4 likewise (its vision model is not counted either).
  const bool multimodal = (model_type == "gemma3" || model_type == "llama4") && top.has("text_config");
  const std::string type = model_type == "gemma3" ? "gemma3_text" : model_type == "llama4" ? "llama4_text" : model_type;
  json node = multimodal ? root.at("text_config") : root;
  if (!node.is_object()) top.fail("text_config", "expected an object, got " + describe(node));
  if (type == "gemma3_text") {
    json merged = gemma3_text_defaults();
    for (const auto& [key, value] : node.items())
      if (!value.is_null()) merged[key] = value;
    node = std::move(merged);
  }
  const std::size_t start = multimodal ? text.find("\"text_config\"") : 0;
  const Reader r(text, file, node, multimodal ? "text_config." : "", start);
  const Family f = family_of(type);

  ModelSpec m;
  m.id = id_for(file);
  m.hf_id = top.opt_string("_name_or_path").value_or("");
  m.family = model_type;
  m.source_file = file;
  m.num_layers = r.get_positive(f.layers);
  m.hidden_size = r.get_positive(f.hidden);
  m.num_attention_heads = r.get_positive(f.heads);
  m.num_kv_heads = r.opt_positive("num_key_value_heads").value_or(m.num_attention_heads);
  if (auto head_dim = r.opt_positive("head_dim")) {
    m.head_dim = *head_dim;
  } else {
    if (m.hidden_size % m.num_attention_heads != 0)
      r.fail(f.heads, fmt::format("hidden size {} is not a multiple of {} heads and no head_dim "
                                  "is given", m.hidden_size, m.num_attention_heads));
    m.head_dim = m.hidden_size / m.num_attention_heads;
  }
  m.vocab_size = r.get_positive("vocab_size");
  m.max_position_embeddings = r.get_positive(f.positions);
  if (type == "mixtral" || type == "qwen2_moe" || type == "qwen3_moe") {
    read_moe(r, type, m);
  } else if (type == "deepseek_v2" || type == "deepseek_v3") {
    read_deepseek(r, top, m);
  } else if (type == "gpt_oss") {
    read_gpt_oss(r, top, m);
  } else if (type == "llama4_text") {
    read_llama4(r, m);
  } else if (f.ffn_defaults_to_4x) {
    m.intermediate_size = r.opt_positive(f.ffn).value_or(4 * m.hidden_size);
  } else {
    m.intermediate_size = r.get_positive(f.ffn);
  }

  m.activation = activation_of(r, f);
  m.gated_mlp = f.gated;
  m.norm = f.norm;
  m.norms_per_layer = f.norms_per_layer;
  m.qk_norm = f.qk_norm;
  m.qkv_bias = f.qkv_bias;
  m.o_proj_bias = f.o_bias;
  m.mlp_bias = f.mlp_bias;
  if (auto bias = f.bias_key.empty() ? std::nullopt : r.opt_bool(f.bias_key))
    m.qkv_bias = m.o_proj_bias = *bias;
  if (type == "llama") m.mlp_bias = r.opt_bool("mlp_bias").value_or(false);
  if (type == "opt") m.mlp_bias = m.qkv_bias;  // enable_bias covers every linear layer
  if (type == "phi") m.qk_norm = r.opt_bool("qk_layernorm").value_or(false);
  if (auto projection = type == "opt" ? r.opt_positive("word_embed_proj_dim") : std::nullopt;
      projection && *projection != m.hidden_size)  // OPT-350m's project_in/out: not modelled
    r.fail("word_embed_proj_dim", "word_embed_proj_dim != hidden_size is not supported");
  m.position_embedding = f.position;
  if (f.position == PositionEmbedding::learned)  // OPT's table has 2 extra rows (offset 2)
    m.learned_position_slots = m.max_position_embeddings + (type == "opt" ? 2 : 0);

  m.tie_word_embeddings = r.opt_bool("tie_word_embeddings")
                              .value_or(top.opt_bool("tie_word_embeddings").value_or(f.tie_default));
  m.dtype = dtype_of(r, top);
  if (type != "llama4_text") read_sliding_window(r, type, m);
  m.validate();
  return m;
}

}  // namespace

const std::vector<std::string>& supported_hf_model_types() { return kSupportedTypes; }

ModelSpec import_hf_config_text(const std::string& json_text, const std::string& pretend_file) {
  return import_json(json_text, pretend_file);
}

ModelSpec import_hf_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path, 0, 0}, "",
                            fmt::format("cannot open file: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return import_json(text.str(), path);
}

}  // namespace llmpo
