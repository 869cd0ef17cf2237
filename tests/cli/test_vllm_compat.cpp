// `vllm bench serve` spoken back: the result keys and the printed "Serving Benchmark Result" block
// against what vLLM itself wrote and printed (tests/data/vllm_results/, see its README), vLLM's
// file names, its peak figures worked by hand, and `bench --request-rate` open-loop traffic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json_type.hpp"
#include "simulator/cli/bench_load.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/experiment_helpers.hpp"
#include "simulator/metrics/vllm_peaks.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/workload/workload.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The experiment of the printed block's run, shape for shape: Poisson arrivals at a finite rate,
// no concurrency cap, no SLO (no goodput line), percentiles 50, 90, 95, 99.
const char* kPoisson = R"(simulation:
  seed: 3
  percentiles: [50, 90, 95, 99]
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 4}
  num_requests: 60
  prompt_tokens: {distribution: uniform, min: 64, max: 512}
  output_tokens: {distribution: uniform, min: 2, max: 64}
frameworks_to_test:
  - name: "sim"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
)";

// The lines of the first "Serving Benchmark Result" block in `text`.
std::vector<std::string> block_in(const std::string& text) {
  std::vector<std::string> block;
  bool inside = false;
  for (const auto& line : lines_of(text)) {
    if (line == "============ Serving Benchmark Result ============") inside = true;
    if (!inside) continue;
    block.push_back(line);
    if (line == std::string(50, '=')) break;
  }
  return block;
}

Workload workload_of(const std::string& workload_yaml, uint64_t seed) {
  StrictMap root(load_yaml_string("workload: " + workload_yaml, "bench.yaml"), "bench.yaml", "");
  StrictMap section = root.get_map("workload");
  return generate_workload(parse_workload(section), seed, 0);
}

// Mean and coefficient of variation of the gaps between consecutive arrivals (the first from 0).
std::pair<double, double> gap_mean_cv(const Workload& w) {
  std::vector<double> gaps;
  double previous = 0;
  for (const auto& r : w.requests) {
    const double t = static_cast<double>(r.arrival_ns) * 1e-9;
    gaps.push_back(t - previous);
    previous = t;
  }
  double mean = 0;
  for (double g : gaps) mean += g;
  mean /= static_cast<double>(gaps.size());
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  var /= static_cast<double>(gaps.size());
  return {mean, std::sqrt(var) / mean};
}

}  // namespace

TEST_CASE("vllm compat: --vllm-json writes the keys of a real vLLM 0.18.0 result, in its order, plus the two added since") {
  const auto real = nlohmann::ordered_json::parse(read_file(data_dir() + "/vllm_results/vllm_0.18.0_random_rate1.json"));
  // That run used vLLM's defaults: --metric-percentiles 99, --percentile-metrics ttft,tpot,itl.
  const std::string dir = fresh_dir("vcompat-keys");
  std::string text = kPoisson;
  text.replace(text.find("[50, 90, 95, 99]"), 16, "[99]");
  const std::string file = write_file(dir, "e.yaml", text);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"}).code == 0);
  const auto ours =
      nlohmann::ordered_json::parse(read_file(dir + "/out/vllm/sim-4.0qps-Meta-Llama-3-8B-19700101-000000.json"));
  std::vector<std::string> ours_kept;  // less what vLLM added after 0.18.0 and the E2EL statistics
  for (const auto& [key, value] : ours.items()) {
    if (key == "latencies" || key == "queue_times" || key.find("_e2el_ms") != std::string::npos) continue;
    ours_kept.push_back(key);
  }
  std::vector<std::string> theirs;
  for (const auto& [key, value] : real.items()) theirs.push_back(key);
  CHECK(ours_kept == theirs);
  for (const auto& [key, value] : real.items()) {
    INFO(key);
    // Same JSON types; null where vLLM had null for the same reason (no --goodput, no
    // --max-concurrency). The label is the run's name, as vLLM writes `--label NAME` (that run
    // gave none: null).
    if (key == "label") CHECK(ours.at(key) == "sim");
    else CHECK(json_type(ours.at(key)) == json_type(value));
  }
  // Where serve.py at 009e6d4a1cd6 puts the two newer keys: between total_token_throughput and
  // max_output_tokens_per_s (the detailed lists it drops sat there); E2EL after ITL.
  std::vector<std::string> order;
  for (const auto& [key, value] : ours.items()) order.push_back(key);
  const auto at = [&](const std::string& key) { return std::find(order.begin(), order.end(), key) - order.begin(); };
  CHECK(at("latencies") == at("total_token_throughput") + 1);
  CHECK(at("queue_times") == at("latencies") + 1);
  CHECK(at("max_output_tokens_per_s") == at("queue_times") + 1);
  CHECK(at("mean_e2el_ms") == at("p99_itl_ms") + 1);
  CHECK(order.back() == "p99_e2el_ms");
  CHECK(order == vllm_result_keys({99}, false));
}

