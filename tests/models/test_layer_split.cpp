// The layer split over GPUs of different sizes (layer_split.hpp): the DualGPUOptimizer seed's
// "GPU split", computed. Every expected number is worked out by hand in the comments.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "models/layer_split.hpp"
#include "models/model_library.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

// Relative closeness for byte counts that are sums of exact integers times exact factors.
bool near(double actual, double expected, double relative = 1e-12) {
  return std::fabs(actual - expected) <= relative * std::fabs(expected);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Layer split over GPUs of different sizes
// ---------------------------------------------------------------------------------------------

TEST_CASE("layer_split: Llama-2-13B AWQ over 24 + 12 GiB puts 27 and 13 layers on the GPUs") {
  // Documented rule (layer_split.cpp): usable_i = utilization x memory_i - overhead - activation
  // peak (and, on the last GPU, the sampler's logits), with the one-GPU default overhead 0.5 GiB;
  // the embedding comes off the first GPU's share and the final norm + LM head off the last;
  // each GPU gets 1 layer plus floor(38 x its share), leftovers by largest fractional part.
  //   Llama-2-13B: vocab 32000, hidden 5120, ffn 13824, 40 layers, fp16; AWQ keeps tables 16-bit.
  //   activation peak (8192 tokens): FFN 8192 x (2 x 5120 + 3 x 13824) x 2 = 847,249,408
  //                                  (attention 8192 x (3 x 5120 + 15360) x 2 = 503,316,480 is less)
  //   sampler (GPU 1)  28 B x 256 x 32000 + 8192 x 5120 x 2 = 313,262,080, less than the FFN,
  //                    so both GPUs' peak is the FFN's
  //   embedding         32000 x 5120 x 2                              =    327,680,000
  //   final norm + head 5120 x 2 + 327,680,000                        =    327,690,240
  //   GPU 0 usable  0.9 x 24 GiB - 0.1 GiB - 847,249,408              = 22,238,199,808
  //      for layers    - 327,680,000                                  = 21,910,519,808
  //   GPU 1 usable  0.9 x 12 GiB - 0.1 GiB - 847,249,408              = 10,641,788,108.8
  //      for layers    - 327,690,240                                  = 10,314,097,868.8
  //   shares of 38     38 x 0.679929 = 25.8373,  38 x 0.320071 = 12.1627
  //   layers           1 + 25 = 26 and 1 + 12 = 13 (39); the 40th goes to GPU 0 (.84 > .16)
  // Weights: one layer = AWQ linear (4 x 5120^2 + 3 x 5120 x 13824) x 0.5 = 317,194,240 x 0.5
  //   = 158,597,120 bytes + 2 norms x 5120 x 2 = 20,480 bytes -> 158,617,600 bytes.
  //   GPU 0: 27 x 158,617,600 + 327,680,000 = 4,610,355,200
  //   GPU 1: 13 x 158,617,600 + 327,690,240 = 2,389,719,040
  // KV: 2 x 40 heads x 128 x 2 bytes = 20,480 bytes per layer per token; blocks of 16 tokens.
  //   GPU 0: (22,238,199,808 - 4,610,355,200) / (27 x 20,480 x 16) = 1992.44 -> 1992 blocks
  //          = 31,872 tokens
  //   GPU 1: (10,641,788,108.8 - 2,389,719,040) / (13 x 20,480 x 16) = 1937.19 -> 1937 blocks
  //          = 30,992 tokens; the split holds the smaller, 30,992 >= 4096: fits.
  const ModelSpec& m = library().find("llama2:13b");
  MemoryPlanRequest r;
  r.quantization = "awq";
  const LayerSplit split = split_layers(m, {24.0 * kGiB, 12.0 * kGiB}, r);
  REQUIRE(split.gpus.size() == 2);
  CHECK(split.gpus[0].layers == 27);
  CHECK(split.gpus[1].layers == 13);
  CHECK(split.gpus[0].first_layer == 0);
  CHECK(split.gpus[1].first_layer == 27);
  CHECK(split.gpus[0].free_bytes == Approx(22'238'199'808.0).epsilon(1e-12));
  CHECK(split.gpus[1].free_bytes == Approx(10'641'788'108.8).epsilon(1e-12));
  CHECK(near(split.gpus[0].weight_bytes, 4'610'355'200.0));
  CHECK(near(split.gpus[1].weight_bytes, 2'389'719'040.0));
  CHECK(split.gpus[0].kv_capacity_tokens == 31'872);
  CHECK(split.gpus[1].kv_capacity_tokens == 30'992);
  CHECK(split.kv_capacity_tokens == 30'992);
  CHECK(split.fits);
  // Each GPU's layer count is within one of its exact proportional share (1 + 25.84, 1 + 12.16).
  CHECK(std::abs(static_cast<double>(split.gpus[0].layers) - 26.8373) < 1.0);
  CHECK(std::abs(static_cast<double>(split.gpus[1].layers) - 13.1627) < 1.0);
}

TEST_CASE("layer_split: the launch flags realise the 27 + 13 split in vLLM, llama.cpp and HF") {
  const ModelSpec& m = library().find("llama2:13b");
  MemoryPlanRequest r;
  r.quantization = "awq";
  const LayerSplit split = split_layers(m, {24.0 * kGiB, 12.0 * kGiB}, r);

  // vLLM: pipeline parallel over the two GPUs with an explicit partition.
  CHECK_THAT(split.vllm_flags, Contains("VLLM_PP_LAYER_PARTITION=\"27,13\""));
  CHECK_THAT(split.vllm_flags, Contains("--pipeline-parallel-size 2"));
  // AWQ weights come from an AWQ checkpoint of the model (vLLM reads the method from its config;
  // `--quantization awq` on the 16-bit repo would not start): the line names one, the note says so.
  CHECK_THAT(split.vllm_flags, Contains("vllm serve ./Llama-2-13b-hf-AWQ "));
  CHECK(split.vllm_flags.find("--quantization") == std::string::npos);
  CHECK_THAT(split.vllm_note, Contains("is a checkpoint of meta-llama/Llama-2-13b-hf quantized with AWQ"));

  // llama.cpp: --tensor-split proportions are the layer counts.
  CHECK_THAT(split.llama_cpp_flags, Contains("--tensor-split 27,13"));

  // HF device map: layers 0..26 on GPU 0, 27..39 on GPU 1, each named exactly once.
  const std::string& map = split.hf_device_map;
  auto occurrences = [&](const std::string& needle) {
    std::size_t count = 0;
    for (auto at = map.find(needle); at != std::string::npos; at = map.find(needle, at + 1)) ++count;
    return count;
  };
  for (int layer = 0; layer < 40; ++layer) {
    INFO("layer " << layer);
    const std::string key = "\"model.layers." + std::to_string(layer) + "\": ";
    CHECK(occurrences(key) == 1);
    CHECK(occurrences(key + (layer < 27 ? "0" : "1")) == 1);
  }
  CHECK(occurrences("\"model.layers.") == 40);
  CHECK(occurrences("\"model.layers.40\"") == 0);
  CHECK(occurrences("\"model.embed_tokens\": 0") == 1);
  CHECK(occurrences("\"model.norm\": 1") == 1);
  CHECK(occurrences("\"lm_head\": 1") == 1);  // untied head lives with the last layers
  CHECK_THAT(map, StartsWith("{"));
}

TEST_CASE("layer_split: equal GPUs split an even model evenly, and bad GPU lists are rejected") {
  // Two equal GPUs: the free shares differ only by the final norm (5120 x 2 bytes) the last
  // GPU holds besides its LM head, so GPU 0's exact share is just above 19 (1 + 19 = 20) and
  // GPU 1's just below (1 + 18 = 19, fraction .99999); the leftover layer goes to the larger
  // fraction, GPU 1: 20 + 20.
  const ModelSpec& m = library().find("llama2:13b");
  MemoryPlanRequest r;
  const LayerSplit even = split_layers(m, {24.0 * kGiB, 24.0 * kGiB}, r);
  CHECK(even.gpus[0].layers == 20);
  CHECK(even.gpus[1].layers == 20);

  CHECK_THROWS_AS(split_layers(m, {24.0 * kGiB}, r), InputError);
  CHECK_THROWS_AS(split_layers(m, {24.0 * kGiB, 0.0}, r), InputError);
  CHECK_THROWS_AS(split_layers(m, std::vector<double>(41, 24.0 * kGiB), r), InputError);
}
