// The chart data of the HTML pages: bench.html plots exactly bench.csv's levels, the search
// chart's frontier is the rows search.csv flags pareto, the capacity bars are capacity.csv's
// capacities, and a folder without results says what it looked for. Skipped (with a warning)
// when the charting libraries of simulator/report/node_modules are not installed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <tuple>

#include "cli/report_page.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::json;

TEST_CASE("bench.html: one point per level with bench.csv's throughput and memory, and the GPU capacity rule") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("bench-html");
  const CliRun run = run_cli_args({"bench", "--model", "Llama3-8B", "--gpu", "H100-SXM", "--concurrency", "1", "2", "4",
                                   "8", "--prompt-toks", "128", "--gen-toks", "32", "--check-oom", "--out", dir});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("wrote " + dir + "/bench.html"));
  const json charts = charts_of(dir + "/bench.html");
  REQUIRE(charts.size() == 2);
  const auto csv = read_csv(dir + "/bench.csv");
  REQUIRE(csv.size() == 5);
  for (const char* id : {"memory", "throughput"}) {
    INFO(id);
    const json& values = chart(charts, id)["data"]["values"];
    REQUIRE(values.size() == 4);
    for (std::size_t level = 0; level < 4; ++level) {
      const auto row = row_of(csv, level + 1);
      CHECK(values[level]["concurrency"] == std::stoll(row.at("concurrency")));
      CHECK(values[level]["throughput_tok_s"].get<double>() ==
            Approx(std::stod(row.at("total_throughput_tok_per_s"))).epsilon(1e-6));
      CHECK(values[level]["peak_memory_gib"].get<double>() ==
            Approx(std::stod(row.at("peak_memory_GiB_per_gpu"))).epsilon(1e-6));
    }
  }
  // The memory chart's rule: the H100's 79.2 GiB the driver reports.
  const json& layers = chart(charts, "memory")["layer"];
  bool capacity_rule = false;
  for (const auto& layer : layers)
    if (layer.contains("data") && layer["data"]["values"][0].contains("gib"))
      capacity_rule = layer["data"]["values"][0]["gib"].get<double>() == Approx(79.19).epsilon(0.01);
  CHECK(capacity_rule);
}

TEST_CASE("bench --export-svg without a browser is an input error saying how to install one") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("bench-svg");
  // No browser to be found: an empty PATH and no $LLMPO_CHROMIUM (both restored afterwards).
  const char* path = std::getenv("PATH");
  const std::string saved_path = path != nullptr ? path : "";
  const char* chromium = std::getenv("LLMPO_CHROMIUM");
  const std::string saved_chromium = chromium != nullptr ? chromium : "";
  ::setenv("PATH", dir.c_str(), 1);
  ::unsetenv("LLMPO_CHROMIUM");
  const CliRun run = run_cli_args({"bench", "--model", "Llama3-8B", "--concurrency", "1", "--out", dir, "--export-svg",
                                   dir + "/svg"});
  ::setenv("PATH", saved_path.c_str(), 1);
  if (chromium != nullptr) ::setenv("LLMPO_CHROMIUM", saved_chromium.c_str(), 1);
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--export-svg") && Contains("install Debian's `chromium`"));
  CHECK_FALSE(std::filesystem::exists(dir + "/svg"));
}

TEST_CASE("report of a search folder: the frontier points are the rows search.csv flags pareto") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("search-report");
  // The Llama-3-70B search at 600 requests per probe and 2 req/s, over three GPU types and one
  // max_num_seqs (12 candidates, not the file's 40: the page is the same kind): about half carry it.
  const CliRun run = run_cli_args({"search", example("search_llama3_70b.yaml"), "--set", "workload.num_requests=600", "--set",
                                   "search.target_rate_per_s=2", "--set", "search.gpus=[H100-SXM, A100-80GB-SXM, L40S]",
                                   "--set", "search.max_num_seqs=[256]", "--out", dir + "/out", "--report", "--jobs", "2"});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("wrote " + dir + "/out/report.html"));
  REQUIRE_FALSE(std::filesystem::exists(dir + "/out/summary.csv"));  // search.csv alone makes the page
  const json charts = charts_of(dir + "/out/report.html");
  const json& spec = chart(charts, "search");
  CHECK(spec["layer"][0]["encoding"]["y"]["title"] == "TTFT p90 at the target rate (ms)");
  CHECK(spec["layer"][1]["encoding"]["x"]["title"] == "cost ($/h)");

  using Point = std::tuple<std::string, int, double, double>;  // GPU, TP, $/h, TTFT p90 (ms)
  std::multiset<Point> frontier, flagged;
  std::size_t feasible = 0;
  for (const auto& v : spec["data"]["values"])
    if (v["pareto"].get<bool>())
      frontier.emplace(v["gpu"], v["tp"].get<int>(), v["cost"].get<double>(), v["latency"].get<double>());
  const auto csv = read_csv(dir + "/out/search.csv");
  for (std::size_t r = 1; r < csv.size(); ++r) {
    const auto row = row_of(csv, r);
    feasible += row.at("status") == "ok";
    if (row.at("pareto") == "true")
      flagged.emplace(row.at("gpu"), std::stoi(row.at("tensor_parallel_degree")), std::stod(row.at("cost_per_hour_usd")),
                      std::stod(row.at("ttft_p90_ms_at_target")));
  }
  CHECK(spec["data"]["values"].size() == feasible);
  REQUIRE_FALSE(flagged.empty());
  CHECK(frontier == flagged);
}

TEST_CASE("report of a capacity folder: one bar per deployment with capacity.csv's capacity in req/s") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("capacity-report");
  // vLLM and static batching at TP 2, 4, 8 with 300 requests per probe: six deployments.
  const CliRun run = run_cli_args({"capacity", example("capacity_llama3_70b.yaml"), "--set", "workload.num_requests=300",
                                   "--out", dir + "/out", "--report", "--quiet", "--jobs", "2"});
  REQUIRE(run.code == 0);
  CHECK(run.out.empty());
  const json charts = charts_of(dir + "/out/report.html");
  const json& spec = chart(charts, "capacity");
  const json& values = spec["data"]["values"];
  const auto csv = read_csv(dir + "/out/capacity.csv");
  REQUIRE(csv.size() == 7);
  REQUIRE(values.size() == 6);
  for (std::size_t r = 1; r < csv.size(); ++r) {
    CHECK(values[r - 1]["framework"] == row_of(csv, r).at("framework"));
    CHECK(values[r - 1]["capacity"].get<double>() == Approx(std::stod(row_of(csv, r).at("capacity"))));
  }
  CHECK(spec["vconcat"][0]["encoding"]["x"]["title"] == "capacity: highest request rate within the SLOs (req/s)");
}

TEST_CASE("report of a folder without results lists the files it looked for") {
  if (libraries_missing()) return;
  const std::string dir = fresh_dir("report-empty");
  const CliRun run = run_cli_args({"report", dir});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("summary.csv") && Contains("manifest.json") && Contains("search.csv") &&
                          Contains("capacity.csv"));
}