TEST_CASE("vllm compat: run prints vLLM's Serving Benchmark Result block, line for line as vLLM printed it") {
  const auto real = lines_of(read_file(data_dir() + "/vllm_results/serving_benchmark_result_rate0.2.txt"));
  REQUIRE(real.size() == 41);  // the rule, 11 figures, 4 sections of 1 + 6 lines, the rule
  const std::string dir = fresh_dir("vcompat-block");
  const std::string file = write_file(dir, "e.yaml", kPoisson);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out"});
  REQUIRE(run.code == 0);
  const auto ours = block_in(run.out);
  REQUIRE(ours.size() == real.size());
  for (std::size_t i = 0; i < real.size(); ++i) {
    INFO("line " << i << ": '" << ours[i] << "' vs vLLM's '" << real[i] << "'");
    if (real[i].size() <= 41 || real[i][0] == '=' || real[i][0] == '-') {
      CHECK(ours[i] == real[i]);  // the rules and their titles
      continue;
    }
    // Label and its padding to 40 columns and one space, exactly.
    CHECK(ours[i].substr(0, 41) == real[i].substr(0, 41));
    // The value: a whole number, or two decimals, where vLLM has one; padded to 10 columns.
    const std::string theirs_value = real[i].substr(41), ours_value = ours[i].substr(41);
    CHECK(ours_value.size() == std::max<std::size_t>(10, ours_value.find(' ') == std::string::npos
                                                             ? ours_value.size()
                                                             : ours_value.find(' ')));
    const bool decimals = theirs_value.find('.') != std::string::npos;
    const auto value_end = ours_value.find(' ');
    const std::string number = ours_value.substr(0, value_end);
    CHECK((number.find('.') != std::string::npos) == decimals);
    if (decimals) CHECK(number.size() - number.find('.') == 3);
  }
  // The numbers are the run's own: the JSON of the same run holds them.
  const CliRun json_run = run_cli_args({"run", file, "--out", dir + "/out2", "--vllm-json", "--quiet"});
  REQUIRE(json_run.code == 0);
  const auto j = nlohmann::json::parse(read_file(dir + "/out2/vllm/sim-4.0qps-Meta-Llama-3-8B-19700101-000000.json"));
  CHECK(ours[1] == fmt::format("{:<40} {:<10}", "Successful requests:", j["completed"].get<int64_t>()));
  CHECK(ours[10] == fmt::format("{:<40} {:<10.2f}", "Peak concurrent requests:", j["max_concurrent_requests"].get<double>()));
  CHECK(ours[39] == fmt::format("{:<40} {:<10.2f}", "P99 E2EL (ms):", j["p99_e2el_ms"].get<double>()));

  // The run table below the blocks gives E2EL in ms too, like every other latency on screen.
  std::vector<std::string> header_cells, row_cells;
  for (const std::string& line : lines_of(run.out)) {
    std::istringstream words(line);
    std::vector<std::string> cells;
    for (std::string w; words >> w;) cells.push_back(w);
    if (line.starts_with("run ")) header_cells = cells;
    if (line.starts_with("0 ")) row_cells = cells;
  }
  const auto at = std::find(header_cells.begin(), header_cells.end(), "E2EL");
  REQUIRE(at != header_cells.end());
  REQUIRE(at + 2 < header_cells.end());
  CHECK(*(at + 2) == "ms");
  // Titles are several words, so the row is searched for the value rather than indexed.
  const double mean_e2el_ms = j["mean_e2el_ms"].get<double>();
  CHECK(std::find(row_cells.begin(), row_cells.end(), fmt::format("{:.1f}", mean_e2el_ms)) != row_cells.end());
}

