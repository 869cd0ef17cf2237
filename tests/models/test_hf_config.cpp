// Hugging Face config.json import: each sample in tests/data/hf_configs/ is a real published
// config.json, and its computed parameter count is checked against the published count (the
// safetensors metadata total shown on the model's Hub page, exact to the parameter).
#include <catch2/catch.hpp>

#include <string>

#include "models/hf_config.hpp"
#include "../test_paths.hpp"

using namespace llmpo;

namespace {

std::string sample(const std::string& name) { return test::data_dir() + "/hf_configs/" + name; }

ModelSpec load(const std::string& name) { return import_hf_config(sample(name)); }

int64_t total_params(const ModelSpec& m) { return count_parameters(m).total(); }

// what() of the InputError the import throws; fails the test when nothing is thrown.
template <typename Import>
std::string error_of(Import import) {
  try {
    import();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

}  // namespace

TEST_CASE("hf_config: a Llama-2-7b config imports as a 32-layer MHA model of 6,738,415,616 parameters") {
  const ModelSpec m = load("llama-2-7b-hf.json");
  CHECK(m.id == "hf:llama-2-7b-hf");
  CHECK(m.hf_id == "meta-llama/Llama-2-7b-hf");
  CHECK(m.family == "llama");
  CHECK(m.source_file == sample("llama-2-7b-hf.json"));
  CHECK(m.num_layers == 32);
  CHECK(m.hidden_size == 4096);
  CHECK(m.num_attention_heads == 32);
  CHECK(m.num_kv_heads == 32);
  CHECK(m.head_dim == 128);
  CHECK(m.intermediate_size == 11008);
  CHECK(m.vocab_size == 32000);
  CHECK(m.max_position_embeddings == 4096);
  CHECK_FALSE(m.tie_word_embeddings);
  CHECK(m.activation == Activation::silu);
  CHECK(m.gated_mlp);
  CHECK(m.norm == NormKind::rmsnorm);
  CHECK(m.position_embedding == PositionEmbedding::rope);
  CHECK_FALSE(m.qkv_bias);
  CHECK(m.dtype == "float16");
  CHECK_FALSE(m.moe.enabled());
  CHECK_FALSE(m.sliding_window.enabled());
  CHECK(total_params(m) == 6'738'415'616);
}

TEST_CASE("hf_config: a Mistral-7B-v0.3 config imports GQA with 8 KV heads and 7,248,023,552 parameters") {
  const ModelSpec m = load("mistral-7b-v0.3.json");
  CHECK(m.family == "mistral");
  CHECK(m.hf_id.empty());  // this config.json has no _name_or_path
  CHECK(m.num_kv_heads == 8);
  CHECK(m.intermediate_size == 14336);
  CHECK(m.vocab_size == 32768);
  CHECK(m.max_position_embeddings == 32768);
  CHECK(m.dtype == "bfloat16");
  CHECK_FALSE(m.sliding_window.enabled());  // v0.3 sets "sliding_window": null
  CHECK(total_params(m) == 7'248'023'552);
}

TEST_CASE("hf_config: a Mixtral config imports 8 experts with top-2 routing") {
  const ModelSpec m = load("mixtral-8x7b-v0.1.json");
  CHECK(m.family == "mixtral");
  CHECK(m.moe.num_experts == 8);
  CHECK(m.moe.experts_per_token == 2);
  CHECK(m.moe.expert_intermediate_size == 14336);
  CHECK(m.moe.moe_layer_interval == 1);
  CHECK(m.moe.num_shared_experts == 0);
  CHECK(m.num_moe_layers() == 32);
  CHECK(m.intermediate_size == 0);  // no dense FFN layer exists
  const ParameterCounts counts = count_parameters(m);
  CHECK(counts.total() == 46'702'792'704);
  CHECK(counts.active_per_token == 12'879'925'248);  // the published "12.9B active"
}

TEST_CASE("hf_config: a Qwen2.5-7B config imports q/k/v biases and keeps full attention") {
  const ModelSpec m = load("qwen2.5-7b.json");
  CHECK(m.family == "qwen2");
  CHECK(m.qkv_bias);
  CHECK_FALSE(m.o_proj_bias);
  CHECK(m.num_kv_heads == 4);
  CHECK(m.vocab_size == 152064);
  CHECK(m.max_position_embeddings == 131072);
  // sliding_window is 131072 but use_sliding_window is false: transformers ignores the window.
  CHECK_FALSE(m.sliding_window.enabled());
  CHECK(total_params(m) == 7'615'616'512);
}

TEST_CASE("hf_config: a Qwen2-57B-A14B config imports 64 routed experts and one shared expert") {
  const ModelSpec m = load("qwen2-57b-a14b.json");
  CHECK(m.family == "qwen2_moe");
  CHECK(m.qkv_bias);
  CHECK(m.moe.num_experts == 64);
  CHECK(m.moe.experts_per_token == 8);
  CHECK(m.moe.expert_intermediate_size == 2560);
  CHECK(m.moe.num_shared_experts == 1);
  CHECK(m.moe.shared_expert_intermediate_size == 20480);
  CHECK(m.num_moe_layers() == 28);
  // Published 57,408,658,944 includes each layer's shared_expert_gate (hidden -> 1 sigmoid gate),
  // which ModelSpec does not model: 28 layers x 3584 parameters.
  CHECK(total_params(m) == 57'408'658'944 - 28 * 3584);
  // "A14B": about 14B parameters are active per token.
  CHECK(count_parameters(m).active_per_token > 14'000'000'000);
  CHECK(count_parameters(m).active_per_token < 14'500'000'000);
}

TEST_CASE("hf_config: a Qwen3-8B config imports per-head q/k norms and 8,190,735,360 parameters") {
  const ModelSpec m = load("qwen3-8b.json");
  CHECK(m.family == "qwen3");
  CHECK(m.qk_norm);
  CHECK_FALSE(m.qkv_bias);
  CHECK(m.head_dim == 128);
  CHECK(m.num_layers == 36);
  CHECK(m.num_kv_heads == 8);
  CHECK_FALSE(m.sliding_window.enabled());
  CHECK(total_params(m) == 8'190'735'360);
}

TEST_CASE("hf_config: a Qwen3-30B-A3B config imports 128 experts with top-8 routing") {
  const ModelSpec m = load("qwen3-30b-a3b.json");
  CHECK(m.family == "qwen3_moe");
  CHECK(m.qk_norm);
  CHECK(m.moe.num_experts == 128);
  CHECK(m.moe.experts_per_token == 8);
  CHECK(m.moe.expert_intermediate_size == 768);
  CHECK(m.moe.num_shared_experts == 0);
  CHECK(m.head_dim == 128);  // explicit head_dim: 32 heads x 128 = 4096 > hidden 2048
  const ParameterCounts counts = count_parameters(m);
  CHECK(counts.total() == 30'532'122'624);
  CHECK(counts.active_per_token == 3'353'032'704);  // the published "3.3B activated"
}

TEST_CASE("hf_config: a Gemma-2-9b config imports alternating 4096-token sliding windows") {
  const ModelSpec m = load("gemma-2-9b-it.json");
  CHECK(m.family == "gemma2");
  CHECK(m.activation == Activation::gelu_tanh);
  CHECK(m.norms_per_layer == 4);
  CHECK(m.tie_word_embeddings);  // absent from the file; Gemma2Config's default is true
  CHECK(m.head_dim == 256);
  CHECK(m.sliding_window.window_tokens == 4096);
  CHECK(m.sliding_window.global_every == 2);
  CHECK(m.is_sliding_layer(0));
  CHECK_FALSE(m.is_sliding_layer(1));
  CHECK(m.num_sliding_layers() == 21);
  CHECK(total_params(m) == 9'241'705'984);
}

TEST_CASE("hf_config: a multimodal Gemma-3-4b-it config imports its text model with Gemma-3 defaults") {
  const ModelSpec m = load("gemma-3-4b-it.json");
  CHECK(m.family == "gemma3");
  CHECK(m.num_layers == 34);
  CHECK(m.hidden_size == 2560);
  CHECK(m.intermediate_size == 10240);
  // Not in the file's text_config: Gemma3TextConfig's defaults.
  CHECK(m.num_attention_heads == 8);
  CHECK(m.num_kv_heads == 4);
  CHECK(m.head_dim == 256);
  CHECK(m.vocab_size == 262208);
  CHECK(m.max_position_embeddings == 131072);
  CHECK(m.tie_word_embeddings);
  CHECK(m.qk_norm);
  CHECK(m.norms_per_layer == 4);
  CHECK(m.dtype == "bfloat16");
  CHECK(m.sliding_window.window_tokens == 1024);
  CHECK(m.sliding_window.global_every == 6);  // five local layers, then one global
  CHECK(m.num_sliding_layers() == 29);
  // The published 4,300,079,472 also counts the SigLIP vision tower and the projector, which
  // are not part of the simulated decoder. Their size follows from vision_config (27 layers,
  // width 1152, MLP 4304, 896 px images in 14 px patches):
  const int64_t w = 1152, mlp = 4304, layers = 27, patches = (896 / 14) * (896 / 14);
  const int64_t vision_layer = 4 * (w * w + w) + (w * mlp + mlp) + (mlp * w + w) + 2 * 2 * w;
  const int64_t vision = layers * vision_layer + (3 * 14 * 14 * w + w) + patches * w + 2 * w;
  const int64_t projector = w * 2560 + w;  // input projection and its soft-embedding norm
  CHECK(total_params(m) == 3'880'263'168);
  CHECK(total_params(m) + vision + projector == 4'300'079'472);
}

TEST_CASE("hf_config: a Phi-3-mini-4k config imports a 2047-token window on every layer") {
  const ModelSpec m = load("phi-3-mini-4k-instruct.json");
  CHECK(m.family == "phi3");
  CHECK(m.hf_id == "Phi-3-mini-4k-instruct");
  CHECK(m.head_dim == 96);  // hidden 3072 / 32 heads, no head_dim key
  CHECK(m.vocab_size == 32064);
  CHECK(m.sliding_window.window_tokens == 2047);
  CHECK(m.sliding_window.global_every == 0);
  CHECK(m.num_sliding_layers() == 32);
  CHECK(total_params(m) == 3'821'079'552);
}

TEST_CASE("hf_config: a GPT-2 config imports learned positions, LayerNorm and 124,439,808 parameters") {
  const ModelSpec m = load("gpt2.json");
  CHECK(m.family == "gpt2");
  CHECK(m.num_layers == 12);
  CHECK(m.hidden_size == 768);
  CHECK(m.num_attention_heads == 12);
  CHECK(m.intermediate_size == 3072);  // n_inner is absent: 4 x n_embd
  CHECK(m.max_position_embeddings == 1024);
  CHECK(m.position_embedding == PositionEmbedding::learned);
  CHECK(m.learned_position_slots == 1024);
  CHECK(m.norm == NormKind::layernorm);
  CHECK(m.activation == Activation::gelu_tanh);  // gelu_new
  CHECK_FALSE(m.gated_mlp);
  CHECK(m.qkv_bias);
  CHECK(m.o_proj_bias);
  CHECK(m.mlp_bias);
  CHECK(m.tie_word_embeddings);
  CHECK(m.dtype == "float32");  // no torch_dtype: the checkpoint is float32
  CHECK(total_params(m) == 124'439'808);
}

TEST_CASE("hf_config: an OPT-1.3b config imports ReLU, biases and OPT's two extra position rows") {
  const ModelSpec m = load("opt-1.3b.json");
  CHECK(m.family == "opt");
  CHECK(m.hf_id == "facebook/opt-1.3b");
  CHECK(m.intermediate_size == 8192);  // ffn_dim
  CHECK(m.activation == Activation::relu);
  CHECK(m.learned_position_slots == 2050);
  CHECK(m.tie_word_embeddings);
  CHECK(m.mlp_bias);
  CHECK(m.dtype == "float16");
  CHECK(total_params(m) == 1'315'758'080);
}

TEST_CASE("hf_config: a phi-2 config imports one LayerNorm per parallel block") {
  const ModelSpec m = load("phi-2.json");
  CHECK(m.family == "phi");
  CHECK(m.norms_per_layer == 1);
  CHECK(m.norm == NormKind::layernorm);
  CHECK(m.activation == Activation::gelu_tanh);
  CHECK_FALSE(m.gated_mlp);
  CHECK(m.qkv_bias);
  CHECK(m.o_proj_bias);
  CHECK_FALSE(m.qk_norm);
  CHECK_FALSE(m.tie_word_embeddings);
  // Published 2,779,683,840 includes the LM head's bias (one per vocabulary entry), which
  // ModelSpec does not model.
  CHECK(total_params(m) + m.vocab_size == 2'779'683'840);
}

TEST_CASE("hf_config: a config.json inside a snapshot folder takes the folder's name as id") {
  const std::string text = R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
    "max_position_embeddings": 512, "torch_dtype": "bfloat16"})";
  CHECK(import_hf_config_text(text, "/models/Tiny-Llama/config.json").id == "Tiny-Llama");
  CHECK(import_hf_config_text(text, "tiny.json").id == "hf:tiny");
}

TEST_CASE("hf_config: layer_types lists become an every-Nth-layer-global sliding window") {
  const std::string head = R"({"model_type": "gemma2", "num_hidden_layers": 4, "hidden_size": 64,
    "num_attention_heads": 4, "head_dim": 16, "intermediate_size": 128, "vocab_size": 100,
    "max_position_embeddings": 512, "sliding_window": 32, "layer_types": )";
  const ModelSpec m = import_hf_config_text(
      head + R"(["sliding_attention", "full_attention", "sliding_attention", "full_attention"]})",
      "t.json");
  CHECK(m.sliding_window.window_tokens == 32);
  CHECK(m.sliding_window.global_every == 2);
  const std::string what = error_of([&] {
    import_hf_config_text(
        head + R"(["full_attention", "sliding_attention", "sliding_attention", "full_attention"]})",
        "t.json");
  });
  CHECK_THAT(what, Catch::Contains("t.json:3:59: ") && Catch::Contains("layer_types: ") &&
                       Catch::Contains("every Nth layer is full attention"));
}

TEST_CASE("hf_config: the supported model types are listed in a fixed order") {
  const auto& types = supported_hf_model_types();
  REQUIRE(types.size() == 21);
  CHECK(types.front() == "llama");
  CHECK(types.back() == "llama4_text");
}

TEST_CASE("hf_config: malformed JSON is reported at its line and column") {
  // bad_json.json lacks the comma after line 4, so parsing stops at line 5's key.
  const std::string what = error_of([] { load("bad_json.json"); });
  CHECK_THAT(what, Catch::Contains("bad_json.json:5:") && Catch::Contains("invalid JSON: ") &&
                       Catch::Contains("syntax error"));
}

TEST_CASE("hf_config: an unsupported model_type lists the supported ones") {
  const std::string what = error_of([] { load("unsupported_bert.json"); });
  CHECK_THAT(what, Catch::Contains("unsupported_bert.json:14:3: model_type: model_type 'bert' is "
                                   "not supported (supported: llama, mistral, mixtral, qwen2,"));
  CHECK_THAT(what, Catch::Contains("gptj, phi, deepseek_v2, deepseek_v3, gpt_oss, llama4, llama4_text)"));
}

TEST_CASE("hf_config: a missing num_hidden_layers names the field") {
  const std::string what = error_of([] { load("missing_layers.json"); });
  CHECK_THAT(what, Catch::Contains("missing_layers.json:1:1: num_hidden_layers: missing required field"));
}

TEST_CASE("hf_config: a string where a number is needed names the field, its line and the value") {
  const std::string what = error_of([] { load("wrong_type.json"); });
  CHECK_THAT(what, Catch::Contains("wrong_type.json:11:3: num_hidden_layers: expected an integer, "
                                   "got string \"32\""));
}

TEST_CASE("hf_config: a missing field inside Gemma-3's text_config is reported with its prefix") {
  const std::string text = "{\n  \"model_type\": \"gemma3\",\n  \"text_config\": {\n"
                           "    \"hidden_size\": 2560, \"intermediate_size\": 10240\n  }\n}\n";
  const std::string what = error_of([&] { import_hf_config_text(text, "mm.json"); });
  CHECK_THAT(what, Catch::Contains("mm.json:3:3: text_config.num_hidden_layers: missing required field"));
}

TEST_CASE("hf_config: an unknown activation and an unknown dtype are rejected by name") {
  const std::string base = R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
    "max_position_embeddings": 512, )";
  CHECK_THAT(error_of([&] { import_hf_config_text(base + R"("hidden_act": "xielu"})", "a.json"); }),
             Catch::Contains("a.json:3:37: hidden_act: activation 'xielu' is not supported"));
  CHECK_THAT(error_of([&] { import_hf_config_text(base + R"("torch_dtype": "int8"})", "d.json"); }),
             Catch::Contains("torch_dtype: dtype 'int8' is not supported (supported: bfloat16"));
}

TEST_CASE("hf_config: a file that cannot be opened is an input error naming it") {
  const std::string what = error_of([] { load("no_such_config.json"); });
  CHECK_THAT(what, Catch::Contains("no_such_config.json: cannot open file: "));
}

// Found by tests/fuzz/fuzz_hf_config: absurd sizes overflowed int64 in count_parameters, and a
// number beyond double's range escaped as nlohmann's out_of_range instead of an input error.
TEST_CASE("hf_config: absurd sizes and out-of-range numbers are input errors, not overflows") {
  const std::string head = R"({"model_type": "llama", "num_attention_heads": 4, "intermediate_size": 128,
    "vocab_size": 100, "max_position_embeddings": 512, )";
  CHECK_THAT(error_of([&] { import_hf_config_text(head + R"("num_hidden_layers": 1e400, "hidden_size": 64})", "f.json"); }),
             Catch::Contains("f.json:2:77: invalid JSON: number overflow parsing '1e400'"));
  CHECK_THAT(error_of([&] { import_hf_config_text(head + R"("num_hidden_layers": 18446744073709551615, "hidden_size": 64})", "u.json"); }),
             Catch::Contains("u.json:2:56: num_hidden_layers: 18446744073709551615 is implausibly large"));
  CHECK_THAT(error_of([&] { import_hf_config_text(head + R"("num_hidden_layers": 2, "hidden_size": 4194304})", "h.json"); }),
             Catch::Contains("architecture.hidden_size: 4194304 is implausibly large (at most 1048576"));
  // Each size within its limit, but together about 5e17 parameters.
  const std::string wide = R"({"model_type": "llama", "num_hidden_layers": 100000, "hidden_size": 1048576,
    "num_attention_heads": 1024, "intermediate_size": 65536, "vocab_size": 100, "max_position_embeddings": 512})";
  CHECK_THAT(error_of([&] { import_hf_config_text(wide, "w.json"); }),
             Catch::Contains("architecture: these sizes make up to 4.6e+17 parameters; at most 1e+15 are supported"));
}

// nlohmann::json copies and prints values recursively: 100,000 levels overflowed the stack.
TEST_CASE("hf_config: JSON nested too deep is an input error at the bracket, not a stack overflow") {
  const std::string deep = "{\"model_type\": \"llama\",\n \"x\": " + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  CHECK_THAT(error_of([&] { import_hf_config_text(deep, "deep.json"); }),
             Catch::Contains("deep.json:2:70: nested more than 64 levels deep"));
  // Brackets inside strings are text, not nesting.
  const std::string quoted = "{\"model_type\": \"" + std::string(100, '[') + "\"}";
  CHECK_THAT(error_of([&] { import_hf_config_text(quoted, "q.json"); }),
             Catch::Contains("model_type: model_type '[[["));
}
