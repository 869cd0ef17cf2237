// The chart data of a `run` report: what each chart draws is what the run wrote (summary.csv,
// requests.csv, manifest.json), along the axis the sweep varied, with one colour per framework
// in every chart. Checked against the CSVs and against sizes worked out by hand, not against the
// report's own code. Skipped (with a warning) when simulator/report/node_modules is missing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/report_page.hpp"
#include "simulator/report/results_folder.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// vLLM and static batching of Llama-3-8B on one A100, at 1 and 4 req/s.
const char* kRateSweep = R"(name: rate_sweep
simulation:
  seed: 3
  percentiles: [50, 99]
  slo: {ttft_ms: 1000}
hardware:
  gpu0: {preset: A100-80GB-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 1}
  num_requests: 200
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 8, max: 256}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
  - name: static16
    type: STATIC
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, batch_size: 16}
sweep:
  workload.arrival.rate_per_s: [1, 4]
)";

// The run folder of kRateSweep with its report, written once for the cases below.
const std::string& rate_sweep_dir() {
  static const std::string dir = [] {
    const std::string d = fresh_dir("run-report");
    const CliRun run = run_cli_args({"run", write_file(d, "rate.yaml", kRateSweep), "--out", d + "/out", "--report", "--quiet"});
    REQUIRE(run.code == 0);
    return d + "/out";
  }();
  return dir;
}

// summary.csv's rows keyed by run index.
std::map<std::string, std::map<std::string, std::string>> summary_by_run(const std::string& dir) {
  const auto csv = read_csv(dir + "/summary.csv");
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (std::size_t r = 1; r < csv.size(); ++r) rows[row_of(csv, r).at("run")] = row_of(csv, r);
  return rows;
}

// Every colour encoding of a framework field in a spec, with its nested charts.
void framework_colors(const json& spec, std::vector<json>& out) {
  if (spec.is_object()) {
    if (spec.contains("color") && spec["color"].is_object() && spec["color"].value("field", "") == "framework")
      out.push_back(spec["color"]["scale"]);
    for (const auto& [key, value] : spec.items()) framework_colors(value, out);
  } else if (spec.is_array()) {
    for (const auto& value : spec) framework_colors(value, out);
  }
}

}  // namespace

TEST_CASE("run report of a rate sweep: latency percentiles against the swept rate, as summary.csv has them") {
  if (libraries_missing()) return;
  const std::string dir = rate_sweep_dir();
  const auto summary = summary_by_run(dir);
  REQUIRE(summary.size() == 4);
  const json charts = charts_of(dir + "/report.html");
  const json& latency = chart(charts, "latency");
  REQUIRE(latency["hconcat"].size() == 3);
  const char* metrics[] = {"ttft", "tpot", "e2el"};
  for (std::size_t m = 0; m < 3; ++m) {
    INFO(metrics[m]);
    const json& panel = latency["hconcat"][m];
    CHECK(panel["encoding"]["x"]["title"] == "request rate (req/s)");
    CHECK(panel["encoding"]["x"]["type"] == "quantitative");
    const json& values = panel["data"]["values"];
    CHECK(values.size() == 4 * 2);  // runs x statistics (p50, p99)
    for (const auto& point : values) {
      // The run's label names it: "<framework> rate <r>" (two frameworks share each point).
      const std::string rate = point["x"].get<double>() == 1 ? "1" : "4";
      CHECK(point["run"] == point["framework"].get<std::string>() + " rate " + rate);
      const auto row = std::find_if(summary.begin(), summary.end(), [&](const auto& r) {
        return r.second.at("framework") == point["framework"] && r.second.at("request_rate_per_s") == rate;
      });
      REQUIRE(row != summary.end());
      const std::string column = point["statistic"].get<std::string>() + "_" + metrics[m] + "_ms";
      CHECK(point["value"].get<double>() == Approx(std::stod(row->second.at(column))).epsilon(1e-9));
    }
  }
  // One line per framework and statistic: the lines' layer splits by framework (and dash by statistic).
  CHECK(latency["hconcat"][0]["layer"][0]["encoding"]["detail"] == json::array({{{"field", "framework"}}}));
}

