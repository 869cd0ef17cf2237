#include <catch2/catch.hpp>

#include <functional>

#include <nlohmann/json.hpp>

#include "framework_config_fixtures.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/static_batching/static_batching.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using llmpo::test::error_of;
using llmpo::test::map_of;

namespace {

constexpr double kH100Bytes = 79.2 * kGiB;  // what the driver reports for an 80 GB card
constexpr double kL4Bytes = 22.0 * kGiB;

}  // namespace

TEST_CASE("framework_config: vLLM defaults follow vllm serve for the GPU's memory, A100s excepted") {
  StrictMap big = map_of("x: 1\n");
  const auto h100 = std::get<VllmSettings>(parse_framework_settings("VLLM", big, kH100Bytes, "h100-sxm"));
  CHECK(h100.max_num_seqs == 1024);
  CHECK(h100.max_num_batched_tokens == 8192);
  CHECK(h100.enable_chunked_prefill);
  CHECK(h100.block_size == 16);
  CHECK(h100.gpu_memory_utilization == 0.9);
  CHECK_FALSE(h100.num_gpu_blocks.has_value());
  CHECK_FALSE(h100.max_model_len.has_value());
  CHECK(h100.scheduler_overhead_us == 0);
  CHECK(h100.quantization == "none");
  CHECK(h100.kv_cache_dtype == "auto");

  StrictMap a100_map = map_of("x: 1\n");
  const auto a100 = std::get<VllmSettings>(parse_framework_settings("vllm", a100_map, 79.1 * kGiB, "a100-80gb-sxm"));
  CHECK(a100.max_num_seqs == 256);
  CHECK(a100.max_num_batched_tokens == 2048);

  StrictMap small = map_of("x: 1\n");
  const auto l4 = std::get<VllmSettings>(parse_framework_settings("Vllm", small, kL4Bytes));
  CHECK(l4.max_num_seqs == 256);
  CHECK(l4.max_num_batched_tokens == 2048);
}

TEST_CASE("framework_config: vLLM knobs are read and the caller's unknown-key check sees them as read") {
  StrictMap config = map_of(
      "model_profile_id: m\nmax_num_seqs: 64\nmax_num_batched_tokens: 512\nenable_chunked_prefill: false\n"
      "block_size: 32\ngpu_memory_utilization: 0.8\nnum_gpu_blocks: 1000\nmax_model_len: 4096\n"
      "scheduler_overhead_us: 150\nquantization: Q4_K_M\nkv_cache_dtype: FP8\n");
  config.get_string("model_profile_id");  // the caller's key
  const auto s = std::get<VllmSettings>(parse_framework_settings("VLLM", config, kL4Bytes));
  CHECK(s.max_num_seqs == 64);
  CHECK(s.max_num_batched_tokens == 512);
  CHECK_FALSE(s.enable_chunked_prefill);
  CHECK(s.block_size == 32);
  CHECK(s.gpu_memory_utilization == 0.8);
  CHECK(s.num_gpu_blocks == 1000);
  CHECK(s.max_model_len == 4096);
  CHECK(s.scheduler_overhead_us == 150);
  CHECK(s.quantization == "gguf_q4_k_m");
  CHECK(s.kv_cache_dtype == "fp8");
  CHECK_NOTHROW(config.reject_unknown_keys());
}

TEST_CASE("framework_config: an out-of-range vLLM value names the file, line and key path") {
  StrictMap zero = map_of("max_num_seqs: 0\n");
  CHECK(error_of([&] { parse_framework_settings("VLLM", zero, kL4Bytes); }) ==
        "exp.yaml:1:15: deployments[0].max_num_seqs: 0 is out of range (must be at least 1 and at most 1048576)");
  StrictMap util = map_of("gpu_memory_utilization: 1.2\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("VLLM", util, kL4Bytes); }),
             Catch::StartsWith("exp.yaml:1:25: deployments[0].gpu_memory_utilization: 1.2 is out of range"));
  StrictMap flag = map_of("enable_chunked_prefill: sometimes\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("VLLM", flag, kL4Bytes); }),
             Catch::Contains("deployments[0].enable_chunked_prefill: expected true or false"));
}

TEST_CASE("framework_config: a token budget below max_num_seqs is refused as vLLM refuses it") {
  StrictMap config = map_of("max_num_seqs: 64\nmax_num_batched_tokens: 32\n");
  CHECK(error_of([&] { parse_framework_settings("VLLM", config, kL4Bytes); }) ==
        "exp.yaml:2:1: deployments[0].max_num_batched_tokens: max_num_batched_tokens (32) must be at least "
        "max_num_seqs (64), as vLLM requires");
  StrictMap seqs_only = map_of("max_num_seqs: 4096\n");  // default budget 2048 on this GPU
  CHECK_THAT(error_of([&] { parse_framework_settings("VLLM", seqs_only, kL4Bytes); }),
             Catch::StartsWith("exp.yaml:1:1: deployments[0].max_num_seqs: max_num_batched_tokens (2048)"));
}

