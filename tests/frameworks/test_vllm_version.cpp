// The vLLM release table (frameworks/vllm/vllm_version.hpp) and the knobs it feeds
// (framework_config.hpp). Expected lists are written out from vLLM's rule in
// vllm/config/vllm.py _set_cudagraph_sizes and checked against the resolved config of the
// project's vLLM 0.19.0 run (51 capture sizes up to 512 for max_num_seqs 256).
#include <catch2/catch.hpp>

#include <functional>

#include <nlohmann/json.hpp>

#include "framework_config_fixtures.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/vllm/vllm_version.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using llmpo::test::error_of;
using llmpo::test::map_of;
using Catch::Matchers::Contains;

namespace {

VllmSettings vllm_of(const std::string& yaml) {
  StrictMap m = map_of(yaml);
  return std::get<VllmSettings>(parse_framework_settings("VLLM", m, 22.0 * kGiB));
}

}  // namespace

TEST_CASE("vllm_version: capture sizes are 1, 2, 4, 8 step 8 to 248, then 16 to the maximum") {
  const VllmBehaviour& v19 = vllm_behaviour("0.19");
  // max_num_seqs 256: maximum min(2 x 256, 512) = 512. 3 + 31 (8..248) + 17 (256..512) = 51.
  const auto sizes = cudagraph_capture_sizes(256, v19);
  REQUIRE(sizes.size() == 51);
  CHECK(sizes[0] == 1);
  CHECK(sizes[2] == 4);
  CHECK(sizes[3] == 8);
  CHECK(sizes[33] == 248);
  CHECK(sizes[34] == 256);
  CHECK(sizes[35] == 272);
  CHECK(sizes.back() == 512);
  // max_num_seqs 8: maximum 16.
  CHECK(cudagraph_capture_sizes(8, v19) == std::vector<int64_t>{1, 2, 4, 8, 16});
  // max_num_seqs 1: maximum 2.
  CHECK(cudagraph_capture_sizes(1, v19) == std::vector<int64_t>{1, 2});
  // The token budget caps it too: 100 -> 1, 2, 4, 8 .. 96 = 3 + 12.
  CHECK(cudagraph_capture_sizes(256, v19, 100).size() == 15);
  CHECK(max_cudagraph_capture_size(256, 100) == 100);
  CHECK(max_cudagraph_capture_size(1024) == 512);
  // Before 0.12 the step stayed 8 up to 512: 3 + 64.
  CHECK(cudagraph_capture_sizes(256, vllm_behaviour("0.11")).size() == 67);
  // FULL_AND_PIECEWISE adds a full decode graph per size <= 256: 51 + 35 = 86; PIECEWISE 51.
  CHECK(cudagraph_count(256, v19) == 86);
  CHECK(cudagraph_count(256, vllm_behaviour("0.10")) == 3 + 64);
}

TEST_CASE("vllm_version: each behaviour switches at the release that changed it") {
  CHECK_FALSE(vllm_behaviour("0.10").full_cudagraphs);
  CHECK(vllm_behaviour("0.11").full_cudagraphs);
  CHECK_FALSE(vllm_behaviour("0.13").async_scheduling);
  CHECK(vllm_behaviour("0.14").async_scheduling);
  CHECK_FALSE(vllm_behaviour("0.18").reserve_full_isl);
  CHECK(vllm_behaviour("0.19").reserve_full_isl);
  CHECK_FALSE(vllm_behaviour("0.20").cudagraph_memory_in_kv_sizing);
  CHECK(vllm_behaviour("0.21").cudagraph_memory_in_kv_sizing);
  CHECK(default_vllm_version() == "0.19");
  CHECK(vllm_behaviour("0.19.0").version == "0.19");
  CHECK(vllm_behaviour("v0.14.1").version == "0.14");
  CHECK_THAT(error_of([] { vllm_behaviour("0.9"); }), Contains("unknown vLLM version '0.9'") && Contains("0.10, 0.11"));
  CHECK_THAT(error_of([] { vllm_behaviour("0.190"); }), Contains("valid: 0.10"));
}