TEST_CASE("run report of a rate sweep: throughput against the swept rate, per GPU too") {
  if (libraries_missing()) return;
  const std::string dir = rate_sweep_dir();
  const auto summary = summary_by_run(dir);
  const json charts = charts_of(dir + "/report.html");
  const json& throughput = chart(charts, "throughput");
  const json& values = throughput["data"]["values"];
  REQUIRE(values.size() == 4);
  for (const auto& panel : throughput["hconcat"]) {
    CHECK(panel["mark"]["type"] == "line");
    CHECK(panel["encoding"]["x"]["title"] == "request rate (req/s)");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& row = summary.at(std::to_string(i));
    CHECK(values[i]["framework"] == row.at("framework"));
    CHECK(values[i]["x"].get<double>() == std::stod(row.at("request_rate_per_s")));
    CHECK(values[i]["output_tok_s"].get<double>() == Approx(std::stod(row.at("output_throughput_tok_per_s"))));
    CHECK(values[i]["output_tok_s_gpu"].get<double>() == Approx(std::stod(row.at("output_throughput_tok_per_s")) / 1));
    CHECK(values[i]["request_s"].get<double>() == Approx(std::stod(row.at("request_throughput_req_per_s"))));
    CHECK(values[i]["goodput_s"].get<double>() == Approx(std::stod(row.at("goodput_req_per_s"))));
  }
}

TEST_CASE("run report: one colour per framework, the same in every chart and in the run table") {
  if (libraries_missing()) return;
  const std::string dir = rate_sweep_dir();
  const json charts = charts_of(dir + "/report.html");
  std::vector<json> scales;
  // (The CDFs of a sweep with several runs per framework are coloured per run instead: see
  // test_report_readability.cpp.)
  for (const char* id : {"latency", "throughput", "timeseries"}) {
    INFO(id);
    const std::size_t before = scales.size();
    framework_colors(chart(charts, id), scales);
    CHECK(scales.size() > before);
  }
  const json expected = {{"domain", {"vllm", "static16"}}, {"range", {"#4c78a8", "#f58518"}}};
  for (const auto& scale : scales) CHECK(scale == expected);
  // The table edges each framework's cell in its colour.
  const std::string html = read_file(dir + "/report.html");
  CHECK_THAT(html, Contains("<td style=\"border-left:6px solid #4c78a8\">vllm</td>") &&
                       Contains("<td style=\"border-left:6px solid #f58518\">static16</td>"));
}

TEST_CASE("run report: each CDF point is the empirical CDF of the run's completed requests in requests.csv") {
  if (libraries_missing()) return;
  const std::string dir = rate_sweep_dir();
  const auto csv = read_csv(dir + "/requests.csv");
  const std::size_t run_col = column(csv, "run"), outcome_col = column(csv, "outcome"), ttft_col = column(csv, "ttft_ms");
  std::map<std::string, std::vector<double>> ttfts;  // by run label
  const std::map<std::string, std::string> labels = {
      {"0", "vllm rate 1"}, {"1", "static16 rate 1"}, {"2", "vllm rate 4"}, {"3", "static16 rate 4"}};
  for (std::size_t r = 1; r < csv.size(); ++r)
    if (csv[r][outcome_col] == "completed") ttfts[labels.at(csv[r][run_col])].push_back(std::stod(csv[r][ttft_col]));
  const json charts = charts_of(dir + "/report.html");
  const json& panel = chart(charts, "cdf")["hconcat"][0];
  CHECK(panel["title"] == "TTFT CDF");
  std::map<std::string, std::size_t> points;
  for (const auto& point : panel["data"]["values"]) {
    const std::string run = point["run"];
    const auto& samples = ttfts.at(run);
    const double v = point["value"];
    const auto at_most = std::count_if(samples.begin(), samples.end(), [&](double x) { return x <= v * (1 + 1e-12); });
    INFO(run << " at " << v << " ms");
    // Ties put several requests at one value: the point's fraction is one of theirs.
    const auto below = std::count_if(samples.begin(), samples.end(), [&](double x) { return x < v * (1 - 1e-12); });
    const double fraction = point["fraction"];
    CHECK(fraction <= static_cast<double>(at_most) / static_cast<double>(samples.size()) + 1e-12);
    CHECK(fraction > static_cast<double>(below) / static_cast<double>(samples.size()));
    ++points[run];
    if (fraction == 1.0) CHECK(v == Approx(*std::max_element(samples.begin(), samples.end())));
  }
  // Every completed request is drawn (200 a run, under the 400-point budget).
  REQUIRE(points.size() == 4);
  for (const auto& [run, n] : points) CHECK(n == ttfts.at(run).size());
}

