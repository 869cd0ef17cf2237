// experiments/deepseek_v3_h200_ep.yaml shows what the experiments README says it shows: with
// MLA's latent KV replicated on every TP rank, data-parallel attention multiplies the node's KV
// capacity; TP 8 answers sooner at light load, and DP 8 + EP 8 keeps TPOT inside the SLO where
// TP 8's large batches break it.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;

TEST_CASE("DeepSeek-V3 example: DP-attention + EP 8 against TP 8 on 8 x H200 compare as the README says") {
  const std::string dir = fresh_dir("deepseek-ep-example");
  const std::string file = traces_dir() + "/../deepseek_v3_h200_ep.yaml";
  const CliRun run = run_cli_args({"run", file, "--out", dir, "--quiet"});
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/summary.csv");
  REQUIRE(summary.size() == 1 + 12);  // 3 deployments x 4 rates
  const std::size_t framework = column(summary, "framework"), rate = column(summary, "request_rate_per_s");
  const std::size_t kv = column(summary, "kv_capacity_tokens"), replicas = column(summary, "num_replicas");
  const std::size_t ttft = column(summary, "mean_ttft_ms"), tpot = column(summary, "mean_tpot_ms");
  const std::size_t goodput = column(summary, "goodput_req_per_s");
  std::map<double, std::map<std::string, const std::vector<std::string>*>> by;  // rate -> framework -> row
  for (std::size_t i = 1; i < summary.size(); ++i) by[std::stod(summary[i][rate])][summary[i][framework]] = &summary[i];
  REQUIRE(by.size() == 4);
  const auto value = [](const std::vector<std::string>* row, std::size_t col) { return std::stod((*row)[col]); };

  const auto& light = by.at(2.0);
  // KV: TP 8 holds every token's 61 x 576-value latent on all 8 GPUs; each DP engine caches only
  // its own sequences, so the node holds 8 engines' worth, more than 5x TP 8's.
  CHECK(light.at("tp8")->at(replicas) == "1");
  CHECK(light.at("dp8_ep8")->at(replicas) == "8");
  const double tp_kv = value(light.at("tp8"), kv), dp_kv = value(light.at("dp8_ep8"), kv);
  CHECK(dp_kv < tp_kv);  // a DP GPU holds the whole attention and 32 experts besides its KV
  CHECK(8 * dp_kv > 5 * tp_kv);
  // Light load: TP 8 splits each step over 8 GPUs; a DP rank works alone.
  CHECK(value(light.at("tp8"), ttft) < value(light.at("dp8_ep8"), ttft));
  CHECK(value(light.at("tp8"), tpot) < value(light.at("dp8_ep8"), tpot));
  // From 16 req/s the TP engine's batch breaks the 50 ms TPOT SLO; eight smaller batches do not.
  for (const double heavy : {16.0, 24.0}) {
    INFO("rate " << heavy);
    const auto& rows = by.at(heavy);
    CHECK(value(rows.at("tp8"), tpot) > 50);
    CHECK(value(rows.at("dp8_ep8_ht"), tpot) < value(rows.at("tp8"), tpot));
    CHECK(value(rows.at("dp8_ep8_ht"), goodput) > 5 * value(rows.at("tp8"), goodput));
  }
  // DeepEP high-throughput sends each token once per destination rank in FP8: it beats the
  // default all-gather of every rank's BF16 hidden states.
  CHECK(value(by.at(24.0).at("dp8_ep8_ht"), tpot) < value(by.at(24.0).at("dp8_ep8"), tpot));
}
