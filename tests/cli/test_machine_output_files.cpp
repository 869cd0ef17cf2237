// `--format csv|json` of the commands that write CSV files (capacity, search, bench, fidelity):
// stdout carries the files' own columns and values - csv the main file byte for byte, json the
// same rows as JSON data - while the narrative goes to stderr.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cli/machine_output.hpp"
#include "simulator/md1_experiment.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::ordered_json;

namespace {

std::string profiles() { return data_dir() + "/profiles/generic.csv"; }

// The M/D/1 deployment: 10 ms per request, so a bisection over 10 .. 200 req/s takes a few
// short runs of 600 requests.
std::string capacity_file(const std::string& dir, const std::string& search) {
  return write_file(dir, "e.yaml",
                    md1_experiment("machine_md1", "{process: poisson, rate_per_s: 10}", 600,
                                   "capacity: {slo: {ttft_mean_ms: 30}, low: 10, high: 200}\n" + search));
}

}  // namespace

TEST_CASE("machine output: capacity prints capacity.csv as csv, and capacity.csv and capacity_log.csv as json") {
  const std::string dir = fresh_dir("machine-capacity");
  const std::string file = capacity_file(dir, "");
  const BinaryRun csv_run = run_binary({"capacity", file, "--out", dir + "/csv", "--format", "csv"});
  csv_of(csv_run);
  CHECK(csv_run.out == read_file(dir + "/csv/capacity.csv"));  // the very file
  CHECK_THAT(csv_run.err, Contains("step  1") && Contains("wrote " + dir + "/csv/capacity.csv"));

  const BinaryRun json_run = run_binary({"capacity", file, "--out", dir + "/json", "--format", "json"});
  const json j = json_of(json_run);
  REQUIRE(j.size() == 2);
  const CsvRows capacity = csv_file(dir + "/json/capacity.csv"), log = csv_file(dir + "/json/capacity_log.csv");
  check_rows(j["capacity"], capacity);
  check_rows(j["probes"], log);
  // Real values: one deployment of 1 GPU, its capacity between the bounds, every probe logged.
  REQUIRE(j["capacity"].size() == 1);
  const json& row = j["capacity"][0];
  CHECK(row["num_gpus"] == 1);
  CHECK(row["capacity"].get<double>() > 10);
  CHECK(row["capacity"].get<double>() < 200);
  CHECK(row["capacity_per_gpu"] == row["capacity"]);
  CHECK(row["probes"] == j["probes"].size());
  CHECK(row["ttft_mean_ms_at_capacity"].get<double>() <= 30);
  for (const auto& probe : j["probes"]) CHECK(probe["passed"].is_boolean());
  // The same seeded searches: json and csv give the same capacity.
  CHECK(csv_file(dir + "/csv/capacity.csv") == capacity);
}

TEST_CASE("machine output: search prints search.csv's rows, the top N as csv and cheapest, frontier, top and every candidate as json") {
  const std::string dir = fresh_dir("machine-search");
  // 150 req/s takes two 10 ms replicas (~80 req/s each within a 30 ms mean TTFT); TP 3 does not
  // divide Llama-3-8B's heads, so half the candidates are pruned.
  const std::string file = capacity_file(dir, R"(search:
  target_rate_per_s: 150
  gpus: [H100-SXM, A100-80GB-SXM]
  tensor_parallel_degree: [1, 3]
)");
  const BinaryRun json_run = run_binary({"search", file, "--out", dir + "/json", "--format", "json"});
  const json j = json_of(json_run);
  CHECK_THAT(json_run.err, Contains("4 candidates: 2 carry 150 req/s") && Contains("wrote "));
  const CsvRows all = csv_file(dir + "/json/search.csv");
  check_rows(j["candidates"], all);  // every row of the file
  REQUIRE(j["top"].size() == 2);
  CHECK(j["cheapest"] == j["top"][0]);
  // Each printed row is its candidate's row of search.csv, column for column.
  const auto file_row = [&](const json& row) {
    for (const auto& candidate : j["candidates"])
      if (candidate["gpu"] == row["gpu"] && candidate["tensor_parallel_degree"] == row["tensor_parallel_degree"])
        return candidate;
    FAIL("no candidate " << row.dump());
    return json();
  };
  for (const auto& section : {"top", "frontier"})
    for (const auto& row : j[section]) CHECK(row == file_row(row));
  for (const auto& row : j["top"]) {
    CHECK(row["status"] == "ok");
    CHECK(row["replicas"] == 2);
    CHECK(row["num_gpus"] == 2);
    CHECK(row["cost_per_hour_usd"].get<double>() == Approx(2 * row["price_per_gpu_hour_usd"].get<double>()));
  }
  CHECK(j["top"][0]["cost_per_hour_usd"].get<double>() <= j["top"][1]["cost_per_hour_usd"].get<double>());
  for (const auto& row : j["frontier"]) CHECK(row["pareto"] == true);

  const BinaryRun csv_run = run_binary({"search", file, "--out", dir + "/csv", "--format", "csv"});
  const CsvRows csv = csv_of(csv_run);
  CHECK(csv[0] == all[0]);  // search.csv's header: "cost_per_hour_usd", not "$/h"
  check_rows(j["top"], csv);
}

