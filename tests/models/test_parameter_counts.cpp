// count_parameters(): every library model against its published total, and five architectures
// counted by hand, term by term, from their Hugging Face config.json values. The hand counts
// are written out in the comments; the numbers in the checks are those sums.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "models/model_library.hpp"
#include "models/model_spec.hpp"

using namespace llmpo;

namespace {

const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

}  // namespace

TEST_CASE("parameter counts: every library model is within 1% of its published parameter count") {
  const ModelLibrary& lib = library();
  REQUIRE(lib.models().size() == 42);
  for (const ModelSpec& m : lib.models()) {
    INFO(m.id << " (" << m.source_file << ")");
    REQUIRE(m.published_params > 0);  // every library file states its published count
    CHECK_FALSE(m.published_params_source.empty());
    const ParameterCounts counts = count_parameters(m);
    const double computed = static_cast<double>(counts.total());
    const double published = static_cast<double>(m.published_params);
    INFO("computed " << counts.total() << ", published " << m.published_params << ", off by "
                     << 100.0 * (computed - published) / published << "%");
    CHECK(std::fabs(computed - published) <= 0.01 * published);
    // The parts are non-negative and sum to the total.
    CHECK(counts.embedding > 0);
    CHECK(counts.attention > 0);
    CHECK(counts.norms > 0);
    CHECK(counts.embedding + counts.attention + counts.dense_mlp + counts.moe_experts +
              counts.moe_shared_and_router + counts.norms + counts.lm_head ==
          counts.total());
    // Dense models touch every parameter; MoE models touch fewer per token.
    if (m.moe.enabled())
      CHECK(counts.active_per_token < counts.total());
    else
      CHECK(counts.active_per_token == counts.total());
    // A tied LM head adds nothing.
    if (m.tie_word_embeddings) CHECK(counts.lm_head == 0);
  }
}

