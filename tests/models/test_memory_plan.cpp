// The memory planner (memory_plan.hpp), the pipeline split (parallel_config.hpp) and the
// quantization byte factors (quantization.hpp); the uneven-GPU split is in test_layer_split.cpp. Every
// expected number is worked out by hand in the comments from the model architecture and the
// formulas documented in memory_plan.hpp / memory_plan.cpp / layer_split.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "models/memory_plan.hpp"
#include "models/model_library.hpp"
#include "models/parallel_config.hpp"
#include "models/quantization.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

const ModelSpec& llama3_70b() { return library().find("Llama3-70B"); }
const ModelSpec& llama2_7b() { return library().find("Llama2-7B"); }

constexpr double kGiB80 = 80.0 * 1024 * 1024 * 1024;  // 85,899,345,920 bytes

MemoryPlanRequest request(int64_t tp, int64_t pp = 1, double gpu_bytes = kGiB80) {
  MemoryPlanRequest r;
  r.parallel.tensor_parallel = tp;
  r.parallel.pipeline_parallel = pp;
  r.gpu_memory_bytes = gpu_bytes;
  return r;
}

template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

// Relative closeness for byte counts that are sums of exact integers times exact factors.
bool near(double actual, double expected, double relative = 1e-12) {
  return std::fabs(actual - expected) <= relative * std::fabs(expected);
}

