// Hugging Face config.json import of the frontier MoE families (deepseek_v2 / deepseek_v3,
// gpt_oss, llama4 with text_config, qwen3_moe at 235B): each sample in tests/data/hf_configs/
// (provenance in its README.md) imports to the same architecture as the library's file.
#include <catch2/catch.hpp>

#include <string>

#include "models/hf_config.hpp"
#include "models/model_library.hpp"
#include "../test_paths.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

ModelSpec load(const std::string& name) { return import_hf_config(test::data_dir() + "/hf_configs/" + name); }

const ModelSpec& library_model(const std::string& name) {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib.find(name);
}

}  // namespace

TEST_CASE("hf_config: a DeepSeek-V3 config imports MLA, 3 dense layers, the MTP module and fp8 block weights") {
  const ModelSpec m = load("deepseek-v3.json");
  CHECK(m.family == "deepseek_v3");
  CHECK(m.mla.q_lora_rank == 1536);
  CHECK(m.mla.kv_lora_rank == 512);
  CHECK(m.mla.qk_nope_head_dim == 128);
  CHECK(m.mla.qk_rope_head_dim == 64);
  CHECK(m.mla.v_head_dim == 128);
  CHECK(m.head_dim == 192);
  CHECK(m.num_kv_heads == 128);
  CHECK(m.moe.num_experts == 256);
  CHECK(m.moe.experts_per_token == 8);
  CHECK(m.moe.num_shared_experts == 1);
  CHECK(m.moe.shared_expert_intermediate_size == 2048);
  CHECK(m.moe.first_dense_layers == 3);
  CHECK(m.intermediate_size == 18432);
  CHECK(m.mtp_layers == 1);
  CHECK(m.shipped_weights.linear == "fp8_block");
  CHECK(m.shipped_weights.experts == "fp8_block");
  CHECK(count_parameters(m).total() == count_parameters(library_model("DeepSeek-V3")).total());
}

TEST_CASE("hf_config: a DeepSeek-V2-Lite config with q_lora_rank null imports q_proj without compression") {
  const ModelSpec m = load("deepseek-v2-lite.json");
  CHECK(m.mla.q_lora_rank == 0);
  CHECK(m.moe.num_shared_experts == 2);
  CHECK(m.moe.first_dense_layers == 1);
  CHECK_FALSE(m.shipped_weights.quantized());
  CHECK(count_parameters(m).total() == count_parameters(library_model("DeepSeek-V2-Lite")).total());
}

TEST_CASE("hf_config: gpt-oss configs import sinks, alternating 128-token windows and MXFP4 experts") {
  const ModelSpec m = load("gpt-oss-120b.json");
  CHECK(m.attention_sinks);
  CHECK(m.qkv_bias);
  CHECK(m.o_proj_bias);
  CHECK(m.head_dim == 64);
  CHECK(m.sliding_window.window_tokens == 128);
  CHECK(m.sliding_window.global_every == 2);
  CHECK(m.moe.num_experts == 128);
  CHECK(m.moe.experts_per_token == 4);
  CHECK(m.shipped_weights.experts == "mxfp4");
  CHECK(m.shipped_weights.linear == "none");
  CHECK(count_parameters(m).total() == count_parameters(library_model("gpt-oss-120b")).total());
  CHECK(count_parameters(load("gpt-oss-20b.json")).total() == count_parameters(library_model("gpt-oss-20b")).total());
}

TEST_CASE("hf_config: a Llama-4-Maverick config imports its text_config with MoE on every other layer") {
  const ModelSpec m = load("llama-4-maverick-17b-128e.json");
  CHECK(m.family == "llama4");
  CHECK(m.num_layers == 48);
  CHECK(m.moe.moe_layer_interval == 2);
  CHECK(m.intermediate_size == 16384);  // intermediate_size_mlp, the dense layers
  CHECK(m.moe.expert_intermediate_size == 8192);
  CHECK(m.moe.num_shared_experts == 1);
  CHECK(m.sliding_window.window_tokens == 8192);
  CHECK(m.sliding_window.global_every == 4);
  CHECK(count_parameters(m).total() == count_parameters(library_model("Llama-4-Maverick-17B-128E")).total());
}

TEST_CASE("hf_config: a Qwen3-235B-A22B config imports the library's architecture") {
  const ModelSpec m = load("qwen3-235b-a22b.json");
  CHECK(m.num_kv_heads == 4);
  CHECK(m.moe.expert_intermediate_size == 1536);
  CHECK(count_parameters(m).total() == count_parameters(library_model("Qwen3-235B-A22B")).total());
}

TEST_CASE("hf_config: a DeepSeek config with moe_layer_freq 2 is refused at that key") {
  const std::string text = R"({"model_type": "deepseek_v2", "num_hidden_layers": 4, "hidden_size": 256,
  "num_attention_heads": 4, "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 4096,
  "kv_lora_rank": 64, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 32,
  "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 128,
  "moe_layer_freq": 2})";
  try {
    import_hf_config_text(text, "ds.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains("ds.json:5"));
    CHECK_THAT(what, Contains("moe_layer_freq"));
  }
}
