// The report pages read at a glance (issue 16): each percentile has its own labelled shape (a
// lone run's too), log axes label only clean values spaced for their labels, the time series of
// an 8-run sweep are one row of small charts per run and its CDFs one colour per run, the
// capacity page states its SLOs and charts every bisection probe against them, and summary.csv's
// saturation verdict shows as an "overloaded" badge. Checked against the CSVs the commands wrote
// and values worked out by hand. The page tests skip (with a warning) without the chart libraries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/report_page.hpp"
#include "simulator/report/chart_kit.hpp"
#include "simulator/util/output_manifest.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

// One vLLM deployment of Llama-3-8B, 200 requests: a one-run page.
const char* kOneRun = R"(name: one_run
simulation:
  seed: 11
  percentiles: [50, 90, 95, 99]
hardware:
  gpu0: {preset: A100-80GB-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 2}
  num_requests: 200
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 8, max: 256}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
)";

// The TP-sweep example swept over TP 4, 8 x request rate 0.5, 1, 2, 4: eight runs of one framework.
const std::string& eight_run_dir() {
  static const std::string dir = [] {
    const std::string d = fresh_dir("eight-runs") + "/out";
    const CliRun run = run_cli_args({"run", example("tp_sweep_llama3_70b.yaml"), "--set", "workload.num_requests=200",
                                     "--set", "sweep={tensor_parallel_degree: [4, 8], request_rate: [0.5, 1, 2, 4]}",
                                     "--out", d, "--report", "--quiet"});
    REQUIRE(run.code == 0);
    return d;
  }();
  return dir;
}

// The labels the page gives the eight runs, in run order (the sweep's points as shortened).
const std::vector<std::string> kEightLabels = {"TP 4, rate 0.5", "TP 4, rate 1", "TP 4, rate 2", "TP 4, rate 4",
                                               "TP 8, rate 0.5", "TP 8, rate 1", "TP 8, rate 2", "TP 8, rate 4"};