TEST_CASE("machine output: bench prints bench.csv, whole counts and an empty row for a skipped level") {
  const std::string dir = fresh_dir("machine-bench");
  // Level 4000 needs 40,000 KV blocks of 16 tokens: more than an H100 holds for Llama-3-8B, so
  // --check-oom skips it without simulating.
  const std::vector<std::string> args = {"bench", "--model", "Llama3-8B", "--concurrency", "1", "2", "4000",
                                         "--prompt-toks", "128", "--gen-toks", "32", "--check-oom"};
  std::vector<std::string> csv_args = with(args, "csv");
  csv_args.insert(csv_args.end(), {"--out", dir + "/csv"});
  const BinaryRun csv_run = run_binary(csv_args);
  csv_of(csv_run);
  CHECK(csv_run.out == read_file(dir + "/csv/bench.csv"));
  CHECK_THAT(csv_run.err, Contains("concurrency 1:\n  completed 1/1 requests"));

  std::vector<std::string> json_args = with(args, "json");
  json_args.insert(json_args.end(), {"--out", dir + "/json"});
  const json j = json_of(run_binary(json_args));
  const CsvRows file = csv_file(dir + "/json/bench.csv");
  check_rows(j, file);
  CHECK(file == csv_file(dir + "/csv/bench.csv"));  // simulated runs are deterministic
  REQUIRE(j.size() == 3);
  CHECK(j[0]["completed"] == 1);  // a count, not "1/1"
  CHECK(j[0]["requests"] == 1);
  CHECK(j[1]["completed"] == 2);
  CHECK(j[0]["peak_kv_blocks"] == 10);  // 128 + 32 tokens = 10 blocks of 16
  CHECK(j[1]["peak_kv_blocks"] == 20);
  CHECK(j[0]["total_throughput_tok_per_s"].get<double>() ==
        Approx(32 / j[0]["avg_latency_s"].get<double>()).epsilon(1e-4));
  CHECK(j[1]["status"] == "ok");
  CHECK(j[2]["status"] == "skipped (KV does not fit)");
  CHECK(j[2]["requests"] == 4000);
  CHECK(j[2]["completed"].is_null());
  CHECK(j[2]["peak_memory_GiB_per_gpu"].is_null());
}

TEST_CASE("machine output: fidelity prints --summary-csv's rows, and json the worst of --csv's rows") {
  const std::string dir = fresh_dir("machine-fidelity");
  const std::vector<std::string> args = {"fidelity", "--gpu", "A100-80GB-SXM", "--profiles", profiles(), "--worst", "3",
                                         "--csv", dir + "/rows.csv", "--summary-csv", dir + "/summary.csv"};
  const BinaryRun csv_run = run_binary(with(args, "csv"));
  csv_of(csv_run);
  CHECK(csv_run.out == read_file(dir + "/summary.csv"));
  CHECK_THAT(csv_run.err, Contains("wrote " + dir + "/summary.csv"));

  const json j = json_of(run_binary(with(args, "json")));
  const CsvRows summary = csv_file(dir + "/summary.csv"), rows = csv_file(dir + "/rows.csv");
  check_rows(j["groups"], summary);
  CHECK(j["groups"][0]["grouping"] == "all");
  CHECK(j["groups"][0]["rows"] == rows.size() - 1);  // every scored row
  // The worst rows are rows of rows.csv, largest |error| first.
  REQUIRE(j["worst"].size() == 3);
  double previous = 1e300;
  for (const auto& worst : j["worst"]) {
    const double error = std::abs(worst["error"].get<double>());
    CHECK(error <= previous);
    previous = error;
    bool found = false;
    for (std::size_t r = 1; r < rows.size() && !found; ++r) {
      if (row_map(rows, r).at("line") != worst["line"].dump()) continue;
      check_row(worst, rows[0], rows[r], {"range"});  // the measured data's size-bucket names
      found = true;
    }
    CHECK(found);
  }
}