TEST_CASE("vllm compat: under --format csv the blocks go to stderr, stdout keeps only the CSV") {
  const std::string dir = fresh_dir("vcompat-csv");
  const std::string file = write_file(dir, "e.yaml", kPoisson);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out", "--format", "csv"});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.err, Contains("Serving Benchmark Result"));
  CHECK_THAT(run.out, !Contains("Serving Benchmark Result"));
  CHECK(lines_of(run.out).size() == 2);  // header + the one run
  const CliRun quiet = run_cli_args({"run", file, "--out", dir + "/out", "--quiet"});
  CHECK_THAT(quiet.out + quiet.err, !Contains("Serving Benchmark Result"));
}

TEST_CASE("vllm compat: file names as vLLM's compute_result_filename, with Python's str(float) rate") {
  CHECK(python_float_text(4) == "4.0");
  CHECK(python_float_text(0.25) == "0.25");
  CHECK(python_float_text(1.0 / 3) == "0.3333333333333333");
  CHECK(python_float_text(1e-5) == "1e-05");
  CHECK(python_float_text(0.0001) == "0.0001");
  CHECK(python_float_text(1e16) == "1e+16");
  CHECK(python_float_text(1.5e16) == "1.5e+16");
  CHECK(python_float_text(123456789012345.0) == "123456789012345.0");
  CHECK(python_float_text(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(vllm_percentile_word(99) == "99");
  CHECK(vllm_percentile_word(99.9) == "99.9");

  nlohmann::ordered_json result = {{"date", "20260101-093000"}, {"label", "tp4/run"},
                                   {"model_id", "meta-llama/Llama-3.1-8B-Instruct"}, {"request_rate", 2.5},
                                   {"max_concurrency", nullptr}};
  CHECK(vllm_result_name(result) == "vllm/tp4_run-2.5qps-Llama-3.1-8B-Instruct-20260101-093000.json");
  result["request_rate"] = "inf";
  result["max_concurrency"] = 16;
  CHECK(vllm_result_name(result) == "vllm/tp4_run-infqps-concurrency16-Llama-3.1-8B-Instruct-20260101-093000.json");
}

TEST_CASE("vllm compat: the date is reproducible - the epoch, or $SOURCE_DATE_EPOCH in UTC") {
  const char* before = std::getenv("SOURCE_DATE_EPOCH");
  const std::string saved = before ? before : "";
  unsetenv("SOURCE_DATE_EPOCH");
  CHECK(vllm_result_date() == "19700101-000000");
  setenv("SOURCE_DATE_EPOCH", "1767259800", 1);  // 2026-01-01 09:30:00 UTC
  CHECK(vllm_result_date() == "20260101-093000");
  setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  CHECK_THROWS_WITH(vllm_result_date(), Contains("SOURCE_DATE_EPOCH") && Contains("whole seconds since 1970"));
  if (before) setenv("SOURCE_DATE_EPOCH", saved.c_str(), 1);
  else unsetenv("SOURCE_DATE_EPOCH");

  // Two runs of one experiment: the same files, byte for byte, manifest included.
  const std::string dir = fresh_dir("vcompat-determinism");
  const std::string file = write_file(dir, "e.yaml", kPoisson);
  std::string first_json, first_manifest;
  for (int attempt = 0; attempt < 2; ++attempt) {
    REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"}).code == 0);
    const std::string json = read_file(dir + "/out/vllm/sim-4.0qps-Meta-Llama-3-8B-19700101-000000.json");
    auto manifest = nlohmann::json::parse(read_file(dir + "/out/manifest.json"));
    manifest.erase("command");
    if (attempt == 0) {
      first_json = json;
      first_manifest = manifest.dump();
    } else {
      CHECK(json == first_json);
      CHECK(manifest.dump() == first_manifest);
    }
  }
}

TEST_CASE("vllm compat: peak output tokens per second and peak concurrency, worked by hand") {
  constexpr SimTime s = kNsPerSecond;
  // Three requests: A [0, 2.5 s), B [0.5, 1.0 s), C [1.0, 3.2 s).
  const std::vector<std::pair<SimTime, SimTime>> intervals = {{0, 5 * s / 2}, {s / 2, s}, {s, 32 * s / 10}};
  // Tokens at 0.2 s (1), 0.6 s (2), 0.9 s (1), 1.0 s (1), 1.5 s (2), 2.4 s (1), 3.1 s (1).
  const std::vector<RunResult::TokenBurst> bursts = {{2 * s / 10, 1}, {6 * s / 10, 2}, {9 * s / 10, 1}, {s, 1},
                                                    {15 * s / 10, 2}, {24 * s / 10, 1}, {31 * s / 10, 1}};
  const VllmPeaks peaks = vllm_peaks_of(intervals, bursts);
  // Seconds since the first start: [0, 1) holds 1 + 2 + 1 = 4 tokens, [1, 2) 1 + 2 = 3, [2, 3) 1, [3, 4) 1.
  CHECK(peaks.max_output_tokens_per_s == 4.0);
  // At 1.0 s B ends as C starts: half-open intervals, so 2 in flight, never 3.
  CHECK(peaks.max_concurrent_requests == 2);

  // Buckets count from the first start, not from whole seconds of the clock: with every time
  // shifted by 10.3 s, 11.29 s falls in the first bucket and 11.31 s in the second.
  const SimTime shift = 103 * s / 10;
  const std::vector<std::pair<SimTime, SimTime>> late = {{shift, shift + 2 * s}};
  const std::vector<RunResult::TokenBurst> late_tokens = {{shift + 99 * s / 100, 3}, {shift + 101 * s / 100, 2}};
  CHECK(vllm_peaks_of(late, late_tokens).max_output_tokens_per_s == 3.0);
  CHECK(vllm_peaks_of({}, {}).max_concurrent_requests == 0);  // no successful request: vLLM's zeros
}

TEST_CASE("vllm compat: a closed loop of one client has one request in flight at a time") {
  const std::string dir = fresh_dir("vcompat-one-client");
  std::string text = kPoisson;
  text.replace(text.find("{process: poisson, rate_per_s: 4}"), 33, "{process: closed_loop, clients: 1}");
  const std::string file = write_file(dir, "e.yaml", text);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"}).code == 0);
  const auto j = nlohmann::json::parse(
      read_file(dir + "/out/vllm/sim-infqps-concurrency1-Meta-Llama-3-8B-19700101-000000.json"));
  CHECK(j["max_concurrent_requests"] == 1);
  // One client decodes one token per step: never more tokens in a second than steps fit in it,
  // and at least the mean output rate in the fullest second.
  CHECK(j["max_output_tokens_per_s"].get<double>() >= j["output_throughput"].get<double>() * 0.999);
  CHECK(j["max_output_tokens_per_s"].get<double>() <= 1000.0 / j["mean_itl_ms"].get<double>() * 1.5 + 1);
}

TEST_CASE("bench --request-rate: open-loop arrivals at the rate, gamma burstiness sets the gaps' CV") {
  // Poisson at 5 req/s: gaps Exp(5), mean 0.2 s, CV 1. 4000 gaps: the mean's standard error is
  // 0.2 / sqrt(4000) = 0.0032 s (tolerance 4 of them); the CV's about 1/sqrt(4000) x ~1.4.
  const Workload poisson = workload_of(open_loop_yaml({5.0, 1.0, std::nullopt}, 4000, 64, 8), 1);
  REQUIRE(poisson.requests.size() == 4000);
  const auto [poisson_mean, poisson_cv] = gap_mean_cv(poisson);
  CHECK(poisson_mean == Approx(0.2).margin(4 * 0.2 / std::sqrt(4000.0)));
  CHECK(poisson_cv == Approx(1.0).margin(0.1));
  // Gamma with shape B: CV = 1 / sqrt(B) - 2 for B = 0.25 (burstier), 0.5 for B = 4 (smoother);
  // the mean stays 1/R.
  for (const double b : {0.25, 4.0}) {
    INFO("burstiness " << b);
    const Workload gamma = workload_of(open_loop_yaml({5.0, b, std::nullopt}, 4000, 64, 8), 1);
    const auto [mean, cv] = gap_mean_cv(gamma);
    CHECK(mean == Approx(0.2).margin(4 * 0.2 / std::sqrt(b) / std::sqrt(4000.0)));
    CHECK(cv == Approx(1 / std::sqrt(b)).epsilon(0.12));
  }
  // inf: everything at t = 0; with --max-concurrency, C clients.
  const Workload all = workload_of(open_loop_yaml({std::numeric_limits<double>::infinity(), 1.0, std::nullopt}, 50, 64, 8), 1);
  CHECK(all.closed_loop);
  CHECK(all.clients == 50);
  const Workload capped = workload_of(open_loop_yaml({std::numeric_limits<double>::infinity(), 1.0, 8}, 50, 64, 8), 1);
  CHECK(capped.clients == 8);
}

TEST_CASE("bench --request-rate: one row per rate, vLLM's block per rate, input errors name the flag") {
  const std::string dir = fresh_dir("vcompat-bench");
  const CliRun run = run_cli_args({"bench", "--model", "Llama3-8B", "--request-rate", "2", "4", "inf", "--num-prompts",
                                   "100", "--prompt-toks", "64", "--gen-toks", "16", "--out", dir});
  REQUIRE(run.code == 0);
  const auto rows = read_csv(dir + "/bench.csv");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][0] == "request_rate");
  CHECK(rows[1][0] == "2");
  CHECK(rows[2][0] == "4");
  CHECK(rows[3][0] == "inf");
  for (std::size_t r = 1; r < 4; ++r) CHECK(rows[r][1] == "100");
  // One block per rate; a finite rate prints its configured rate, inf none and no cap.
  std::size_t blocks = 0;
  for (std::size_t at = run.out.find("Serving Benchmark Result"); at != std::string::npos;
       at = run.out.find("Serving Benchmark Result", at + 1))
    ++blocks;
  CHECK(blocks == 3);
  CHECK_THAT(run.out, Contains(fmt::format("{:<40} {:<10.2f}", "Request rate configured (RPS):", 2.0)));
  CHECK_THAT(run.out, Contains(fmt::format("{:<40} {:<10.2f}", "Request rate configured (RPS):", 4.0)));
  CHECK_THAT(run.out, !Contains("Maximum request concurrency:"));
  // vLLM's default --metric-percentiles 99: P99 lines only.
  CHECK_THAT(run.out, Contains("P99 TTFT (ms):") && !Contains("P50 TTFT (ms):"));

  const CliRun capped = run_cli_args({"bench", "--model", "Llama3-8B", "--request-rate", "inf", "--max-concurrency", "4",
                                      "--num-prompts", "20", "--out", dir + "/c"});
  REQUIRE(capped.code == 0);
  CHECK_THAT(capped.out, Contains(fmt::format("{:<40} {:<10}", "Maximum request concurrency:", 4)));
  CHECK_THAT(capped.out, Contains(fmt::format("{:<40} {:<10.2f}", "Peak concurrent requests:", 4.0)));

  const auto error_of = [&](const std::vector<std::string>& args) {
    const CliRun r = run_cli_args(args);
    CHECK(r.code == 2);
    return r.err;
  };
  CHECK_THAT(error_of({"bench", "--model", "Llama3-8B", "--request-rate", "fast"}),
             Contains("--request-rate") && Contains("'fast' is not a request rate"));
  CHECK_THAT(error_of({"bench", "--model", "Llama3-8B", "--request-rate", "2", "--max-concurrency", "4"}),
             Contains("--max-concurrency") && Contains("--request-rate inf"));
  CHECK_THAT(error_of({"bench", "--model", "Llama3-8B", "--request-rate", "2", "--concurrency", "4"}),
             Contains("exclude each other"));
  CHECK_THAT(error_of({"bench", "--model", "Llama3-8B", "--concurrency", "4", "--burstiness", "0.5"}),
             Contains("--burstiness") && Contains("--request-rate"));
  CHECK_THAT(error_of({"bench", "--model", "Llama3-8B", "--request-rate", "2", "--burstiness", "0"}), Contains("--burstiness"));
}

