// The frontier MoE families of issue 18 (DeepSeek-V2-Lite/V3/R1, Qwen3-235B-A22B, gpt-oss,
// Llama-4 Maverick): parameter counts against the published figures, multi-head latent
// attention's KV bytes, and DeepSeek-V3's KV capacity on 8 x H200 at TP 8, worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "models/memory_plan.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "models/model_spec.hpp"
#include "frameworks/vllm/speculative_config.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

double off_by(double computed, double published) { return std::fabs(computed - published) / published; }

}  // namespace

TEST_CASE("frontier models: DeepSeek-V3's MLA attention is 187,107,328 parameters a layer and the model 671B") {
  const ModelSpec& m = library().find("DeepSeek-V3");
  const ParameterCounts c = count_parameters(m);
  // One layer, from config.json: q_a 7168 x 1536 = 11,010,048; q_a_layernorm 1,536;
  // q_b 1536 x 128 x 192 = 37,748,736; kv_a_proj_with_mqa 7168 x 576 = 4,128,768;
  // kv_a_layernorm 512; kv_b 512 x 128 x (128 + 128) = 16,777,216; o 128 x 128 x 7168 =
  // 117,440,512. Sum 187,107,328.
  CHECK(c.attention == 61 * 187'107'328LL);
  // 3 dense layers: 3 x 7168 x 18432 = 396,361,728 each.
  CHECK(c.dense_mlp == 3 * 396'361'728LL);
  // 58 MoE layers: 256 experts x 3 x 7168 x 2048 = 11,274,289,152 routed; one shared expert
  // 44,040,192 and the router 7168 x 256 = 1,835,008.
  CHECK(m.num_moe_layers() == 58);
  CHECK(c.moe_experts == 58 * 11'274'289'152LL);
  CHECK(c.moe_shared_and_router == 58 * (44'040'192LL + 1'835'008LL));
  // Published: 671B total, 37B activated (technical report). The total is within 0.01%: the
  // router's e_score_correction_bias (58 x 256) is not counted and 671B is rounded.
  CHECK(off_by(static_cast<double>(c.total()), 671e9) < 1e-4);
  // Active without the embedding table: 36.6B against the rounded "37B" (1.1% low).
  CHECK(off_by(static_cast<double>(c.active_without_embedding()), 37e9) < 0.015);
  // The MTP module is a field, not part of the count (671B excludes it, 685B includes it).
  CHECK(m.mtp_layers == 1);
  CHECK(m.shipped_weights.linear == "fp8_block");
  CHECK(m.shipped_weights.experts == "fp8_block");
  // R1 is the same architecture under its own name.
  CHECK(count_parameters(library().find("DeepSeek-R1")).total() == c.total());
  CHECK(library().find("deepseek-ai/DeepSeek-R1").id == "DeepSeek-R1");
}

TEST_CASE("frontier models: DeepSeek-V2-Lite without q_lora counts 15.7B total and 2.4B active") {
  const ModelSpec& m = library().find("DeepSeek-V2-Lite");
  CHECK(m.mla.q_lora_rank == 0);
  const ParameterCounts c = count_parameters(m);
  // One layer's attention: q_proj 2048 x 16 x 192 = 6,291,456; kv_a 2048 x 576 = 1,179,648;
  // kv_a_layernorm 512; kv_b 512 x 16 x 256 = 2,097,152; o 16 x 128 x 2048 = 4,194,304.
  CHECK(c.attention == 27 * 13'763'072LL);
  CHECK(m.num_moe_layers() == 26);  // first_k_dense_replace 1
  // Paper: 15.7B total, 2.4B activated. Total within 0.1%; active without embedding 2.45B (2%).
  CHECK(off_by(static_cast<double>(c.total()), 15.7e9) < 1e-3);
  CHECK(off_by(static_cast<double>(c.active_without_embedding()), 2.4e9) < 0.025);
}

TEST_CASE("frontier models: gpt-oss-120b and -20b match the model card's 116.83B / 5.13B and 20.91B / 3.61B") {
  const ModelSpec& big = library().find("gpt-oss-120b");
  const ParameterCounts c = count_parameters(big);
  // One layer's attention: q 2880 x 4096 = 11,796,480; k and v 2880 x 512 each = 2,949,120;
  // o 4096 x 2880 = 11,796,480; biases 4096 + 512 + 512 + 2880 = 8,000; sinks 64.
  CHECK(c.attention == 36 * 26'550'144LL);
  // One expert: gate_up 2880 x 5760 + bias 5760, down 2880 x 2880 + bias 2880 = 24,891,840.
  CHECK(c.moe_experts == 36 * 128 * 24'891'840LL);
  CHECK(c.moe_shared_and_router == 36 * (2880 * 128 + 128));  // router weight and bias
  // The card's figures are given to 0.01B: within 0.01% (total) and 0.1% (active).
  CHECK(off_by(static_cast<double>(c.total()), 116.83e9) < 1e-4);
  CHECK(off_by(static_cast<double>(c.active_without_embedding()), 5.13e9) < 1e-3);
  CHECK(big.attention_sinks);
  CHECK(big.sliding_window.window_tokens == 128);
  CHECK(big.is_sliding_layer(0));
  CHECK_FALSE(big.is_sliding_layer(1));
  CHECK(big.shipped_weights.experts == "mxfp4");
  CHECK(big.shipped_weights.linear == "none");
  const ParameterCounts small = count_parameters(library().find("gpt-oss-20b"));
  CHECK(off_by(static_cast<double>(small.total()), 20.91e9) < 1e-3);
  CHECK(off_by(static_cast<double>(small.active_without_embedding()), 3.61e9) < 2e-3);
}

TEST_CASE("frontier models: Qwen3-235B-A22B and Llama-4-Maverick match their published totals") {
  const ParameterCounts qwen = count_parameters(library().find("Qwen3-235B-A22B"));
  // 94 layers x (attention 71,303,424 with q/k norms + 128 experts x 18,874,368 + router
  // 524,288) + embedding and head 2 x 151936 x 4096 + norms: 235.09B against "235B".
  CHECK(off_by(static_cast<double>(qwen.total()), 235e9) < 1e-3);
  // Active 22.19B with the embedding (21.57B without) against the card's rounded "22B".
  CHECK(off_by(static_cast<double>(qwen.active_per_token), 22e9) < 0.01);
  const ModelSpec& maverick = library().find("Llama-4-Maverick-17B-128E");
  CHECK(maverick.num_moe_layers() == 24);  // interleave_moe_layer_step 2
  CHECK(maverick.is_moe_layer(1));
  CHECK_FALSE(maverick.is_moe_layer(0));
  const ParameterCounts c = count_parameters(maverick);
  // 24 dense layers of 3 x 5120 x 16384 = 251,658,240.
  CHECK(c.dense_mlp == 24 * 251'658'240LL);
  // Text model only; the published 400B includes the vision encoder: within 0.2%.
  CHECK(off_by(static_cast<double>(c.total()), 400e9) < 2e-3);
  // Active: one routed + one shared expert per MoE layer, 17.2B against "17B".
  CHECK(off_by(static_cast<double>(c.active_per_token), 17e9) < 0.015);
}

TEST_CASE("frontier models: MLA caches 576 values per token and layer, replicated on every TP rank") {
  const ModelSpec& m = library().find("DeepSeek-V3");
  CHECK(m.kv_cache_elements_per_layer() == 576);  // kv_lora_rank 512 + qk_rope_head_dim 64
  MemoryPlanRequest r;
  r.gpu_memory_bytes = 139.80 * kGiB;
  r.parallel = ParallelConfig{8, 1};
  r.max_model_len = 32768;
  // 61 layers x 576 x 2 B = 70,272 B per token in bf16; the same on each of the 8 GPUs (vLLM's
  // MLAAttentionSpec: one KV head of 576, not split by TP).
  const MemoryPlan bf16 = plan_memory(m, r);
  CHECK(bf16.kv_bytes_per_token_model == 70'272.0);
  CHECK(bf16.limiting().kv_bytes_per_token == 70'272.0);
  r.kv_cache_dtype = "fp8";
  const MemoryPlan fp8 = plan_memory(m, r);
  CHECK(fp8.kv_bytes_per_token_model == 35'136.0);  // 61 x 576 x 1 B
  CHECK(fp8.limiting().kv_bytes_per_token == 35'136.0);
  // A GQA model for contrast: Qwen3-235B-A22B, 94 x 2 x 4 KV heads x 128 x 2 B = 192,512 B,
  // and at TP 4 one KV head per GPU: 48,128 B.
  MemoryPlanRequest q = r;
  q.kv_cache_dtype = "auto";
  q.parallel = ParallelConfig{4, 1};
  const MemoryPlan qwen = plan_memory(library().find("Qwen3-235B-A22B"), q);
  CHECK(qwen.kv_bytes_per_token_model == 192'512.0);
  CHECK(qwen.limiting().kv_bytes_per_token == 48'128.0);
}

TEST_CASE("frontier models: DeepSeek-V3 at TP 8 on 8 x H200 holds 633,280 KV tokens, and does not fit 8 x H100") {
  const ModelSpec& m = library().find("DeepSeek-V3");
  MemoryPlanRequest r;
  r.gpu_memory_bytes = 139.80 * kGiB;  // hardware/gpus/h200.yaml
  r.parallel = ParallelConfig{8, 1};
  r.max_model_len = 32768;
  r.max_num_batched_tokens = 8192;  // vllm serve's defaults on a >= 70 GiB GPU
  r.max_num_seqs = 1024;
  const MemoryPlan plan = plan_memory(m, r);
  const StageMemory& gpu = plan.limiting();
  // Weights of one GPU in the shipped fp8_block format (1 + 4 / 16384 bytes a weight):
  //   per layer: replicated q_a + kv_a 7168 x (1536 + 576) = 15,138,816; the TP-8 shards of
  //   q_b 1536 x 16 x 192 = 4,718,592, kv_b 512 x 16 x 256 = 2,097,152, o 16 x 128 x 7168 =
  //   14,680,064: 36,634,624 x 61 layers;
  //   3 dense FFNs 3 x 7168 x 18432 / 8 = 49,545,216 each;
  //   58 MoE layers: 256 experts x 3 x 7168 x 256 = 1,409,286,144 + shared 5,505,024;
  //   = 84,441,235,456 weights x (1 + 4/16384) = 84,461,850,992 B.
  // In bf16: norms 61 x (2 x 7168 + 1536 + 512), routers 58 x 1,835,008, the vocabulary shards
  // of embedding and head 2 x 16,160 x 7168, the final norm 7168 = 339,106,816 x 2 = 678,213,632 B.
  CHECK(gpu.weight_bytes == Approx(84'461'850'992.0 + 678'213'632.0).epsilon(1e-12));
  // RoPE cache 163,840 positions x 64 rope dims x 2 B = 20,971,520. Activation peak: the
  // sampler's 28 B x 1024 x 129,280 + 8192 x 7168 x 2 = 3,824,156,672 (above the forward's
  // 8192 x (3 x 7168 + 3 x 24,576 / 8) x 2 = 503,316,480). Overhead with TP: 1.5 GiB.
  CHECK(gpu.rope_cache_bytes == 20'971'520.0);
  CHECK(gpu.activation_peak_bytes == 3'824'156'672.0);
  // KV = 0.9 x 139.80 GiB - weights - RoPE - activations - 1.5 GiB = 44,502,390,743 B;
  // one block = 16 tokens x 61 layers x 1,152 B = 1,124,352 B -> 39,580 blocks = 633,280 tokens.
  CHECK(gpu.block_bytes == 1'124'352.0);
  CHECK(plan.num_gpu_blocks == 39'580);
  CHECK(plan.kv_capacity_tokens == 633'280);
  CHECK(plan.fits);
  // 8 x H100 (79.19 GiB): the 79.3 GiB of weights per GPU alone exceed the 71.3 GiB budget.
  r.gpu_memory_bytes = 79.19 * kGiB;
  const MemoryPlan h100 = plan_memory(m, r);
  CHECK_FALSE(h100.fits);
  CHECK(h100.kv_capacity_tokens == 0);
  CHECK_THAT(h100.verdict, Contains("does not fit"));
}

TEST_CASE("frontier models: gpt-oss-120b's MXFP4 experts take 4.25 bits a weight, the rest bf16") {
  const ModelSpec& m = library().find("gpt-oss-120b");
  const QuantizationInfo& none = find_quantization("none");
  const double weights = stage_weight_bytes(m, ParallelConfig{}, none, 0, m.num_layers);
  // Expert matrices 36 x 128 x 3 x 2880 x 2880 = 114,661,785,600 weights x 4.25 / 8 B; every
  // other parameter (the 116,829,156,672 total minus those, expert biases included) x 2 B.
  const double expert_matrices = 36.0 * 128 * 3 * 2880 * 2880;
  const double others = static_cast<double>(count_parameters(m).total()) - expert_matrices;
  CHECK(weights == Approx(expert_matrices * 4.25 / 8 + others * 2).epsilon(1e-12));
  // Asking for fp8 overrides the shipped format for every linear layer.
  const double fp8 = stage_weight_bytes(m, ParallelConfig{}, find_quantization("fp8"), 0, m.num_layers);
  CHECK(fp8 > weights);
  CHECK(weight_format_label(m, "none") == "bfloat16, experts mxfp4 (shipped)");
  CHECK(weight_format_label(library().find("DeepSeek-V3"), "none") == "fp8_block (shipped)");
  CHECK(weight_format_label(m, "awq") == "awq");
}

TEST_CASE("frontier models: an MLA block with the wrong head_dim or an unknown shipped format is rejected at its line") {
  const std::string base = R"(id: Tiny-MLA
family: deepseek_v2
architecture:
  num_layers: 2
  hidden_size: 256
  num_attention_heads: 4
  num_kv_heads: 4
  head_dim: 64
  intermediate_size: 512
  vocab_size: 1000
  max_position_embeddings: 4096
  tie_word_embeddings: false
  activation: silu
  gated_mlp: true
  norm: rmsnorm
  dtype: bfloat16
mla:
  kv_lora_rank: 128
  qk_nope_head_dim: 32
  qk_rope_head_dim: 16
  v_head_dim: 32
)";
  try {
    parse_model_yaml(base, "tiny.yaml");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains("tiny.yaml:8"));
    CHECK_THAT(what, Contains("qk_nope_head_dim + qk_rope_head_dim = 48"));
  }
  std::string fixed = base;
  fixed.replace(fixed.find("head_dim: 64"), 12, "head_dim: 48");
  const ModelSpec ok = parse_model_yaml(fixed, "tiny.yaml");
  CHECK(ok.kv_cache_elements_per_layer() == 144);
  try {
    parse_model_yaml(fixed + "shipped_weights:\n  experts: mxfp5\n", "tiny.yaml");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains("tiny.yaml:23"));
    CHECK_THAT(what, Contains("mxfp4"));
  }
}

TEST_CASE("frontier models: fp8_block and mxfp4 are quantization schemes with their scale overheads") {
  // fp8_block: one e4m3 byte + one fp32 scale per 128 x 128 block = 1 + 4 / 16384 bytes.
  const QuantizationInfo& fp8_block = find_quantization("fp8_block");
  CHECK(fp8_block.weight_bytes_per_param == 1.000244140625);
  CHECK(fp8_block.math == GemmMath::fp8);
  // mxfp4: 32 four-bit values + one e8m0 byte = 136 bits / 32 = 4.25 bits = 0.53125 B.
  const QuantizationInfo& mxfp4 = find_quantization("MXFP4");
  CHECK(mxfp4.weight_bytes_per_param == 0.53125);
  CHECK(mxfp4.math == GemmMath::activation_dtype);
  CHECK(&shipped_or_asked("mxfp4", find_quantization("none")) == &mxfp4);
  CHECK(&shipped_or_asked("mxfp4", find_quantization("awq")) == &find_quantization("awq"));
}

TEST_CASE("MTP drafter of DeepSeek-V3: the checkpoint's one next-token layer, an MoE layer, unless draft_layers says otherwise") {
  const ModelSpec& target = library().find("DeepSeek-V3");
  SpeculativeSettings mtp;
  mtp.method = "mtp";
  mtp.num_speculative_tokens = 1;
  mtp.acceptance_rates = {0.8};
  const ModelSpec head = drafter_model_spec(target, mtp);
  CHECK(head.num_layers == 1);  // num_nextn_predict_layers
  // DeepSeek-V3's first three layers are dense, but its MTP layer is a full MoE decoder layer.
  CHECK(head.is_moe_layer(0));
  CHECK(head.num_moe_layers() == 1);
  mtp.draft_layers = 2;
  mtp.draft_layers_given = true;
  CHECK(drafter_model_spec(target, mtp).num_layers == 2);
}