// True when v is 1, 2 or 5 times a power of ten.
bool one_two_five(double v) {
  const double mantissa = v / std::pow(10.0, std::floor(std::log10(v) + 1e-12));
  constexpr double kMantissas[] = {1, 2, 5};
  return std::any_of(std::begin(kMantissas), std::end(kMantissas), [&](double m) { return std::fabs(mantissa - m) < 1e-9; });
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("log ticks: 1-2-5 steps when they fit, else powers of ten, every k-th labelled when crowded") {
  using llmpo::report::clean_log_ticks;
  // 140 ms to 9.9e6 ms on a 220 px y axis with 14 px labels: room for floor(220 / 28) + 1 = 8
  // labels; the 16 1-2-5 ticks from 100 to 1e7 do not fit, the six powers do.
  auto ticks = clean_log_ticks(140, 9.9e6, 220, 14);
  CHECK(ticks.values == std::vector<double>{100, 1e3, 1e4, 1e5, 1e6, 1e7});
  CHECK(ticks.labelled == ticks.values);
  CHECK(ticks.domain_lo == 100);
  CHECK(ticks.domain_hi == 1e7);
  // 30 to 80 ms on a 260 px x axis with 32 px labels (room for 5): 20, 50, 100.
  ticks = clean_log_ticks(30, 80, 260, 32);
  CHECK(ticks.values == std::vector<double>{20, 50, 100});
  CHECK(ticks.domain_lo == 20);
  CHECK(ticks.domain_hi == 100);
  // 12 to 9e6 on the same axis: seven powers (10 .. 1e7) for room 5: every second one labelled.
  ticks = clean_log_ticks(12, 9e6, 260, 32);
  CHECK(ticks.values == std::vector<double>{10, 100, 1e3, 1e4, 1e5, 1e6, 1e7});
  CHECK(ticks.labelled == std::vector<double>{10, 1e3, 1e5, 1e7});
  // The capacity search's 0.05 to 64 req/s on a 230 px axis (room 4): 0.01, 1, 100 labelled.
  ticks = clean_log_ticks(0.05, 64, 230, 32);
  CHECK(ticks.values == std::vector<double>{0.01, 0.1, 1, 10, 100});
  CHECK(ticks.labelled == std::vector<double>{0.01, 1, 100});
  // One value: the decade from it.
  ticks = clean_log_ticks(500, 500, 220, 14);
  CHECK(ticks.values == std::vector<double>{500, 1000, 2000, 5000});
}

TEST_CASE("log ticks: over many ranges, clean values covering the data, labels at least a label apart") {
  using llmpo::report::clean_log_ticks;
  for (const double lo : {0.003, 0.05, 1.0, 7.0, 30.0, 123.0, 999.0, 4.2e5})
    for (const double span : {1.5, 3.0, 10.0, 47.0, 300.0, 1e4, 1e7})
      for (const double length : {70.0, 90.0, 220.0, 260.0})
        for (const double label : {14.0, 32.0}) {
          const double hi = lo * span;
          INFO(lo << " to " << hi << " on " << length << " px, labels " << label << " px");
          const auto ticks = clean_log_ticks(lo, hi, length, label);
          REQUIRE(ticks.values.size() >= 2);
          CHECK(ticks.domain_lo <= lo);
          CHECK(ticks.domain_hi >= hi);
          CHECK(ticks.values.front() == ticks.domain_lo);
          CHECK(ticks.values.back() == ticks.domain_hi);
          for (std::size_t i = 0; i < ticks.values.size(); ++i) {
            CHECK(one_two_five(ticks.values[i]));
            if (i > 0) CHECK(ticks.values[i] > ticks.values[i - 1]);
          }
          REQUIRE_FALSE(ticks.labelled.empty());
          CHECK(ticks.labelled.front() == ticks.domain_lo);
          const double px_per_decade = length / std::log10(ticks.domain_hi / ticks.domain_lo);
          for (std::size_t i = 1; i < ticks.labelled.size(); ++i) {
            CHECK(std::find(ticks.values.begin(), ticks.values.end(), ticks.labelled[i]) != ticks.values.end());
            CHECK(std::log10(ticks.labelled[i] / ticks.labelled[i - 1]) * px_per_decade >= label);
          }
        }
}

TEST_CASE("report of one run: the percentiles along x, each with its own shape named in the legend") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("one-run-report");
  REQUIRE(run_cli_args({"run", write_file(dir, "one.yaml", kOneRun), "--out", dir + "/out", "--report", "--quiet"}).code == 0);
  const auto csv = read_csv(dir + "/out/summary.csv");
  REQUIRE(csv.size() == 2);
  const auto summary = row_of(csv, 1);
  const json latency = chart(charts_of(dir + "/out/report.html"), "latency");
  const std::vector<std::string> stats = {"p50", "p90", "p95", "p99"};
  const char* metrics[] = {"ttft", "tpot", "e2el"};
  for (std::size_t m = 0; m < 3; ++m) {
    INFO(metrics[m]);
    const json& panel = latency["hconcat"][m];
    CHECK(panel["encoding"]["x"]["title"] == "statistic");
    CHECK(panel["encoding"]["x"]["sort"] == json(stats));
    // Points only (no line to draw through one run), shaped by statistic: four different shapes.
    REQUIRE(panel["layer"].size() == 1);
    const json& shape = panel["layer"][0]["encoding"]["shape"];
    CHECK(shape["field"] == "statistic");
    CHECK(shape["scale"]["domain"] == json(stats));
    const auto shapes = shape["scale"]["range"].get<std::vector<std::string>>();
    CHECK(std::set<std::string>(shapes.begin(), shapes.end()).size() == 4);
    CHECK_FALSE(shape.contains("legend"));  // the legend (default) names each shape
    REQUIRE(panel["data"]["values"].size() == 4);
    for (const auto& point : panel["data"]["values"]) {
      CHECK(point["x"] == point["statistic"]);
      const std::string column = point["statistic"].get<std::string>() + "_" + metrics[m] + "_ms";
      CHECK(point["value"].get<double>() == Approx(std::stod(summary.at(column))).epsilon(1e-9));
    }
  }
}

