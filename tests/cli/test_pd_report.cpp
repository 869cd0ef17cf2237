// The report's prefill/decode timeline: one stacked bar per disaggregated run, its stages' means
// read from summary.csv (which add up to the mean TTFT); no chart without a disaggregated run.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "cli/report_page.hpp"

using namespace llmpo::test;
using json = nlohmann::json;

namespace {

// Llama-3-8B: 1 prefill + 1 decode H100 (NVSwitch between them) beside one aggregated replica.
const char* kPdAndAggregated = R"(name: pd_report
simulation: {seed: 2}
hardware:
  h100: {preset: H100-SXM, count: 3}
workload:
  arrival: {process: poisson, rate_per_s: 4}
  num_requests: 60
  prompt_tokens: {distribution: uniform, min: 500, max: 2000}
  output_tokens: {distribution: uniform, min: 10, max: 60}
frameworks_to_test:
  - name: aggregated
    config: {model_profile_id: Llama3-8B, gpu_id: h100}
  - name: pd_1P1D
    config:
      model_profile_id: Llama3-8B
      prefill: {gpu_id: h100}
      decode: {gpu_id: h100}
      kv_transfer: {link: nvswitch}
)";

}  // namespace

TEST_CASE("report: the P/D timeline stacks a disaggregated run's TTFT stages, means from summary.csv") {
  if (libraries_missing()) return;
  const std::string d = fresh_dir("pd-report");
  const std::string out = d + "/out";
  const std::string file = write_file(d, "pd.yaml", kPdAndAggregated);
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"report", out}).code == 0);
  const json charts = charts_of(out + "/report.html");
  REQUIRE(has_chart(charts, "pd"));
  const json& values = chart(charts, "pd")["data"]["values"];
  // Five stages of the one disaggregated run; the aggregated run has none.
  REQUIRE(values.size() == 5);
  const auto summary = read_csv(out + "/summary.csv");
  REQUIRE(summary.size() == 3);
  const auto& row = summary[2];
  REQUIRE(row[column(summary, "framework")] == "pd_1P1D");
  CHECK(summary[1][column(summary, "mean_prefill_ms")].empty());
  const char* stages[] = {"prefill_queue", "prefill", "decode_queue", "kv_transfer", "first_decode"};
  double sum = 0;
  for (std::size_t s = 0; s < 5; ++s) {
    CHECK(values[s]["run"] == "pd_1P1D");
    CHECK(values[s]["order"] == s);
    const double mean = std::stod(row[column(summary, std::string("mean_") + stages[s] + "_ms")]);
    CHECK(values[s]["mean_ms"].get<double>() == Approx(mean));
    CHECK(values[s]["p99_ms"].get<double>() == Approx(std::stod(row[column(summary, std::string("p99_") + stages[s] + "_ms")])));
    sum += mean;
  }
  CHECK(sum == Approx(std::stod(row[column(summary, "mean_ttft_ms")])).epsilon(1e-6));
}

TEST_CASE("report: no P/D timeline without a disaggregated run") {
  if (libraries_missing()) return;
  const std::string d = fresh_dir("pd-report-none");
  const std::string out = d + "/out";
  REQUIRE(run_cli_args({"run", example("quickstart.yaml"), "--set", "workload.num_requests=20", "--out", out, "--quiet"})
              .code == 0);
  REQUIRE(run_cli_args({"report", out}).code == 0);
  CHECK_FALSE(has_chart(charts_of(out + "/report.html"), "pd"));
}
