// `compare` (two summary.csv side by side), `init` (a starter file that validates) and `bench`
// (the Llama profiler seed's concurrency sweep).
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

std::map<std::string, std::string> summary_row(const std::string& path, std::size_t row) {
  const auto rows = read_csv(path);
  std::map<std::string, std::string> out;
  for (std::size_t c = 0; c < rows[0].size(); ++c) out[rows[0][c]] = rows[row][c];
  return out;
}

}  // namespace

TEST_CASE("compare: matching runs side by side with absolute and relative differences") {
  const std::string dir = fresh_dir("compare");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/a", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/b", "--quiet", "--set", "workload.arrival.rate_per_s=10"}).code == 0);
  const std::string a = dir + "/a/summary.csv", b = dir + "/b/summary.csv";
  CliRun run = run_cli_args({"compare", a, b, "--format", "json"});
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(run.out);
  REQUIRE(j["runs"].size() == 2);
  CHECK(j["runs"][0]["framework"] == "alpha");
  const auto ra = summary_row(a, 1), rb = summary_row(b, 1);
  for (const char* metric : {"request_throughput_req_per_s", "mean_ttft_ms", "p99_e2el_ms"}) {
    INFO(metric);
    const auto& m = j["runs"][0]["metrics"][metric];
    const double va = std::stod(ra.at(metric)), vb = std::stod(rb.at(metric));
    CHECK(m["a"].get<double>() == va);
    CHECK(m["b"].get<double>() == vb);
    CHECK(m["difference"].get<double>() == Approx(vb - va));
    CHECK(m["relative"].get<double>() == Approx((vb - va) / va));
  }
  run = run_cli_args({"compare", a, b});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("2 matched run(s)") && Contains("(B-A)/A") && Contains("beta"));
  run = run_cli_args({"compare", a, b, "--format", "csv", "--metrics", "mean_ttft_ms"});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("framework,point,metric,a,b,difference,relative"));
  CHECK(std::count(run.out.begin(), run.out.end(), '\n') == 3);  // header + one row per run
  run = run_cli_args({"compare", a, b, "--metrics", "mean_tfft_ms"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--metrics") && Contains("mean_ttft_ms"));
  run = run_cli_args({"compare", a, b, "--format", "xml"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("valid: table, csv, json"));
}

TEST_CASE("init: writes a starter that validate accepts, and refuses to overwrite without --force") {
  const std::string dir = fresh_dir("init");
  const std::string path = dir + "/starter.yaml";
  CliRun run = run_cli_args({"init", path});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("wrote " + path));
  run = run_cli_args({"validate", path});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("valid - 1 sweep point(s), 1 run(s)"));
  run = run_cli_args({"init", path});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("exists already") && Contains("--force"));
  CHECK(run_cli_args({"init", path, "--force"}).code == 0);
  CHECK(run_cli_args({"run", path, "--out", dir + "/out", "--quiet"}).code == 0);
}

// Found in review: std::filesystem's throwing overloads turned a name the system refuses into an
// internal error (exit 1) instead of an input error.
TEST_CASE("init bench and report: a path longer than the system allows is an input error") {
  const std::string too_long = fresh_dir("long-name") + "/" + std::string(300, 'a');
  CliRun run = run_cli_args({"init", too_long + "/x.yaml"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("error: ") && !Contains("internal error"));
  run = run_cli_args({"bench", "--model", too_long, "--concurrency", "1"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("unknown model"));
  run = run_cli_args({"report", too_long});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("not a folder"));
}

TEST_CASE("bench: the Llama profiler seed's invocation, simulated on an H100") {
  const std::string dir = fresh_dir("bench");
  CliRun run = run_cli_args({"bench", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--concurrency", "1", "2",
                             "--prompt-toks", "128", "--gen-toks", "32", "--out", dir});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("concurrency 1:\n  completed 1/1 requests"));
  CHECK_THAT(run.out, Contains("concurrency 2:\n  completed 2/2 requests"));
  const auto rows = read_csv(dir + "/bench.csv");
  REQUIRE(rows.size() == 3);
  std::map<std::string, std::size_t> col;
  for (std::size_t c = 0; c < rows[0].size(); ++c) col[rows[0][c]] = c;
  // 32 tokens per request: throughput = completed x 32 / run time, and at 1 request the run
  // time is its latency.
  const double latency1 = std::stod(rows[1][col.at("avg_latency_s")]);
  CHECK(std::stod(rows[1][col.at("total_throughput_tok_per_s")]) == Approx(32 / latency1).epsilon(1e-4));
  // Peak memory: ~15 GiB of bf16 weights plus a little; one 160-token sequence holds 10 blocks.
  const double peak1 = std::stod(rows[1][col.at("peak_memory_GiB_per_gpu")]);
  CHECK(peak1 > 15.0);
  CHECK(peak1 < 20.0);
  CHECK(std::stoll(rows[1][col.at("peak_kv_blocks")]) == 10);
  CHECK(std::stoll(rows[2][col.at("peak_kv_blocks")]) == 20);
  CHECK(std::stod(rows[2][col.at("peak_memory_GiB_per_gpu")]) > peak1);
}