TEST_CASE("vllm compat: a run resumed from an earlier command keeps the vLLM file it wrote, listed by its name") {
  const std::string dir = fresh_dir("vcompat-resume");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  // The first command simulates run 0 only (a shard); the second resumes it and runs run 1.
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--vllm-json", "--shard", "0/2"}).code == 0);
  const std::string alpha = "vllm/alpha-20.0qps-Meta-Llama-3-8B-19700101-000000.json";
  const std::string beta = "vllm/beta-20.0qps-Meta-Llama-3-8B-19700101-000000.json";
  REQUIRE(std::filesystem::exists(out + "/" + alpha));
  REQUIRE_FALSE(std::filesystem::exists(out + "/" + beta));
  const std::string alpha_text = read_file(out + "/" + alpha);
  const CliRun resumed = run_cli_args({"run", file, "--out", out, "--vllm-json", "--resume"});
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.out, Contains("1 of 2 runs already finished"));
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(manifest["files"].contains(alpha));
  CHECK(manifest["files"].contains(beta));
  CHECK(read_file(out + "/" + alpha) == alpha_text);
  // Only the run simulated by this command prints its block.
  CHECK_THAT(resumed.out, Contains("run 1: beta") && !Contains("run 0: alpha"));
}

TEST_CASE("vllm compat: the peaks equal vLLM's calculate_metrics run on the run's own detailed lists") {
  const std::string dir = fresh_dir("vcompat-peaks");
  const std::string file = write_file(dir, "e.yaml", kPoisson);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json-detailed", "--quiet"}).code == 0);
  const std::string name = "/vllm/sim-4.0qps-Meta-Llama-3-8B-19700101-000000.json";
  const auto j = nlohmann::json::parse(read_file(dir + "/out" + name));
  // vLLM's algorithm on the saved lists: token times start + ttft + running sum of itls, bucketed
  // by int(t - min start) over int(ceil(max end - min start)) + 1 buckets; the sweep over
  // [start, start + latency) with ends first at ties.
  const std::size_t n = j["start_times"].size();
  double min_start = 1e300, max_end = -1e300;
  for (std::size_t i = 0; i < n; ++i) {
    min_start = std::min(min_start, j["start_times"][i].get<double>());
    max_end = std::max(max_end, j["start_times"][i].get<double>() + j["latencies"][i].get<double>());
  }
  std::vector<double> buckets(static_cast<std::size_t>(std::ceil(max_end - min_start)) + 1, 0.0);
  std::vector<std::pair<double, int>> events;
  for (std::size_t i = 0; i < n; ++i) {
    const double start = j["start_times"][i].get<double>();
    double t = start + j["ttfts"][i].get<double>();
    buckets[static_cast<std::size_t>(t - min_start)] += 1;
    for (const auto& gap : j["itls"][i]) {
      t += gap.get<double>();
      buckets[static_cast<std::size_t>(t - min_start)] += 1;
    }
    events.emplace_back(start, 1);
    events.emplace_back(start + j["latencies"][i].get<double>(), -1);
  }
  std::sort(events.begin(), events.end());
  int64_t in_flight = 0, peak = 0;
  for (const auto& e : events) peak = std::max(peak, in_flight += e.second);
  CHECK(j["max_output_tokens_per_s"].get<double>() == *std::max_element(buckets.begin(), buckets.end()));
  CHECK(j["max_concurrent_requests"].get<int64_t>() == peak);
  CHECK(peak > 1);  // the run overlaps requests: the sweep is exercised

  // Decoding runs of identical steps in one go records the same bursts as stepping.
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/stepped", "--vllm-json-detailed", "--quiet", "--step-by-step"}).code == 0);
  CHECK(read_file(dir + "/stepped" + name) == read_file(dir + "/out" + name));
}