TEST_CASE("report of an 8-run sweep: time series as one row of small charts per run, on shared y scales") {
  if (libraries_missing()) return;
  const std::string dir = eight_run_dir();
  const json series = chart(charts_of(dir + "/report.html"), "timeseries");
  const json& rows = series["vconcat"];
  REQUIRE(rows.size() == 8);
  const char* fields[] = {"running", "waiting", "kv", "tok"};
  std::map<std::string, double> highest;
  for (const auto& v : series["data"]["values"])
    for (const char* f : fields) highest[f] = std::max(highest[f], v[f].get<double>());
  for (std::size_t r = 0; r < 8; ++r) {
    INFO("row " << r);
    CHECK(rows[r]["title"]["text"] == kEightLabels[r] + " (vllm_llama3_70b)");
    REQUIRE(rows[r]["hconcat"].size() == 4);
    for (std::size_t m = 0; m < 4; ++m) {
      const json& panel = rows[r]["hconcat"][m];
      CHECK(panel["encoding"]["y"]["field"] == fields[m]);
      CHECK(panel["transform"][0]["filter"] == json({{"field", "run"}, {"equal", kEightLabels[r]}}));
      // Every row of a column on one y scale, holding the highest value of any run (KV in %).
      const json& domain = panel["encoding"]["y"]["scale"]["domain"];
      CHECK(domain == rows[0]["hconcat"][m]["encoding"]["y"]["scale"]["domain"]);
      CHECK(domain[1].get<double>() >= highest[fields[m]]);
      if (m == 2) CHECK(domain == json({0, 100}));
    }
  }
  // Each run's points are its own rows of timeseries.csv (fewer than 600 a run: no bucketing).
  const auto csv = read_csv(dir + "/timeseries.csv");
  const std::size_t run_col = column(csv, "run"), running_col = column(csv, "running");
  std::map<std::string, std::vector<double>> running;  // by label
  for (std::size_t i = 1; i < csv.size(); ++i) running[kEightLabels.at(std::stoul(csv[i][run_col]))].push_back(std::stod(csv[i][running_col]));
  std::map<std::string, std::vector<double>> drawn;
  for (const auto& v : series["data"]["values"]) drawn[v["run"]].push_back(v["running"]);
  REQUIRE(drawn.size() == 8);
  for (const auto& [label, values] : running) {
    INFO(label);
    REQUIRE(values.size() < 600);
    CHECK(drawn[label] == values);
  }
}

TEST_CASE("report of an 8-run sweep: CDFs and swept series coloured per run, each named in a legend") {
  if (libraries_missing()) return;
  const json charts = charts_of(eight_run_dir() + "/report.html");
  for (const auto& panel : chart(charts, "cdf")["hconcat"]) {
    const json& color = panel["encoding"]["color"];
    CHECK(color["field"] == "run");
    CHECK(color["scale"]["domain"] == json(kEightLabels));
    const auto colors = color["scale"]["range"].get<std::vector<std::string>>();
    CHECK(std::set<std::string>(colors.begin(), colors.end()).size() == 8);
    CHECK_FALSE(color.contains("legend"));
    CHECK_FALSE(panel["encoding"].contains("strokeDash"));  // eight colours suffice: no dashes
  }
  // Latency against the swept rate: a line per TP degree, each its colour (and per statistic).
  for (const auto& panel : chart(charts, "latency")["hconcat"]) {
    const json& color = panel["encoding"]["color"];
    CHECK(color["field"] == "line");
    CHECK(color["scale"]["domain"] == json({"TP 4", "TP 8"}));
    CHECK(color["scale"]["range"][0] != color["scale"]["range"][1]);
    for (const auto& point : panel["data"]["values"])
      CHECK(point["line"] == point["run"].get<std::string>().substr(0, 4));
  }
}