TEST_CASE("bench --verbose (the seed's flag): per level the steps and batch, and each request's timings") {
  const std::string dir = fresh_dir("bench-verbose");
  // Exactly the seed's example invocation, --verbose included.
  CliRun run = run_cli_args({"bench", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--concurrency", "1", "2",
                             "--prompt-toks", "128", "--gen-toks", "32", "--verbose", "--out", dir});
  REQUIRE(run.code == 0);
  // One prefill step makes the first token, 31 decode steps the rest: 32 steps at either level,
  // with both clients' requests in every step at concurrency 2.
  CHECK_THAT(run.out, Contains("engine steps 32, mean batch 1.00 sequences (peak 1), preemptions 0"));
  CHECK_THAT(run.out, Contains("engine steps 32, mean batch 2.00 sequences (peak 2), preemptions 0"));
  // Each request line: id, sent at 0 (every client starts at once), 128 prompt and 32 output
  // tokens, and latency = TTFT + 31 x TPOT.
  std::istringstream lines(run.out);
  std::string line;
  int requests = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    int64_t id = -1, prompt = 0, output = 0;
    double sent = -1, ttft_ms = 0, tpot_ms = 0, latency_s = 0;
    if (!(fields >> id >> sent >> prompt >> output >> ttft_ms >> tpot_ms >> latency_s)) continue;
    ++requests;
    CHECK(sent == 0.0);
    CHECK(prompt == 128);
    CHECK(output == 32);
    // Within the printed precision: latency to 0.5 ms, TTFT to 0.05 ms, TPOT to 0.005 ms (x 31).
    CHECK(latency_s == Approx((ttft_ms + 31 * tpot_ms) / 1000).epsilon(0).margin((0.5 + 0.05 + 31 * 0.005) / 1000));
  }
  CHECK(requests == 1 + 2);
}

TEST_CASE("bench --check-oom: reports the highest concurrency whose KV fits and skips the levels above") {
  const std::string dir = fresh_dir("bench-oom");
  CliRun run = run_cli_args({"bench", "--model", "Llama3-8B", "--gpu", "A10G", "--max-model-len", "4096", "--concurrency",
                             "1", "100000", "--prompt-toks", "2048", "--gen-toks", "2048", "--check-oom", "--out", dir});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Contains("check-oom: highest concurrency whose KV fits:"));
  CHECK_THAT(run.out, Contains("skipped: 100000 sequences need 25600000 KV blocks"));
  CHECK_THAT(read_file(dir + "/bench.csv"), Contains("100000,100000,,,,,,,,skipped (KV does not fit)"));
  run = run_cli_args({"bench", "--model", "Llama3-8B", "--concurrency", "two"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--concurrency") && Contains("whole numbers"));
}

TEST_CASE("replay, compare, init and bench answer --help with their options") {
  for (const std::string command : {"replay", "compare", "init", "bench"}) {
    INFO(command);
    const CliRun run = run_cli_args({command, "--help"});
    CHECK(run.code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("usage: llmperforacle " + command));
  }
  CHECK_THAT(run_cli_args({"run", "--help"}).out, Contains("--vllm-json-detailed"));
}