TEST_CASE("vllm_version: a deployment's knobs default to its release's row and may be overridden") {
  const VllmSettings now = vllm_of("x: 1\n");
  CHECK(now.vllm_version == "0.19");
  CHECK(now.async_scheduling);
  CHECK(now.scheduler_reserve_full_isl);
  CHECK(now.cudagraph_mode == "FULL_AND_PIECEWISE");
  CHECK_FALSE(now.enforce_eager);
  CHECK(vllm_cudagraph_memory_bytes(now) == 0);  // 0.19 does not take graphs off the KV budget

  const VllmSettings old = vllm_of("vllm_version: 0.10.2\n");
  CHECK(old.vllm_version == "0.10");
  CHECK_FALSE(old.async_scheduling);
  CHECK_FALSE(old.scheduler_reserve_full_isl);
  CHECK(old.cudagraph_mode == "PIECEWISE");

  const VllmSettings set = vllm_of("vllm_version: '0.21'\nasync_scheduling: false\nscheduler_reserve_full_isl: false\n"
                                   "cudagraph_mode: PIECEWISE\n");
  CHECK_FALSE(set.async_scheduling);
  CHECK_FALSE(set.scheduler_reserve_full_isl);
  const VllmBehaviour effective = effective_vllm_behaviour(set);
  CHECK_FALSE(effective.full_cudagraphs);
  CHECK(effective.cudagraph_memory_in_kv_sizing);
  // 0.21, PIECEWISE, max_num_seqs 256 (22 GiB GPU): 51 graphs x 0.36 GiB / 16.
  CHECK(vllm_cudagraph_memory_bytes(set) == Approx(51 * 0.36 * kGiB / 16));
  CHECK(vllm_cudagraph_capture_sizes(set).size() == 51);

  const VllmSettings eager = vllm_of("vllm_version: '0.21'\nenforce_eager: true\n");
  CHECK(eager.cudagraph_mode == "NONE");
  CHECK(vllm_cudagraph_capture_sizes(eager).empty());
  CHECK(vllm_cudagraph_memory_bytes(eager) == 0);
  CHECK_FALSE(effective_vllm_behaviour(eager).full_cudagraphs);

  const nlohmann::json j = settings_to_json(set);
  CHECK(j["vllm_version"] == "0.21");
  CHECK(j["async_scheduling"] == false);
  CHECK(j["cudagraph_mode"] == "PIECEWISE");
  CHECK(j["enforce_eager"] == false);
  CHECK(j["scheduler_reserve_full_isl"] == false);
}

TEST_CASE("vllm_version: an unknown version or CUDA-graph mode names the file, line, key and valid values") {
  CHECK_THAT(error_of([] { vllm_of("x: 1\nvllm_version: '0.9'\n"); }),
             Contains("exp.yaml:2") && Contains("vllm_version") && Contains("valid: 0.10, 0.11") && Contains("0.21"));
  CHECK_THAT(error_of([] { vllm_of("cudagraph_mode: FULL\n"); }),
             Contains("exp.yaml:1") && Contains("cudagraph_mode") && Contains("FULL_AND_PIECEWISE"));
  CHECK_THAT(error_of([] { vllm_of("async_scheduling: maybe\n"); }), Contains("async_scheduling"));
  const auto keys = deployment_config_keys_for("VLLM");
  for (const char* key : {"vllm_version", "async_scheduling", "cudagraph_mode", "enforce_eager", "scheduler_reserve_full_isl"})
    CHECK(std::find(keys.begin(), keys.end(), key) != keys.end());
  const auto static_keys = deployment_config_keys_for("STATIC");
  CHECK(std::find(static_keys.begin(), static_keys.end(), "vllm_version") == static_keys.end());
}