TEST_CASE("report: a latency axis spanning more than 50x is a log axis with clean, fitting ticks") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("tp-ticks");
  // At TP 2 the queue explodes: TTFT spans from ~100 ms to minutes.
  REQUIRE(run_cli_args({"run", example("tp_sweep_llama3_70b.yaml"), "--set", "workload.num_requests=300", "--out",
                        dir + "/out", "--report", "--quiet"}).code == 0);
  const json panel = chart(charts_of(dir + "/out/report.html"), "latency")["hconcat"][0];
  const json& y = panel["encoding"]["y"];
  REQUIRE(y["scale"]["type"] == "log");
  double lo = 1e300, hi = 0;
  for (const auto& point : panel["data"]["values"]) lo = std::min(lo, point["value"].get<double>()), hi = std::max(hi, point["value"].get<double>());
  REQUIRE(hi / lo > 50);
  const auto values = y["axis"]["values"].get<std::vector<double>>();
  CHECK(y["scale"]["domain"] == json({values.front(), values.back()}));
  CHECK(values.front() <= lo);
  CHECK(values.back() >= hi);
  CHECK(values.size() <= 8);  // 220 px of 14 px labels
  for (double v : values) CHECK(one_two_five(v));
  CHECK(y["axis"]["labelOverlap"] == false);  // nothing left for Vega to hide
}