TEST_CASE("run report of the TP sweep: throughput vs TP, and each GPU's memory as the run planned it") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("tp-report");
  const CliRun run = run_cli_args({"run", example("tp_sweep_llama3_70b.yaml"), "--set", "workload.num_requests=300", "--out",
                                   dir + "/out", "--report", "--quiet"});
  REQUIRE(run.code == 0);
  const json charts = charts_of(dir + "/out/report.html");
  const json& throughput = chart(charts, "throughput");
  CHECK(throughput["hconcat"][0]["encoding"]["x"]["title"] == "tensor-parallel degree (GPUs per replica)");
  std::vector<double> tps;
  for (const auto& v : throughput["data"]["values"]) tps.push_back(v["x"]);
  CHECK(tps == std::vector<double>{2, 4, 8});

  // Memory: Llama-3-70B keeps 2 (K, V) x 80 layers x 8 KV heads x 128 x 2 bytes = 327,680 bytes
  // of KV per token, split over the TP degree; the bars are the run's own plan (manifest.json)
  // and add up to the H100's memory.
  const json manifest = json::parse(read_file(dir + "/out/manifest.json"));
  const json& values = chart(charts, "memory")["data"]["values"];
  REQUIRE(values.size() == 3 * 5);
  for (std::size_t r = 0; r < 3; ++r) {
    const json& kv = manifest["runs"][r]["kv_cache"];
    const double tp = manifest["runs"][r]["tensor_parallel_degree"];
    INFO("TP " << tp);
    CHECK(kv["kv_bytes_per_token_per_gpu"].get<double>() == 327680 / tp);
    std::map<std::string, double> gib;
    double total = 0;
    for (std::size_t p = 0; p < 5; ++p) {
      const json& part = values[r * 5 + p];
      CHECK_THAT(part["run"].get<std::string>(), Contains(fmt::format("TP {}", tp)));
      gib[part["part"]] = part["gib"];
      total += part["gib"].get<double>();
    }
    CHECK(gib["weights"] == Approx(kv["weight_bytes_per_gpu"].get<double>() / kGiB));
    CHECK(gib["activation peak"] == Approx(kv["activation_peak_bytes"].get<double>() / kGiB));
    CHECK(gib["KV cache"] == Approx(kv["num_gpu_blocks"].get<double>() * 16 * 327680 / tp / kGiB));
    CHECK(total == Approx(manifest["runs"][r]["gpu"]["memory_bytes"].get<double>() / kGiB));
  }

  // Operators: each step's operator times add up to the step time the cost model reports.
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> steps;  // (run, step) -> (sum, step)
  for (const auto& v : chart(charts, "operators")["data"]["values"]) {
    auto& [sum, step] = steps[{v["run"], v["step"]}];
    sum += v["ms"].get<double>();
    step = v["step_ms"];
  }
  CHECK(steps.size() == 3 * 2);
  for (const auto& [key, times] : steps) {
    INFO(key.first << " " << key.second);
    CHECK(times.first == Approx(times.second).epsilon(1e-9));
  }
}

TEST_CASE("point labels: the last step of each swept key, with short names, and without the drawn axis") {
  using llmpo::report::point_without;
  using llmpo::report::shorten_point;
  CHECK(shorten_point("tensor_parallel_degree=4;workload.arrival.rate_per_s=2") == "TP 4, rate 2");
  CHECK(shorten_point("request_rate=2") == "rate 2");
  CHECK(shorten_point("frameworks_to_test[0].config.max_num_seqs=64") == "max_num_seqs 64");
  CHECK(shorten_point("concurrency=8;pipeline_parallel_degree=2") == "clients 8, PP 2");
  CHECK(point_without("tensor_parallel_degree=4;workload.arrival.rate_per_s=2", "request_rate") == "TP 4");
  CHECK(point_without("tensor_parallel_degree=4;request_rate=2", "tensor_parallel_degree") == "rate 2");
  CHECK(point_without("request_rate=2", "request_rate").empty());
  // Two keys of one point ending alike keep their paths, so the label says which is which.
  CHECK(shorten_point("frameworks_to_test[0].config.block_size=16;frameworks_to_test[1].config.block_size=32;"
                      "request_rate=2") ==
        "frameworks_to_test[0].config.block_size 16, frameworks_to_test[1].config.block_size 32, rate 2");
}