TEST_CASE("framework_config: an unknown quantization or KV-cache dtype lists the valid names") {
  StrictMap quant = map_of("quantization: awk\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("VLLM", quant, kL4Bytes); }),
             Catch::StartsWith("exp.yaml:1:1: deployments[0].quantization: unknown quantization 'awk'") &&
                 Catch::Contains("did you mean 'awq'"));
  StrictMap dtype = map_of("kv_cache_dtype: fp4\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("VLLM", dtype, kL4Bytes); }),
             Catch::StartsWith("exp.yaml:1:1: deployments[0].kv_cache_dtype: 'fp4' is not valid (valid: auto"));
}

TEST_CASE("framework_config: static batching needs batch_size and says what the seed used") {
  StrictMap missing = map_of("batch_timeout_s: 2\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("STATIC", missing, kL4Bytes); }),
             Catch::StartsWith("exp.yaml:1:1: deployments[0].batch_size: missing required key 'batch_size'") &&
                 Catch::Contains("AI-Flux seed used 4"));

  StrictMap config = map_of("batch_size: 8\nbatch_timeout_s: 0.5\nblock_size: 8\n");
  const auto s = std::get<StaticBatchingSettings>(parse_framework_settings("static", config, kL4Bytes));
  CHECK(s.batch_size == 8);
  CHECK(s.batch_timeout_s == 0.5);
  CHECK(s.block_size == 8);
  CHECK(framework_type_name(FrameworkSettings(s)) == "STATIC");

  StrictMap negative = map_of("batch_size: 4\nbatch_timeout_s: -1\n");
  CHECK(error_of([&] { parse_framework_settings("STATIC", negative, kL4Bytes); }) ==
        "exp.yaml:2:18: deployments[0].batch_timeout_s: -1 is out of range (must be at least 0 and at most 1000000000)");
}

TEST_CASE("framework_config: a vLLM-only key under a STATIC framework is left unread for the unknown-key check") {
  StrictMap config = map_of("batch_size: 4\nmax_num_seqs: 8\n");
  parse_framework_settings("STATIC", config, kL4Bytes);
  CHECK_THAT(error_of([&] { config.reject_unknown_keys(); }),
             Catch::StartsWith("exp.yaml:2:1: deployments[0].max_num_seqs: unknown key 'max_num_seqs'"));
}

TEST_CASE("framework_config: an unknown framework type lists the valid ones") {
  StrictMap config = map_of("x: 1\n");
  CHECK_THAT(error_of([&] { parse_framework_settings("VLM", config, kL4Bytes); }),
             Catch::Contains("unknown framework type 'VLM' (valid: VLLM, STATIC, SGLANG); did you mean 'VLLM'?"));
}

TEST_CASE("framework_config: make_framework builds the policy with the planned KV capacity") {
  VllmSettings vllm;
  vllm.max_num_seqs = 3;
  auto framework = make_framework(vllm, KvCacheCapacity{100, 16, 2048, {}}, 0);
  REQUIRE(dynamic_cast<VllmScheduler*>(framework.get()) != nullptr);
  CHECK(framework->stats().kv_total_blocks == 100);
  CHECK(dynamic_cast<VllmScheduler&>(*framework).config().max_num_seqs == 3);
  CHECK(dynamic_cast<VllmScheduler&>(*framework).config().max_model_len == 2048);

  StaticBatchingSettings batching;
  batching.batch_size = 4;
  auto static_framework = make_framework(batching, KvCacheCapacity{50, 16, 2048, {}}, 4096);
  REQUIRE(dynamic_cast<StaticBatching*>(static_framework.get()) != nullptr);
  CHECK(static_framework->stats().kv_total_blocks == 50);

  CHECK_THROWS_AS(make_framework(vllm, KvCacheCapacity{0, 16, 2048, {}}, 0), InputError);
  CHECK_THROWS_AS(make_framework(vllm, KvCacheCapacity{100, 32, 2048, {}}, 0), InternalError);
}

TEST_CASE("framework_config: settings_to_json records every setting, defaults included") {
  VllmSettings vllm;
  vllm.num_gpu_blocks = 123;
  const nlohmann::json j = settings_to_json(vllm);
  CHECK(j.at("type") == "VLLM");
  CHECK(j.at("max_num_seqs") == 256);
  CHECK(j.at("max_num_batched_tokens") == 2048);
  CHECK(j.at("enable_chunked_prefill") == true);
  CHECK(j.at("num_gpu_blocks") == 123);
  CHECK(j.at("max_model_len").is_null());
  CHECK(j.at("block_size") == 16);
  CHECK(j.at("kv_cache_dtype") == "auto");

  StaticBatchingSettings batching;
  batching.batch_size = 8;
  const nlohmann::json s = settings_to_json(batching);
  CHECK(s.at("type") == "STATIC");
  CHECK(s.at("batch_size") == 8);
  CHECK(s.at("batch_timeout_s") == 0.0);
  CHECK_FALSE(s.contains("max_num_seqs"));
}