TEST_CASE("parameter counts: Llama-2-7B has exactly 6,738,415,616 parameters") {
  // meta-llama/Llama-2-7b-hf: vocab 32000, hidden 4096, 32 layers, 32 heads = 32 KV heads
  // (MHA, head_dim 128), SwiGLU FFN 11008, RMSNorm (weight only), untied LM head.
  //   embedding      32000 x 4096                     =   131,072,000
  //   per layer
  //     attention    q,k,v,o: 4 x 4096 x 4096         =    67,108,864
  //     MLP          gate,up,down: 3 x 4096 x 11008   =   135,266,304
  //     norms        2 x 4096                         =         8,192
  //     layer total                                   =   202,383,360
  //   32 layers      32 x 202,383,360                 = 6,476,267,520
  //   final norm     4096                             =         4,096
  //   LM head        32000 x 4096 (untied)            =   131,072,000
  //   total   131,072,000 + 6,476,267,520 + 4,096 + 131,072,000 = 6,738,415,616
  const ModelSpec& m = library().find("Llama2-7B");
  const ParameterCounts c = count_parameters(m);
  CHECK(c.embedding == 131'072'000);
  CHECK(c.attention == 32LL * 67'108'864);   // 2,147,483,648
  CHECK(c.dense_mlp == 32LL * 135'266'304);  // 4,328,521,728
  CHECK(c.moe_experts == 0);
  CHECK(c.moe_shared_and_router == 0);
  CHECK(c.norms == 32LL * 8'192 + 4'096);    // 266,240
  CHECK(c.lm_head == 131'072'000);
  CHECK(c.total() == 6'738'415'616);
  CHECK(c.active_per_token == 6'738'415'616);
  // The published safetensors total (6,738,417,664) also holds 32 rotary inv_freq buffers of
  // 64 values: 6,738,415,616 + 32 x 64 = 6,738,417,664.
  CHECK(m.published_params == 6'738'415'616 + 32 * 64);
}

TEST_CASE("parameter counts: Llama-3-8B (GQA, 8 KV heads) has exactly 8,030,261,248 parameters") {
  // meta-llama/Meta-Llama-3-8B: vocab 128256, hidden 4096, 32 layers, 32 query heads, 8 KV
  // heads of 128 (kv_dim 1024), SwiGLU FFN 14336, RMSNorm, untied.
  //   embedding      128256 x 4096                    =   525,336,576
  //   per layer
  //     q            4096 x 4096                      =    16,777,216
  //     k, v         2 x 4096 x 1024                  =     8,388,608
  //     o            4096 x 4096                      =    16,777,216
  //     attention                                     =    41,943,040
  //     MLP          3 x 4096 x 14336                 =   176,160,768
  //     norms        2 x 4096                         =         8,192
  //     layer total                                   =   218,112,000
  //   32 layers      32 x 218,112,000                 = 6,979,584,000
  //   final norm                                      =         4,096
  //   LM head        128256 x 4096                    =   525,336,576
  //   total  525,336,576 x 2 + 6,979,584,000 + 4,096  = 8,030,261,248
  const ModelSpec& m = library().find("Llama3-8B");
  const ParameterCounts c = count_parameters(m);
  CHECK(c.embedding == 525'336'576);
  CHECK(c.attention == 32LL * 41'943'040);
  CHECK(c.dense_mlp == 32LL * 176'160'768);
  CHECK(c.norms == 32LL * 8'192 + 4'096);
  CHECK(c.lm_head == 525'336'576);
  CHECK(c.total() == 8'030'261'248);
  // Same architecture, same count: Llama-3.1-8B differs only in RoPE scaling and context.
  CHECK(count_parameters(library().find("llama3.1:8b")).total() == 8'030'261'248);
}

TEST_CASE("parameter counts: Mixtral-8x7B has 46,702,792,704 parameters, 12,879,925,248 active") {
  // mistralai/Mixtral-8x7B-v0.1: vocab 32000, hidden 4096, 32 layers, 32 heads / 8 KV heads of
  // 128, every layer MoE with 8 SwiGLU experts of width 14336, top-2, router 4096 x 8, untied.
  //   embedding      32000 x 4096                       =    131,072,000
  //   per layer
  //     attention    as Llama-3-8B: 16,777,216 x 2 + 8,388,608 = 41,943,040
  //     one expert   3 x 4096 x 14336                   =    176,160,768
  //     8 experts    8 x 176,160,768                    =  1,409,286,144
  //     router       4096 x 8                           =         32,768
  //     norms        2 x 4096                           =          8,192
  //     layer total  41,943,040 + 1,409,286,144 + 32,768 + 8,192 = 1,451,270,144
  //   32 layers      32 x 1,451,270,144                 = 46,440,644,608
  //   final norm                                        =          4,096
  //   LM head                                           =    131,072,000
  //   total  131,072,000 x 2 + 46,440,644,608 + 4,096   = 46,702,792,704
  // Active per token: 2 of the 8 experts.
  //   per layer      41,943,040 + 2 x 176,160,768 + 32,768 + 8,192 = 394,305,536
  //   32 layers      32 x 394,305,536                   = 12,617,777,152
  //   active total   12,617,777,152 + 262,144,000 + 4,096 = 12,879,925,248  (Mistral: "12.9B")
  const ModelSpec& m = library().find("mixtral:8x7b");
  REQUIRE(m.moe.enabled());
  CHECK(m.num_moe_layers() == 32);
  const ParameterCounts c = count_parameters(m);
  CHECK(c.embedding == 131'072'000);
  CHECK(c.attention == 32LL * 41'943'040);
  CHECK(c.dense_mlp == 0);
  CHECK(c.moe_experts == 32LL * 1'409'286'144);
  CHECK(c.moe_shared_and_router == 32LL * 32'768);
  CHECK(c.norms == 32LL * 8'192 + 4'096);
  CHECK(c.lm_head == 131'072'000);
  CHECK(c.total() == 46'702'792'704);
  CHECK(c.active_per_token == 12'879'925'248);
}

TEST_CASE("parameter counts: OPT-1.3B with biases, LayerNorm and learned positions has 1,315,758,080") {
  // facebook/opt-1.3b: vocab 50272, hidden 2048, 24 layers, 32 heads of 64 (MHA), ReLU FFN 8192
  // with two matrices, biases on every projection, LayerNorm (weight + bias), tied embeddings,
  // learned positions with max_position_embeddings + 2 = 2050 rows.
  //   token table    50272 x 2048                       =   102,957,056
  //   positions      2050 x 2048                        =     4,198,400
  //   per layer
  //     q,k,v,o      4 x 2048 x 2048                    =    16,777,216
  //     their biases 4 x 2048                           =         8,192
  //     fc1, fc2     2 x 2048 x 8192                    =    33,554,432
  //     their biases 8192 + 2048                        =        10,240
  //     2 LayerNorms 2 x (2048 + 2048)                  =         8,192
  //     layer total                                     =    50,358,272
  //   24 layers      24 x 50,358,272                    = 1,208,598,528
  //   final LayerNorm 2048 + 2048                       =         4,096
  //   LM head        tied                               =             0
  //   total  102,957,056 + 4,198,400 + 1,208,598,528 + 4,096 = 1,315,758,080
  const ModelSpec& m = library().find("facebook/opt-1.3b");
  const ParameterCounts c = count_parameters(m);
  CHECK(c.embedding == 102'957'056 + 4'198'400);
  CHECK(c.attention == 24LL * (16'777'216 + 8'192));
  CHECK(c.dense_mlp == 24LL * (33'554'432 + 10'240));
  CHECK(c.norms == 24LL * 8'192 + 4'096);
  CHECK(c.lm_head == 0);
  CHECK(c.total() == 1'315'758'080);
}

TEST_CASE("parameter counts: tied-embedding Llama-3.2-1B has exactly 1,235,814,400 parameters") {
  // meta-llama/Llama-3.2-1B: vocab 128256, hidden 2048, 16 layers, 32 heads / 8 KV heads of 64
  // (q_dim 2048, kv_dim 512), SwiGLU FFN 8192, RMSNorm, tie_word_embeddings true.
  //   embedding      128256 x 2048                      =   262,668,288
  //   per layer
  //     q, o         2 x 2048 x 2048                    =     8,388,608
  //     k, v         2 x 2048 x 512                     =     2,097,152
  //     attention                                       =    10,485,760
  //     MLP          3 x 2048 x 8192                    =    50,331,648
  //     norms        2 x 2048                           =         4,096
  //     layer total                                     =    60,821,504
  //   16 layers      16 x 60,821,504                    =   973,144,064
  //   final norm                                        =         2,048
  //   LM head        tied                               =             0
  //   total  262,668,288 + 973,144,064 + 2,048          = 1,235,814,400
  // (An untied head would add another 262,668,288.)
  const ModelSpec& m = library().find("llama3.2:1b");
  REQUIRE(m.tie_word_embeddings);
  const ParameterCounts c = count_parameters(m);
  CHECK(c.embedding == 262'668'288);
  CHECK(c.attention == 16LL * 10'485'760);
  CHECK(c.dense_mlp == 16LL * 50'331'648);
  CHECK(c.norms == 16LL * 4'096 + 2'048);
  CHECK(c.lm_head == 0);
  CHECK(c.total() == 1'235'814'400);

  ModelSpec untied = m;
  untied.tie_word_embeddings = false;
  CHECK(count_parameters(untied).total() == 1'235'814'400 + 262'668'288);
}

TEST_CASE("parameter counts: Llama-3-70B has exactly 70,553,706,496 parameters") {
  // meta-llama/Meta-Llama-3-70B: vocab 128256, hidden 8192, 80 layers, 64 heads / 8 KV heads of
  // 128 (q_dim 8192, kv_dim 1024), SwiGLU FFN 28672, untied. (Used by the memory-plan tests.)
  //   embedding      128256 x 8192                      =  1,050,673,152
  //   per layer
  //     q, o         2 x 8192 x 8192                    =    134,217,728
  //     k, v         2 x 8192 x 1024                    =     16,777,216
  //     MLP          3 x 8192 x 28672                   =    704,643,072
  //     norms        2 x 8192                           =         16,384
  //     layer total                                     =    855,654,400
  //   80 layers      80 x 855,654,400                   = 68,452,352,000
  //   final norm                                        =          8,192
  //   LM head                                           =  1,050,673,152
  //   total  1,050,673,152 x 2 + 68,452,352,000 + 8,192 = 70,553,706,496
  const ParameterCounts c = count_parameters(library().find("Llama3-70B"));
  CHECK(c.attention == 80LL * (134'217'728 + 16'777'216));
  CHECK(c.dense_mlp == 80LL * 704'643'072);
  CHECK(c.norms == 80LL * 16'384 + 8'192);
  CHECK(c.total() == 70'553'706'496);
}