TEST_CASE("capacity writes its SLOs, and its page states them and charts every probe against them") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("capacity-slo") + "/out";
  REQUIRE(run_cli_args({"capacity", example("capacity_llama3_70b.yaml"), "--set", "workload.num_requests=300", "--out", dir,
                        "--report", "--quiet", "--jobs", "2"}).code == 0);
  // The file's capacity: section, as written in experiments/capacity_llama3_70b.yaml.
  CHECK(read_file(dir + "/capacity_spec.csv") ==
        "key,value\nslo.ttft_p90_ms,2000\nslo.tpot_p99_ms,100\nmin_attainment,0.99\nlow,0.05\nhigh,64\ntolerance,0.02\n");
  const std::string html = read_file(dir + "/report.html");
  CHECK_THAT(html, Contains("<p class=\"slo\"><b>SLOs</b> (capacity_spec.csv): a probe passes when TTFT p90 &le; 2,000 ms, "
                            "TPOT p99 &le; 100 ms and at least 99% of requests meeting the experiment's simulation.slo, "
                            "and the run is stable (neither overloaded nor backlogged). Searched from 0.05 to 64 req/s, "
                            "until the bracket is narrower than 2%.</p>"));

  const json probes = chart(charts_of(dir + "/report.html"), "probes");
  const auto log = read_csv(dir + "/capacity_log.csv");
  const auto capacity = read_csv(dir + "/capacity.csv");
  REQUIRE(capacity.size() == 7);
  // Every probe of capacity_log.csv, once per metric, with its value and outcome.
  const std::vector<std::string> metrics = {"ttft_p90_ms", "tpot_p99_ms", "slo_attainment"};
  std::map<std::tuple<std::string, std::string, std::string>, json> drawn;  // (run, step, metric)
  for (const auto& v : probes["data"]["values"])
    drawn[{v["run"], std::to_string(v["step"].get<int>()), v["metric"]}] = v;
  CHECK(drawn.size() == (log.size() - 1) * 3);
  std::size_t passed = 0, saturated = 0;
  for (std::size_t r = 1; r < log.size(); ++r) {
    const auto row = row_of(log, r);
    for (const auto& metric : metrics) {
      INFO("run " << row.at("run") << " step " << row.at("step") << " " << metric);
      const auto found = drawn.find({row.at("run"), row.at("step"), metric});
      REQUIRE(found != drawn.end());
      CHECK(found->second["load"].get<double>() == Approx(std::stod(row.at("load"))));
      CHECK(found->second["value"].get<double>() == Approx(std::stod(row.at(metric))));
      const std::string expected = row.at("passed") == "true" ? "meets the SLOs"
                                   : row.at("state") != "stable" ? "overloaded or backlogged"
                                                                 : "misses an SLO";
      CHECK(found->second["outcome"] == expected);
    }
    passed += row.at("passed") == "true";
    saturated += row.at("state") != "stable";
  }
  CHECK(passed > 0);     // the example has passing probes,
  CHECK(saturated > 0);  // saturated ones,
  CHECK(passed + saturated < log.size() - 1);  // and some that only miss an SLO: all three marks are drawn

  // A row of panels per deployment; in each panel the bound as a rule at its limit, and the
  // capacity found as a vertical rule where there is one.
  const std::vector<double> limits = {2000, 100, 0.99};
  REQUIRE(probes["vconcat"].size() == 6);
  for (std::size_t d = 0; d < 6; ++d) {
    const auto deployment = row_of(capacity, d + 1);
    const json& panels = probes["vconcat"][d]["hconcat"];
    REQUIRE(panels.size() == 3);
    for (std::size_t m = 0; m < 3; ++m) {
      INFO("deployment " << d << " " << metrics[m]);
      std::vector<double> rules_y, rules_x;
      for (const auto& layer : panels[m]["layer"]) {
        if (layer["mark"].value("type", "") != "rule") continue;
        const json& value = layer["data"]["values"][0];
        if (value.contains("limit")) rules_y.push_back(value["limit"]);
        if (value.contains("load")) rules_x.push_back(value["load"]);
      }
      CHECK(rules_y == std::vector<double>{limits[m]});
      // One y scale per metric for every deployment, so that rows compare at a glance: a fixed
      // domain holding every probe's value and the limit.
      const json& scale = panels[m]["layer"][0]["encoding"]["y"]["scale"];
      CHECK(scale == probes["vconcat"][0]["hconcat"][m]["layer"][0]["encoding"]["y"]["scale"]);
      REQUIRE(scale.contains("domain"));
      CHECK(scale["domain"][0].get<double>() <= limits[m]);
      CHECK(scale["domain"][1].get<double>() >= limits[m]);
      for (const auto& v : probes["data"]["values"])
        if (v["metric"] == metrics[m]) {
          CHECK(v["value"].get<double>() >= scale["domain"][0].get<double>());
          CHECK(v["value"].get<double>() <= scale["domain"][1].get<double>());
        }
      if (deployment.at("verdict") == "fails at low") CHECK(rules_x.empty());
      else CHECK(rules_x == std::vector<double>{std::stod(deployment.at("capacity"))});
    }
  }

  // A folder from before capacity_spec.csv: the page still draws the probes, says why it
  // states no SLO, and draws no bound.
  fs::remove(dir + "/capacity_spec.csv");
  REQUIRE(run_cli_args({"report", dir, "--quiet"}).code == 0);
  const std::string older = read_file(dir + "/report.html");
  CHECK_THAT(older, Contains("No capacity_spec.csv"));
  CHECK(count_of(older, "<p class=\"slo\">") == 0);
  const json older_probes = chart(charts_of(dir + "/report.html"), "probes");
  CHECK(older_probes["vconcat"][0]["hconcat"].size() == 2);  // the two bound columns of capacity_log.csv
  CHECK(older_probes.dump().find("\"limit\"") == std::string::npos);
}