TEST_CASE("vllm compat: a resumed run finds its file by vLLM's name, whatever rate Python printed, and nothing else") {
  const std::string dir = fresh_dir("vcompat-find");
  const std::string vllm = dir + "/vllm";
  std::filesystem::create_directories(vllm);
  const std::string date = "19700101-000000", tail = "-Meta-Llama-3-8B-" + date + ".json";
  const auto found_with = [&](const std::string& middle) {
    std::filesystem::remove_all(vllm);
    std::filesystem::create_directories(vllm);
    write_file(vllm, "sim-" + middle + tail, "{}\n");
    return find_vllm_result(dir, "sim", "meta-llama/Meta-Llama-3-8B", date);
  };
  // Python's str(float): 4.0, 0.25, 1e-05, 2.5e+20, inf; with --max-concurrency, -concurrency<N>.
  for (const std::string middle : {"4.0qps", "0.25qps", "1e-05qps", "2.5e+20qps", "infqps", "4.0qps-concurrency64"})
    CHECK(found_with(middle) == "vllm/sim-" + middle + tail);
  // Not what vLLM writes: an int rate, a bare point, a multi-digit mantissa, a missing count.
  for (const std::string middle : {"4qps", "4.qps", ".5qps", "25e-05qps", "1e5qps", "4.0qps-concurrency", "4.0", "x4.0qps"})
    CHECK(found_with(middle).empty());
}
