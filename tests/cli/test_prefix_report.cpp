// The report's "prefix cache hit rate over time" chart: absent for runs that looked no prefix up;
// for a run folder whose timeseries.csv carries prefix-cache figures, one point per interval
// with queries, at hits / queries. The figures are written into a real run folder by hand (its
// manifest updated to match), so every point is known without the report's code. And `compare`
// on the hit rate where both sides have it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/report_page.hpp"
#include "simulator/util/sha256.hpp"

using namespace llmpo::test;
using json = nlohmann::json;

namespace {

// A CSV cell as `run` writes it: quoted (quotes doubled) when it holds a comma or a quote.
std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void write_csv(const std::string& path, const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) text += (c ? "," : "") + csv_cell(row[c]);
    text += "\n";
  }
  write_file(std::filesystem::path(path).parent_path().string(), std::filesystem::path(path).filename().string(), text);
}

// Records the files' new sizes and SHA-256 in the folder's manifest, as `run` would have.
void update_manifest(const std::string& dir, const std::vector<std::string>& names) {
  json manifest = json::parse(read_file(dir + "/manifest.json"));
  for (const auto& name : names) {
    const std::string text = read_file(dir + "/" + name);
    manifest["files"][name] = {{"size", text.size()}, {"sha256", llmpo::sha256_hex(text)}};
  }
  write_file(dir, "manifest.json", manifest.dump(2) + "\n");
}

}  // namespace

TEST_CASE("report: the prefix cache hit rate over time, one point per interval with queries") {
  if (libraries_missing()) return;
  const std::string d = fresh_dir("prefix-report");
  const std::string out = d + "/out";
  const CliRun run = run_cli_args({"run", example("quickstart.yaml"), "--set", "workload.num_requests=40", "--out", out,
                                   "--quiet", "--no-requests"});
  REQUIRE(run.code == 0);
  // No content identity: no prefix figures, no chart.
  REQUIRE(run_cli_args({"report", out}).code == 0);
  CHECK_FALSE(has_chart(charts_of(out + "/report.html"), "prefix"));
  CHECK(read_file(out + "/report.html").find("prefix hit rate") == std::string::npos);  // nor a table column
  auto summary = read_csv(out + "/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "prefix_query_tokens")].empty());

  // Figures by hand: interval i queries 100 x (i mod 3) prompt tokens and hits 30 x (i mod 3)
  // + 10 x (i mod 2) of them when it queries any; the run's totals in summary.csv.
  auto series = read_csv(out + "/timeseries.csv");
  REQUIRE(series.size() > 3);
  const std::size_t queries = column(series, "prefix_query_tokens"), hits = column(series, "cached_prompt_tokens");
  std::vector<std::pair<double, double>> expected;  // (t_s, hit rate in %)
  int64_t total_queries = 0, total_hits = 0;
  for (std::size_t r = 1; r < series.size(); ++r) {
    const int64_t i = static_cast<int64_t>(r - 1);
    const int64_t q = 100 * (i % 3), h = q > 0 ? 30 * (i % 3) + 10 * (i % 2) : 0;
    series[r][queries] = std::to_string(q);
    series[r][hits] = std::to_string(h);
    total_queries += q, total_hits += h;
    if (q > 0)
      expected.emplace_back(std::stod(series[r][column(series, "t_s")]),
                            100.0 * static_cast<double>(h) / static_cast<double>(q));
  }
  REQUIRE(series.size() - 1 <= 600);  // one point per interval: no buckets to work out
  summary[1][column(summary, "prefix_query_tokens")] = std::to_string(total_queries);
  summary[1][column(summary, "cached_prompt_tokens")] = std::to_string(total_hits);
  const double total_rate = static_cast<double>(total_hits) / static_cast<double>(total_queries);
  summary[1][column(summary, "prefix_cache_hit_rate")] = fmt::format("{}", total_rate);
  write_csv(out + "/timeseries.csv", series);
  write_csv(out + "/summary.csv", summary);
  update_manifest(out, {"timeseries.csv", "summary.csv"});

  const CliRun report = run_cli_args({"report", out});
  REQUIRE(report.code == 0);
  const json charts = charts_of(out + "/report.html");
  REQUIRE(has_chart(charts, "prefix"));
  const json& spec = chart(charts, "prefix");
  const json& values = spec["data"]["values"];
  REQUIRE(values.size() == expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    CHECK(values[k]["t"].get<double>() == Approx(expected[k].first));
    CHECK(values[k]["hit_rate"].get<double>() == Approx(expected[k].second));
    CHECK(values[k]["run"] == values[0]["run"]);
  }
  CHECK(spec["encoding"]["y"]["title"] == "prefix cache hit rate (%)");
  CHECK(spec["encoding"]["x"]["title"] == "simulated time (s)");
  // The run table gains the run's overall hit rate.
  const std::string html = read_file(out + "/report.html");
  CHECK(html.find("prefix hit rate") != std::string::npos);
  CHECK(html.find(fmt::format(">{:.1f}%<", 100 * total_rate)) != std::string::npos);
}

TEST_CASE("compare: prefix cache hit rate differences where both runs have them") {
  const std::string dir = fresh_dir("prefix-compare");
  // Hand-made summaries (outside a run folder: read as they are). sglang has no figures in A.
  const std::string a = write_file(dir, "a.csv",
                                   "framework,point,mean_ttft_ms,prefix_cache_hit_rate,mean_cached_tokens_per_request\n"
                                   "vllm,,100,0.5,200\nsglang,,90,,\n");
  const std::string b = write_file(dir, "b.csv",
                                   "framework,point,mean_ttft_ms,prefix_cache_hit_rate,mean_cached_tokens_per_request\n"
                                   "vllm,,80,0.8,320\nsglang,,85,0.4,100\n");
  const CliRun run = run_cli_args({"compare", a, b, "--format", "json"});
  REQUIRE(run.code == 0);
  const json j = json::parse(run.out);
  REQUIRE(j["runs"].size() == 2);
  const json& vllm = j["runs"][0]["metrics"];
  CHECK(vllm["prefix_cache_hit_rate"]["a"].get<double>() == Approx(0.5));
  CHECK(vllm["prefix_cache_hit_rate"]["b"].get<double>() == Approx(0.8));
  CHECK(vllm["prefix_cache_hit_rate"]["difference"].get<double>() == Approx(0.3));
  CHECK(vllm["prefix_cache_hit_rate"]["relative"].get<double>() == Approx(0.6));
  CHECK(vllm["mean_cached_tokens_per_request"]["difference"].get<double>() == Approx(120));
  // One side without figures: no row for them, the other metrics as usual.
  const json& sglang = j["runs"][1]["metrics"];
  CHECK_FALSE(sglang.contains("prefix_cache_hit_rate"));
  CHECK(sglang["mean_ttft_ms"]["difference"].get<double>() == Approx(-5));
  const CliRun table = run_cli_args({"compare", a, b});
  REQUIRE(table.code == 0);
  CHECK_THAT(table.out, Catch::Matchers::Contains("prefix_cache_hit_rate"));
}