TEST_CASE("run report: summary.csv's saturation verdict shows as an overloaded badge with its reason") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("overload-badge");
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", write_file(dir, "two.yaml", kTwoFrameworks), "--out", out, "--quiet"}).code == 0);
  // summary.csv rewritten and recorded in manifest.json as the run records its files.
  const auto replace_summary = [&](const std::string& text) {
    write_file(out, "summary.csv", text);
    json manifest = json::parse(read_file(out + "/manifest.json"));
    manifest["files"]["summary.csv"] = llmpo::describe_files(out, {"summary.csv"})["summary.csv"];
    write_file(out, "manifest.json", manifest.dump(2));
  };
  // alpha (vLLM, 64 sequences) carries 20 req/s; beta (static batches of 8) completes about
  // 3.7 req/s of them: the run wrote the verdict's two last columns as "false","" and "true",reason.
  const std::string written = read_file(out + "/summary.csv");
  const std::string header_tail = ",overloaded,overload_reason\n", alpha_tail = ",false,\n";
  const auto first_end = written.find('\n'), second_end = written.find('\n', first_end + 1);
  REQUIRE(second_end + 1 < written.size());
  REQUIRE(written.substr(first_end + 1 - header_tail.size(), header_tail.size()) == header_tail);
  REQUIRE(written.substr(second_end + 1 - alpha_tail.size(), alpha_tail.size()) == alpha_tail);
  REQUIRE(written.find('\n', second_end + 1) == written.size() - 1);
  const auto beta_verdict = written.rfind(",true,");
  REQUIRE(beta_verdict > second_end);
  const std::string reason = written.substr(beta_verdict + 6, written.size() - 1 - (beta_verdict + 6));
  CHECK_THAT(reason, Catch::StartsWith("arrivals 20"));
  // Without the columns (folders written before them): no badge, no saturation column.
  std::string summary = written;
  summary.erase(beta_verdict, summary.size() - 1 - beta_verdict);
  summary.erase(second_end + 1 - alpha_tail.size(), alpha_tail.size() - 1);
  summary.erase(first_end + 1 - header_tail.size(), header_tail.size() - 1);
  replace_summary(summary);
  REQUIRE(run_cli_args({"report", out, "--quiet"}).code == 0);
  const std::string before = read_file(out + "/report.html");
  CHECK(count_of(before, "<span class=\"badge-overloaded\"") == 0);
  CHECK(count_of(before, "<th>saturation</th>") == 0);

  // As the run wrote it.
  replace_summary(written);
  REQUIRE(run_cli_args({"report", out, "--quiet"}).code == 0);

  const std::string html = read_file(out + "/report.html");
  CHECK(count_of(html, "<th>saturation</th>") == 1);
  std::string escaped = reason;
  for (std::size_t at = escaped.find('>'); at != std::string::npos; at = escaped.find('>', at))
    escaped.replace(at, 1, "&gt;");
  const std::string badge = "<span class=\"badge-overloaded\" title=\"" + escaped + "\">overloaded</span>";
  REQUIRE(count_of(html, "<span class=\"badge-overloaded\"") == 1);
  // In run 1's row of the run table, with its reason beside it; run 0's saturation cell is empty.
  const auto at = html.find(badge);
  REQUIRE(at != std::string::npos);
  const std::string row = html.substr(html.rfind("<tr>", at), html.find("</tr>", at) - html.rfind("<tr>", at));
  CHECK(row.starts_with("<tr><td>1</td><td style=\"border-left:6px solid #f58518\">beta</td>"));
  CHECK_THAT(row, Contains(badge + "<span class=\"overload-reason\">" + escaped + "</span>"));
  const auto run0 = html.find("<tr><td>0</td>");
  REQUIRE(run0 != std::string::npos);
  CHECK_THAT(html.substr(run0, html.find("</tr>", run0) - run0), Contains("<td style=\"text-align:left\"></td>"));
  // And in the time series, run 1's row title says so.
  const json series = chart(charts_of(out + "/report.html"), "timeseries");
  CHECK(series["vconcat"][0]["title"]["text"] == "alpha");
  CHECK(series["vconcat"][1]["title"]["text"] == "beta - overloaded");
}