// vLLM's start-up arithmetic re-done from the plan's own fields: each stage's KV budget is what
// is left of utilization x memory, its block count the floor of that over one block's bytes,
// and the plan takes the smallest count.
void check_plan_arithmetic(const MemoryPlan& plan, const MemoryPlanRequest& r) {
  CHECK(plan.budget_bytes == Approx(r.gpu_memory_utilization * r.gpu_memory_bytes));
  REQUIRE(static_cast<int64_t>(plan.stages.size()) == r.parallel.pipeline_parallel);
  int64_t fewest = INT64_MAX;
  for (const StageMemory& s : plan.stages) {
    CHECK(near(s.kv_cache_bytes,
               plan.budget_bytes - s.weight_bytes - s.rope_cache_bytes - s.activation_peak_bytes -
                   plan.runtime_overhead_bytes - plan.cudagraph_memory_bytes,
               1e-9));
    // A block holds one page per layer slot of a group: all the stage's layers without sliding
    // windows, the group size (models/kv_cache_groups.hpp) with them.
    const double per_layer_token = s.kv_bytes_per_token / static_cast<double>(s.layers);
    const double block_bytes =
        static_cast<double>(r.block_size * s.kv_layout.group_size_layers) * per_layer_token;
    CHECK(s.block_bytes == Approx(block_bytes));
    if (!s.kv_layout.hybrid()) CHECK(s.kv_layout.group_size_layers == s.layers);
    const int64_t blocks = s.kv_cache_bytes > 0
                               ? static_cast<int64_t>(std::floor(s.kv_cache_bytes / s.block_bytes))
                               : 0;
    CHECK(s.num_gpu_blocks == blocks);
    fewest = std::min(fewest, blocks);
  }
  CHECK(plan.num_gpu_blocks == fewest);
  CHECK(plan.limiting().num_gpu_blocks == fewest);
  const KvCacheLayout& layout = plan.limiting().kv_layout;
  CHECK(plan.kv_capacity_tokens == plan.num_gpu_blocks / layout.num_groups() * r.block_size);
  const int64_t blocks_per_seq = layout.hybrid() ? layout.blocks_held(plan.max_model_len - 1, plan.max_model_len)
                                                 : (plan.max_model_len + r.block_size - 1) / r.block_size;
  CHECK(plan.max_concurrent_seqs == plan.num_gpu_blocks / blocks_per_seq);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// KV bytes per token
// ---------------------------------------------------------------------------------------------

TEST_CASE("memory_plan: Llama-3-70B in bf16 needs 327,680 KV bytes per token") {
  // K and V (2) x 80 layers x 8 KV heads x 128 head_dim x 2 bytes (bf16) = 327,680.
  const MemoryPlan plan = plan_memory(llama3_70b(), request(1));
  CHECK(plan.kv_bytes_per_token_model == 327'680.0);
  REQUIRE(plan.stages.size() == 1);
  CHECK(plan.stages[0].layers == 80);
  CHECK(plan.stages[0].kv_bytes_per_token == 327'680.0);  // one GPU holds all of it
}

TEST_CASE("memory_plan: at TP 4 each GPU holds 2 KV heads, 81,920 KV bytes per token") {
  // 8 KV heads / 4 GPUs = 2 per GPU: 2 x 80 x 2 x 128 x 2 = 81,920 = 327,680 / 4.
  const ParallelConfig tp4{4, 1};
  CHECK(kv_heads_per_gpu(llama3_70b(), tp4) == 2);
  CHECK(query_heads_per_gpu(llama3_70b(), tp4) == 16);  // 64 / 4
  const MemoryPlan plan = plan_memory(llama3_70b(), request(4));
  CHECK(plan.kv_bytes_per_token_model == 327'680.0);  // the whole replica is unchanged
  CHECK(plan.stages[0].kv_bytes_per_token == 81'920.0);
}

TEST_CASE("memory_plan: at TP 16 the 8 KV heads are replicated, 40,960 KV bytes per token per GPU") {
  // 16 GPUs > 8 KV heads: vLLM gives every GPU one (replicated) KV head, so the per-GPU share
  // stops halving: 2 x 80 x 1 x 128 x 2 = 40,960 (not 327,680 / 16 = 20,480). Across the 16
  // GPUs that is 655,360 bytes per token, twice the model's 327,680.
  const ParallelConfig tp16{16, 1};
  CHECK(kv_heads_per_gpu(llama3_70b(), tp16) == 1);
  CHECK(query_heads_per_gpu(llama3_70b(), tp16) == 4);
  const MemoryPlan plan = plan_memory(llama3_70b(), request(16));
  CHECK(plan.stages[0].kv_bytes_per_token == 40'960.0);
  CHECK(16 * plan.stages[0].kv_bytes_per_token == 2 * plan.kv_bytes_per_token_model);
  // TP 8 is the last degree that still splits: one KV head each, the same 40,960.
  CHECK(plan_memory(llama3_70b(), request(8)).stages[0].kv_bytes_per_token == 40'960.0);
}

TEST_CASE("memory_plan: an fp8 KV cache halves the KV bytes per token") {
  // 1 byte per element instead of 2: 2 x 80 x 8 x 128 x 1 = 163,840; at TP 4: 40,960.
  for (const std::string dtype : {"fp8", "fp8_e4m3", "fp8_e5m2"}) {
    INFO(dtype);
    MemoryPlanRequest r = request(4);
    r.kv_cache_dtype = dtype;
    const MemoryPlan plan = plan_memory(llama3_70b(), r);
    CHECK(plan.kv_bytes_per_token_model == 163'840.0);
    CHECK(plan.stages[0].kv_bytes_per_token == 40'960.0);
  }
  // Explicit 16-bit types equal "auto" for a bf16 model.
  MemoryPlanRequest r = request(4);
  r.kv_cache_dtype = "float16";
  CHECK(plan_memory(llama3_70b(), r).kv_bytes_per_token_model == 327'680.0);
}

TEST_CASE("memory_plan: halving the KV bytes doubles the KV blocks for the same budget") {
  MemoryPlanRequest r = request(4);
  const MemoryPlan bf16 = plan_memory(llama3_70b(), r);
  r.kv_cache_dtype = "fp8";
  const MemoryPlan fp8 = plan_memory(llama3_70b(), r);
  // Same weights and activations, so the same KV budget; blocks are half as large.
  CHECK(fp8.stages[0].kv_cache_bytes == bf16.stages[0].kv_cache_bytes);
  CHECK((fp8.num_gpu_blocks == 2 * bf16.num_gpu_blocks || fp8.num_gpu_blocks == 2 * bf16.num_gpu_blocks + 1));
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

TEST_CASE("memory_plan: Llama-3-70B weights per GPU at TP 4 are a quarter of the model plus replicated norms") {
  // Model: 70,553,706,496 parameters x 2 bytes (bf16) = 141,107,412,992 bytes.
  // TP shards every projection and (vLLM's VocabParallelEmbedding / ParallelLMHead) the
  // 128,256-row vocabulary (128256 / 4 = 32,064 exactly), but every GPU keeps a full copy of
  // the RMSNorm weights: 2 per layer x 80 + 1 final = 161 norms x 8192 = 1,318,912 parameters.
  //   per GPU = ((70,553,706,496 - 1,318,912) / 4 + 1,318,912) x 2
  //           = (17,638,096,896 + 1,318,912) x 2 = 35,278,831,616 bytes
  // which is model / 4 (35,276,853,248) plus 3/4 of the norm bytes (1,978,368): 0.0056% more.
  const MemoryPlan plan = plan_memory(llama3_70b(), request(4));
  CHECK(plan.weight_bytes_model == 141'107'412'992.0);
  const double per_gpu = plan.stages[0].weight_bytes;
  CHECK(per_gpu == 35'278'831'616.0);
  const double quarter = plan.weight_bytes_model / 4;  // 35,276,853,248
  CHECK(per_gpu != quarter);
  CHECK(std::fabs(per_gpu - quarter) <= 0.001 * quarter);
  CHECK(per_gpu - quarter == 1'978'368.0);
  // The same quantity through the public helper.
  CHECK(stage_weight_bytes(llama3_70b(), ParallelConfig{4, 1}, find_quantization("none"), 0, 80) ==
        35'278'831'616.0);
}

TEST_CASE("memory_plan: unquantized model weights equal the parameter count times the dtype bytes") {
  // weight_bytes_model is planned layer by layer, count_parameters() tensor by tensor; for every
  // library model they must describe the same tensors (norms, biases, routers, qk-norms included).
  // A checkpoint shipped in FP8 / MXFP4 (DeepSeek-V3, gpt-oss) is planned here as if it held
  // its dtype, so that the same tensor-by-tensor comparison covers MLA and gpt-oss's biases.
  for (ModelSpec m : library().models()) {
    INFO(m.id);
    m.shipped_weights = ShippedWeights{};
    const double bytes_per_param = m.dtype == "float32" ? 4.0 : 2.0;
    const MemoryPlan plan = plan_memory(m, request(1));
    CHECK(plan.weight_bytes_model ==
          Approx(static_cast<double>(count_parameters(m).total()) * bytes_per_param).epsilon(1e-12));
  }
}

TEST_CASE("memory_plan: pipeline stages together hold the model once, plus a tied head's copy") {
  // Untied Llama-3-70B over 3 stages at TP 1: embedding on stage 0, final norm + LM head on
  // stage 2; the three stages add up to exactly the whole model's 141,107,412,992 bytes.
  const MemoryPlan plan = plan_memory(llama3_70b(), request(1, 3));
  REQUIRE(plan.stages.size() == 3);
  double sum = 0;
  for (const auto& s : plan.stages) sum += s.weight_bytes;
  CHECK(sum == 141'107'412'992.0);

  // Tied Llama-3.2-1B over 2 stages: the last stage needs its own copy of the 128256 x 2048
  // table for the LM head: 262,668,288 parameters x 2 bytes = 525,336,576 extra bytes.
  const ModelSpec& tied = library().find("llama3.2:1b");
  const MemoryPlan tied_plan = plan_memory(tied, request(1, 2));
  REQUIRE(tied_plan.stages.size() == 2);
  CHECK(tied_plan.stages[0].weight_bytes + tied_plan.stages[1].weight_bytes ==
        tied_plan.weight_bytes_model + 525'336'576.0);
  CHECK(tied_plan.weight_bytes_model == 1'235'814'400.0 * 2);
}

// ---------------------------------------------------------------------------------------------
// Fit verdicts and KV blocks
// ---------------------------------------------------------------------------------------------

TEST_CASE("memory_plan: Llama-3-70B does not fit one 80 GiB GPU but fits four") {
  // TP 1: 141.1 GB of weights > 0.9 x 80 GiB = 77.3 GB of budget.
  const MemoryPlan one = plan_memory(llama3_70b(), request(1));
  CHECK_FALSE(one.fits);
  CHECK_THAT(one.verdict, Contains("does not fit"));
  CHECK(one.stages[0].kv_cache_bytes < 0);
  CHECK(one.num_gpu_blocks == 0);
  CHECK(one.kv_capacity_tokens == 0);
  CHECK(one.max_concurrent_seqs == 0);

  // TP 4: 35.3 GB of weights per GPU leaves room for KV.
  const MemoryPlan four = plan_memory(llama3_70b(), request(4));
  CHECK(four.fits);
  CHECK_THAT(four.verdict, StartsWith("fits"));
  CHECK(four.num_gpu_blocks > 0);
  CHECK(four.kv_capacity_tokens >= 8192);  // at least one full-length sequence
}

TEST_CASE("memory_plan: Llama-3-70B at TP 4 has 30,032 KV blocks, worked by hand") {
  // Budget           0.9 x 85,899,345,920                           = 77,309,411,328
  // Weights per GPU  (previous test)                                = 35,278,831,616
  // RoPE cache       8192 positions x 128 x 2 bytes                 =      2,097,152
  // Activation peak (memory_plan.cpp): tokens T = 8192 (max_num_batched_tokens), h = 8192,
  //   2 bytes, FFN width 28672 / 4 = 7168 per GPU, q+k+v width (8192 + 2 x 1024) / 4 = 2560:
  //   FFN live      T x (2h + 3 x 7168) x 2  = 8192 x 37,888 x 2     =    620,756,992
  //   attention     T x (3h + 2560) x 2      = 8192 x 27,136 x 2     =    444,596,224
  //   sampler       28 B x 256 seqs x 128256 vocab + hidden T x h x 2
  //                 = 919,339,008 + 134,217,728                      =  1,053,556,736
  //   peak          the larger: the sampler                          =  1,053,556,736
  // Overhead         TP > 1 default: 1.5 GiB                         =  1,610,612,736
  // KV budget        77,309,411,328 - 35,278,831,616 - 2,097,152 - 1,053,556,736 - 1,610,612,736
  //                                                                  = 39,364,313,088
  // One block        16 tokens x 81,920                              =      1,310,720
  // Blocks           floor(39,364,313,088 / 1,310,720) = floor(30,032.2)   = 30,032
  // Tokens           30,032 x 16 = 480,512; sequences of 8192 (512 blocks): 58
  const MemoryPlanRequest r = request(4);
  const MemoryPlan plan = plan_memory(llama3_70b(), r);
  CHECK(plan.runtime_overhead_bytes == 1.5 * kGiB);
  CHECK(plan.stages[0].rope_cache_bytes == 2'097'152.0);
  CHECK(plan.stages[0].forward_peak_bytes == 620'756'992.0);
  CHECK(plan.stages[0].sampler_peak_bytes == 1'053'556'736.0);
  CHECK(plan.stages[0].activation_peak_bytes == 1'053'556'736.0);
  CHECK(plan.stages[0].kv_cache_bytes == Approx(39'364'313'088.0).epsilon(1e-12));
  CHECK(plan.num_gpu_blocks == 30'032);
  CHECK(plan.kv_capacity_tokens == 480'512);
  CHECK(plan.max_model_len == 8192);
  CHECK(plan.max_concurrent_seqs == 58);
  check_plan_arithmetic(plan, r);
}

TEST_CASE("memory_plan: Llama-2-7B on one 80 GiB GPU has 7,464 KV blocks, worked by hand") {
  // Runtime overhead set explicitly to 512 MiB = 536,870,912 bytes.
  // Budget           0.9 x 85,899,345,920                           = 77,309,411,328
  // Weights          6,738,415,616 parameters x 2 bytes (fp16; norms are in the count) =
  //                                                                    13,476,831,232
  // Activation peak, from the formula in memory_plan.cpp with T = 8192 tokens, h = 4096,
  //   w = 11008, q+k+v width 3 x 4096 = 12288 (MHA), 2 bytes, TP 1:
  //   FFN live      T x (2h + 3w) x 2   = 8192 x (8192 + 33,024) x 2 =    675,282,944
  //   attention     T x (3h + 12288) x 2 = 8192 x 24,576 x 2         =    402,653,184
  //   forward: max of the two                                        =    675,282,944
  //   sampler       28 B x 256 x 32000 + 8192 x 4096 x 2             =    296,484,864
  //   peak: the larger                                               =    675,282,944
  // RoPE cache       4096 positions x 128 x 2 bytes                  =      1,048,576
  // KV budget        77,309,411,328 - 13,476,831,232 - 1,048,576 - 675,282,944 - 536,870,912
  //                                                                  = 62,619,377,664
  // KV per token     2 x 32 layers x 32 heads x 128 x 2 bytes        =        524,288
  // One block        16 x 524,288                                    =      8,388,608
  // Blocks           floor(62,619,377,664 / 8,388,608) = floor(7464.8) =         7,464
  // max_model_len 4096 -> ceil(4096 / 16) = 256 blocks per sequence -> 7464 / 256 = 29
  MemoryPlanRequest r = request(1);
  r.runtime_overhead_bytes = 536'870'912;
  const MemoryPlan plan = plan_memory(llama2_7b(), r);
  const StageMemory& s = plan.stages.at(0);
  CHECK(plan.runtime_overhead_bytes == 536'870'912.0);
  CHECK(s.weight_bytes == 13'476'831'232.0);
  CHECK(s.activation_peak_bytes == 675'282'944.0);
  CHECK(s.sampler_peak_bytes == 296'484'864.0);
  CHECK(s.rope_cache_bytes == 1'048'576.0);
  CHECK(s.kv_bytes_per_token == 524'288.0);
  CHECK(s.kv_cache_bytes == Approx(62'619'377'664.0).epsilon(1e-12));
  CHECK(plan.num_gpu_blocks == 7'464);
  CHECK(plan.kv_capacity_tokens == 7'464 * 16);
  CHECK(plan.max_model_len == 4096);
  CHECK(plan.max_concurrent_seqs == 29);
  CHECK(plan.fits);
  // 1000-token sequences take ceil(1000 / 16) = 63 blocks: 7464 / 63 = 118.
  CHECK(plan.concurrent_sequences_at(1000) == 118);
  CHECK(plan.concurrent_sequences_at(16) == 7'464);
  CHECK(plan.concurrent_sequences_at(0) == 0);
  check_plan_arithmetic(plan, r);
}

TEST_CASE("memory_plan: the vLLM 0.19.0 RTX 4090 run, worked by hand (vLLM resolved 2,588 blocks)") {
  // hardware/profiles/measured/serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/meta.json:
  // 25,250,627,584 bytes, utilization 0.9, Llama-3.1-8B bf16, 2048 batched tokens, 256 seqs,
  // max_model_len 32768; vLLM 0.19 does not subtract CUDA-graph memory.
  // Budget           0.9 x 25,250,627,584                           = 22,725,564,825.6
  // Weights          8,030,261,248 parameters x 2 B                 = 16,060,522,496
  // RoPE cache       131,072 positions x 128 x 2 B                  =     33,554,432
  // Forward          2048 x (2 x 4096 + 3 x 14336) x 2              =    209,715,200
  // Sampler          28 B x 256 x 128,256 + 2048 x 4096 x 2         =    936,116,224
  // Non-torch        0.1 GiB                                        =    107,374,182.4
  // KV               22,725,564,825.6 - 16,060,522,496 - 33,554,432 - 936,116,224
  //                  - 107,374,182.4                                =  5,587,997,491.2
  // Blocks           floor(5,587,997,491.2 / (16 x 131,072)) = floor(2664.56) = 2,664,
  // 76 blocks (2.9%, 159 MB) more than the 2,588 vLLM resolved.
  MemoryPlanRequest r = request(1, 1, 25'250'627'584.0);
  r.max_model_len = 32768;
  r.max_num_batched_tokens = 2048;
  r.max_num_seqs = 256;
  const MemoryPlan plan = plan_memory(library().find("Llama-3.1-8B"), r);
  const StageMemory& s = plan.stages.at(0);
  CHECK(s.weight_bytes == 16'060'522'496.0);
  CHECK(s.rope_cache_bytes == 33'554'432.0);
  CHECK(s.forward_peak_bytes == 209'715'200.0);
  CHECK(s.sampler_peak_bytes == 936'116'224.0);
  CHECK(plan.cudagraph_memory_bytes == 0);
  CHECK(s.kv_cache_bytes == Approx(5'587'997'491.2).epsilon(1e-12));
  CHECK(plan.num_gpu_blocks == 2'664);
  check_plan_arithmetic(plan, r);
}

TEST_CASE("memory_plan: a shorter max_model_len allows more concurrent sequences") {
  // Same KV blocks as above (7,464); max_model_len 2048 needs 128 blocks: 7464 / 128 = 58.
  MemoryPlanRequest r = request(1);
  r.runtime_overhead_bytes = 536'870'912;
  r.max_model_len = 2048;
  const MemoryPlan plan = plan_memory(llama2_7b(), r);
  CHECK(plan.num_gpu_blocks == 7'464);
  CHECK(plan.max_concurrent_seqs == 58);
}

TEST_CASE("memory_plan: a KV cache too small for one max-length sequence does not fit") {
  // Llama-2-7B on a 16 GiB GPU: 0.9 x 16 GiB = 15,461,882,265.6 budget; minus 13,476,831,232
  // weights, 1,048,576 RoPE cache, 675,282,944 activations and the 0.1 GiB default non-torch
  // increase (107,374,182.4) leaves 1,201,345,331.2 bytes:
  // floor(1,201,345,331.2 / 8,388,608) = 143 blocks = 2,288 tokens < 4,096.
  const MemoryPlanRequest r = request(1, 1, 16.0 * kGiB);
  const MemoryPlan plan = plan_memory(llama2_7b(), r);
  CHECK(plan.runtime_overhead_bytes == 0.1 * kGiB);
  CHECK(plan.num_gpu_blocks == 143);
  CHECK(plan.kv_capacity_tokens == 2'288);
  CHECK_FALSE(plan.fits);
  CHECK_THAT(plan.verdict, Contains("does not fit at max_model_len 4096"));
  CHECK_THAT(plan.verdict, Contains("2288"));
  check_plan_arithmetic(plan, r);
}

TEST_CASE("memory_plan: block counts follow from the plan's own fields for many configurations") {
  struct Case {
    const char* model;
    int64_t tp;
    int64_t pp;
    const char* quantization;
    const char* kv;
  };
  const std::vector<Case> cases = {
      {"Llama3-70B", 4, 1, "none", "auto"},  {"Llama3-70B", 2, 2, "none", "auto"},
      {"Llama3-70B", 1, 3, "awq", "fp8"},    {"Llama3-70B", 8, 1, "fp8", "auto"},
      {"Mixtral-8x7B", 2, 1, "none", "auto"}, {"Llama2-7B", 1, 1, "gguf_q4_k_m", "auto"},
      {"Qwen3-30B-A3B", 4, 1, "none", "auto"}, {"Gemma2-9B", 1, 2, "none", "fp8"},
      {"OPT-1.3B", 2, 1, "none", "auto"},
  };
  for (const Case& c : cases) {
    INFO(c.model << " TP " << c.tp << " PP " << c.pp << " " << c.quantization << " KV " << c.kv);
    MemoryPlanRequest r = request(c.tp, c.pp);
    r.quantization = c.quantization;
    r.kv_cache_dtype = c.kv;
    const MemoryPlan plan = plan_memory(library().find(c.model), r);
    check_plan_arithmetic(plan, r);
  }
}

TEST_CASE("memory_plan: with pipeline stages the stage with the fewest blocks limits the cache") {
  // Llama-3-70B, TP 2 x PP 2: 40 layers per stage (80 / 2, no remainder). Stage 0 holds the
  // embedding, stage 1 the final norm, LM head and the sampler's logits, so stage 1 is the
  // tighter one.
  const MemoryPlan plan = plan_memory(llama3_70b(), request(2, 2));
  REQUIRE(plan.stages.size() == 2);
  CHECK(plan.stages[0].layers == 40);
  CHECK(plan.stages[1].layers == 40);
  // Per GPU: 4 KV heads (8 / 2) x 40 layers: 2 x 40 x 4 x 128 x 2 = 81,920 bytes per token.
  CHECK(plan.stages[0].kv_bytes_per_token == 81'920.0);
  CHECK(plan.stages[1].activation_peak_bytes > plan.stages[0].activation_peak_bytes);
  CHECK(plan.limiting_stage == 1);
  CHECK(plan.num_gpu_blocks == plan.stages[1].num_gpu_blocks);
  CHECK(plan.num_gpu_blocks <= plan.stages[0].num_gpu_blocks);
}

TEST_CASE("memory_plan: the default non-torch increase is 0.1 GiB on one GPU and 1.5 GiB with TP") {
  CHECK(default_runtime_overhead_bytes(ParallelConfig{1, 1}) == 0.1 * kGiB);
  CHECK(default_runtime_overhead_bytes(ParallelConfig{1, 4}) == 0.1 * kGiB);
  CHECK(default_runtime_overhead_bytes(ParallelConfig{2, 1}) == 1.5 * kGiB);
  CHECK(plan_memory(llama2_7b(), request(1)).runtime_overhead_bytes == 0.1 * kGiB);
}

// ---------------------------------------------------------------------------------------------
// Quantization
// ---------------------------------------------------------------------------------------------

TEST_CASE("quantization: the byte factors are the seed's FP16 fractions x 2 bytes, GGUF's llama.cpp's bits / 8") {
  // Seed QuantizationType: INT8 0.5, INT4 0.25, GPTQ 0.25, AWQ 0.25 - fractions of 2-byte FP16
  // weights. GGUF: llama.cpp's tools/quantize/README.md, bits/weight of Llama-3.1-8B:
  // Q4_K_M 4.8944, Q5_K_M 5.7036, Q8_0 8.5008; legacy Q4_0 is 18 bytes per 32-weight block.
  CHECK(find_quantization("int8").weight_bytes_per_param == Approx(1.0));
  CHECK(find_quantization("int4").weight_bytes_per_param == Approx(0.5));
  CHECK(find_quantization("gptq").weight_bytes_per_param == Approx(0.5));
  CHECK(find_quantization("awq").weight_bytes_per_param == Approx(0.5));
  CHECK(find_quantization("gguf_q4_k_m").weight_bytes_per_param == Approx(0.6118));
  CHECK(find_quantization("gguf_q5_k_m").weight_bytes_per_param == Approx(0.71295));
  CHECK(find_quantization("gguf_q8_0").weight_bytes_per_param == Approx(1.0626));
  CHECK(find_quantization("gguf_q4_0").weight_bytes_per_param == Approx(0.5625));
  CHECK(find_quantization("fp8").weight_bytes_per_param == Approx(1.0));
  // GGUF files also store the token table and output head quantized; AWQ/GPTQ keep them 16-bit.
  CHECK(find_quantization("gguf_q4_k_m").quantizes_embeddings);
  CHECK_FALSE(find_quantization("awq").quantizes_embeddings);
  // Names are case-insensitive and accept llama.cpp's spelling without the gguf_ prefix.
  CHECK(find_quantization("AWQ").name == "awq");
  CHECK(find_quantization("Q4_K_M").name == "gguf_q4_k_m");
  CHECK(find_quantization("q8_0").name == "gguf_q8_0");
}

TEST_CASE("quantization: Llama-2-7B weights under each scheme, split into linear and other tensors by hand") {
  // Llama-2-7B (fp16) parameters by kind:
  //   linear (quantizable): 32 layers x (attention 67,108,864 + MLP 135,266,304)
  //                        = 32 x 202,375,168                       = 6,476,005,376
  //   token table + LM head: 2 x 32000 x 4096                        =   262,144,000
  //   norms: 32 x 2 x 4096 + 4096                                   =       266,240
  //   sum                                                           = 6,738,415,616 (the total)
  // none        6,738,415,616 x 2                                  = 13,476,831,232
  // awq/gptq/int4  linear x 0.5 + (262,144,000 + 266,240) x 2
  //             = 3,238,002,688 + 524,820,480                      =  3,762,823,168
  // fp8/int8    linear x 1 + 524,820,480                           =  7,000,825,856
  // gguf_q4_k_m (linear + tables) x 4.8944 / 8 + norms x 2
  //             = 6,738,149,376 x 0.6118 + 532,480                 =  4,122,932,268.2368
  // gguf_q8_0   6,738,149,376 x 8.5008 / 8 + 532,480               =  7,160,490,006.9376
  const int64_t linear = 32LL * (67'108'864 + 135'266'304);
  CHECK(linear == 6'476'005'376);
  CHECK(linear + 262'144'000 + 266'240 == count_parameters(llama2_7b()).total());

  struct Expect {
    const char* scheme;
    double bytes;
  };
  const std::vector<Expect> expected = {
      {"none", 13'476'831'232.0},       {"awq", 3'762'823'168.0},
      {"gptq", 3'762'823'168.0},        {"int4", 3'762'823'168.0},
      {"fp8", 7'000'825'856.0},         {"int8", 7'000'825'856.0},
      {"gguf_q4_k_m", 4'122'932'268.2368}, {"gguf_q8_0", 7'160'490'006.9376},
  };
  for (const Expect& e : expected) {
    INFO(e.scheme);
    MemoryPlanRequest r = request(1);
    r.quantization = e.scheme;
    const MemoryPlan plan = plan_memory(llama2_7b(), r);
    CHECK(near(plan.weight_bytes_model, e.bytes));
    CHECK(near(plan.stages[0].weight_bytes, e.bytes));  // one GPU holds it all
  }
}

TEST_CASE("quantization: smaller weights leave more KV blocks") {
  MemoryPlanRequest r = request(1);
  r.runtime_overhead_bytes = 536'870'912;
  const MemoryPlan fp16 = plan_memory(llama2_7b(), r);
  r.quantization = "awq";
  const MemoryPlan awq = plan_memory(llama2_7b(), r);
  // The KV budget grows by exactly the weight bytes saved: 13,476,831,232 - 3,762,823,168 =
  // 9,714,008,064 (activations are unchanged: AWQ computes in fp16).
  CHECK(awq.stages[0].kv_cache_bytes - fp16.stages[0].kv_cache_bytes == Approx(9'714'008'064.0));
  CHECK(awq.num_gpu_blocks > fp16.num_gpu_blocks);
}

// ---------------------------------------------------------------------------------------------
// Pipeline stages
// ---------------------------------------------------------------------------------------------

TEST_CASE("pipeline_stage_layers: 80 layers over 3 stages are 27, 27, 26 as vLLM's get_pp_indices gives") {
  // vllm/distributed/utils.py get_pp_indices: partitions = [80 // 3] * 3 = [26, 26, 26];
  // remaining = 80 % 3 = 2; `for i in range(2, remaining + 2): partitions[-i] += 1` adds one
  // to partitions[-2] and partitions[-3], i.e. stages 1 and 0: [27, 27, 26]. The last stage,
  // which also runs the final norm, LM head and sampler, never gets an extra layer.
  // (The task brief stated {26, 27, 27}; that is not what the vLLM code produces.)
  CHECK(pipeline_stage_layers(80, 3) == std::vector<int64_t>{27, 27, 26});
  CHECK(pipeline_stage_first_layer(80, 3) == std::vector<int64_t>{0, 27, 54});
}

TEST_CASE("pipeline_stage_layers: uneven splits match vLLM's remainder rule") {
  // [5, 5, 5, 5] + remainder 2 to partitions[-2], [-3]          -> [5, 6, 6, 5]
  CHECK(pipeline_stage_layers(22, 4) == std::vector<int64_t>{5, 6, 6, 5});
  // [15] x 4 + remainder 1 to partitions[-2]                     -> [15, 15, 16, 15]
  CHECK(pipeline_stage_layers(61, 4) == std::vector<int64_t>{15, 15, 16, 15});
  // [30, 30] + remainder 1 to partitions[-2] (stage 0)           -> [31, 30]
  CHECK(pipeline_stage_layers(61, 2) == std::vector<int64_t>{31, 30});
  // [1, 1, 1] + remainder 2 to stages 1 and 0                    -> [2, 2, 1]
  CHECK(pipeline_stage_layers(5, 3) == std::vector<int64_t>{2, 2, 1});
  // Even splits and the trivial split.
  CHECK(pipeline_stage_layers(80, 4) == std::vector<int64_t>{20, 20, 20, 20});
  CHECK(pipeline_stage_layers(32, 1) == std::vector<int64_t>{32});
  CHECK(pipeline_stage_layers(3, 3) == std::vector<int64_t>{1, 1, 1});
  CHECK(pipeline_stage_first_layer(22, 4) == std::vector<int64_t>{0, 5, 11, 17});
}

TEST_CASE("memory_plan: PP 3 plans the 80 Llama-3-70B layers as 27, 27, 26") {
  const MemoryPlan plan = plan_memory(llama3_70b(), request(1, 3));
  REQUIRE(plan.stages.size() == 3);
  CHECK(plan.stages[0].layers == 27);
  CHECK(plan.stages[1].layers == 27);
  CHECK(plan.stages[2].layers == 26);
  // KV per token of a stage: 2 x layers x 8 heads x 128 x 2 bytes = 4,096 x layers.
  CHECK(plan.stages[0].kv_bytes_per_token == 27 * 4'096.0);
  CHECK(plan.stages[2].kv_bytes_per_token == 26 * 4'096.0);
}

// ---------------------------------------------------------------------------------------------
// Invalid requests
// ---------------------------------------------------------------------------------------------

TEST_CASE("memory_plan: TP 3 for 64 heads is rejected with the list of valid TP degrees") {
  // Valid TP divides the 64 query heads and either divides the 8 KV heads or is a multiple of
  // them: 1, 2, 4, 8 (divide 8) and 16, 32, 64 (multiples of 8). 3 divides neither.
  const std::string what = error_of([] { plan_memory(llama3_70b(), request(3)); });
  CHECK_THAT(what, Contains("TP 3"));
  CHECK_THAT(what, Contains("64 attention heads"));
  CHECK_THAT(what, Contains("valid TP: 1, 2, 4, 8, 16, 32, 64"));
  CHECK_THROWS_AS(plan_memory(llama3_70b(), request(128)), InputError);
  CHECK_THROWS_AS(plan_memory(llama3_70b(), request(0)), InputError);
  CHECK_THROWS_AS(check_parallel_config(llama3_70b(), ParallelConfig{6, 1}), InputError);
}

TEST_CASE("memory_plan: more pipeline stages than layers is rejected") {
  const std::string what = error_of([] { plan_memory(llama3_70b(), request(1, 81)); });
  CHECK_THAT(what, Contains("PP 81"));
  CHECK_THAT(what, Contains("80 layers"));
  CHECK_NOTHROW(plan_memory(llama3_70b(), request(1, 80)));
}

TEST_CASE("memory_plan: a GPU memory utilization of 0, 1.5 or -0.1 is rejected") {
  for (const double utilization : {0.0, 1.5, -0.1}) {
    INFO(utilization);
    MemoryPlanRequest r = request(4);
    r.gpu_memory_utilization = utilization;
    const std::string what = error_of([&] { plan_memory(llama3_70b(), r); });
    CHECK_THAT(what, Contains("gpu_memory_utilization"));
    CHECK_THAT(what, Contains("(0, 1]"));
  }
  MemoryPlanRequest r = request(4);
  r.gpu_memory_utilization = 1.0;
  CHECK_NOTHROW(plan_memory(llama3_70b(), r));
}

TEST_CASE("memory_plan: zero GPU memory, zero block size and a negative max_model_len are rejected") {
  CHECK_THROWS_AS(plan_memory(llama2_7b(), request(1, 1, 0.0)), InputError);
  MemoryPlanRequest r = request(1);
  r.block_size = 0;
  CHECK_THROWS_AS(plan_memory(llama2_7b(), r), InputError);
  r = request(1);
  r.max_model_len = -1;
  CHECK_THROWS_AS(plan_memory(llama2_7b(), r), InputError);
  r = request(1);
  r.max_num_seqs = 0;
  CHECK_THROWS_AS(plan_memory(llama2_7b(), r), InputError);
}

TEST_CASE("memory_plan: an unknown quantization is rejected with a suggestion") {
  MemoryPlanRequest r = request(1);
  r.quantization = "awk";
  const std::string what = error_of([&] { plan_memory(llama2_7b(), r); });
  CHECK_THAT(what, Contains("unknown quantization 'awk'"));
  CHECK_THAT(what, Contains("did you mean 'awq'"));
  CHECK_THAT(what, Contains("gguf_q4_k_m"));  // the valid list is shown
}

TEST_CASE("memory_plan: an unknown KV-cache dtype is rejected with a suggestion") {
  MemoryPlanRequest r = request(1);
  r.kv_cache_dtype = "fp9";
  const std::string what = error_of([&] { plan_memory(llama2_7b(), r); });
  CHECK_THAT(what, Contains("unknown KV-cache dtype 'fp9'"));
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'fp8'"));
}
