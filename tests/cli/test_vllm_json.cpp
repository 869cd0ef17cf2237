// `run --vllm-json`: each run as `vllm bench serve --save-result` JSON - the keys and JSON types
// vLLM writes, and the same values as summary.csv for the same run.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "json_type.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/experiment_helpers.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

// vllm/benchmarks/serve.py (vLLM commit 009e6d4a1cd6), --save-result with --percentile-metrics
// ttft,tpot,itl,e2el and --metric-percentiles 50,90,95,99 (this experiment's percentiles).
const std::vector<std::pair<std::string, std::string>> kVllmKeys = {
    {"date", "string"},          {"endpoint_type", "string"},    {"backend", "string"},
    {"label", "string"},         {"model_id", "string"},         {"tokenizer_id", "string"},
    {"num_prompts", "integer"},  {"request_rate", "number"},     {"burstiness", "number"},
    {"max_concurrency", "null"}, {"duration", "number"},         {"completed", "integer"},
    {"failed", "integer"},       {"total_input_tokens", "integer"}, {"total_output_tokens", "integer"},
    {"request_throughput", "number"}, {"request_goodput", "number"}, {"output_throughput", "number"},
    {"total_token_throughput", "number"}, {"latencies", "array"}, {"queue_times", "array"},
    {"max_output_tokens_per_s", "number"}, {"max_concurrent_requests", "integer"}, {"rtfx", "number"},
    {"mean_ttft_ms", "number"}, {"median_ttft_ms", "number"}, {"std_ttft_ms", "number"},
    {"p50_ttft_ms", "number"},  {"p90_ttft_ms", "number"},    {"p95_ttft_ms", "number"},  {"p99_ttft_ms", "number"},
    {"mean_tpot_ms", "number"}, {"median_tpot_ms", "number"}, {"std_tpot_ms", "number"},
    {"p50_tpot_ms", "number"},  {"p90_tpot_ms", "number"},    {"p95_tpot_ms", "number"},  {"p99_tpot_ms", "number"},
    {"mean_itl_ms", "number"},  {"median_itl_ms", "number"},  {"std_itl_ms", "number"},
    {"p50_itl_ms", "number"},   {"p90_itl_ms", "number"},     {"p95_itl_ms", "number"},   {"p99_itl_ms", "number"},
    {"mean_e2el_ms", "number"}, {"median_e2el_ms", "number"}, {"std_e2el_ms", "number"},
    {"p50_e2el_ms", "number"},  {"p90_e2el_ms", "number"},    {"p95_e2el_ms", "number"},  {"p99_e2el_ms", "number"},
};

// The one result file of a single-run experiment, by vLLM's name for it.
const char* kResultName = "vllm/vllm8b-8.0qps-Meta-Llama-3-8B-19700101-000000.json";

const char* kExperiment = R"(simulation:
  seed: 5
  percentiles: [50, 90, 95, 99]
  slo: {ttft_ms: 500}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 8}
  num_requests: 120
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 1, max: 128}
frameworks_to_test:
  - name: "vllm8b"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
)";

}  // namespace

TEST_CASE("vllm json: keys, order and JSON types are those vllm bench serve --save-result writes") {
  const std::string dir = fresh_dir("vjson");
  const std::string file = write_file(dir, "e.yaml", kExperiment);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"});
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(read_file(dir + "/out/" + kResultName));
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  std::vector<std::string> expected;
  for (const auto& [key, type] : kVllmKeys) expected.push_back(key);
  // nlohmann::json sorts keys; the file's own order is vLLM's (checked on the text below).
  std::vector<std::string> sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());
  CHECK(keys == sorted_expected);
  for (const auto& [key, type] : kVllmKeys) {
    INFO(key);
    CHECK(json_type(j.at(key)) == type);
  }
  const auto ordered = nlohmann::ordered_json::parse(read_file(dir + "/out/" + kResultName));
  std::vector<std::string> in_order;
  for (const auto& [key, value] : ordered.items()) in_order.push_back(key);
  CHECK(in_order == expected);
  CHECK(in_order == vllm_result_keys({50, 90, 95, 99}, false));
  CHECK(j["backend"] == "vllm");
  CHECK(j["model_id"] == "meta-llama/Meta-Llama-3-8B");
  CHECK(j["request_rate"] == 8.0);
  CHECK(j["burstiness"] == 1.0);
  CHECK(j["date"] == "19700101-000000");  // no wall clock in a simulation: the epoch, reproducibly
  CHECK(j["label"] == "vllm8b");
  CHECK(j["rtfx"] == 0.0);  // no audio input: vLLM's 0.0
  // Open-loop arrivals wait for no client-side slot: queue times 0; latencies as E2EL.
  REQUIRE(j["latencies"].size() == 120);
  for (const auto& q : j["queue_times"]) CHECK(q.get<double>() == 0.0);
  double latency_sum = 0;
  for (const auto& l : j["latencies"]) latency_sum += l.get<double>();
  CHECK(latency_sum / 120 * 1000 == Approx(j["mean_e2el_ms"].get<double>()).epsilon(1e-9));
}

TEST_CASE("vllm json: values equal summary.csv's for the same run") {
  const std::string dir = fresh_dir("vjson-values");
  const std::string file = write_file(dir, "e.yaml", kExperiment);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"}).code == 0);
  const auto j = nlohmann::json::parse(read_file(dir + "/out/" + kResultName));
  const auto rows = read_csv(dir + "/out/summary.csv");
  REQUIRE(rows.size() == 2);
  std::map<std::string, std::string> summary;
  for (std::size_t c = 0; c < rows[0].size(); ++c) summary[rows[0][c]] = rows[1][c];
  const std::map<std::string, std::string> same = {
      {"duration", "duration_s"},
      {"completed", "measured_requests"},
      {"failed", "rejected_requests"},
      {"total_input_tokens", "total_input_tokens"},
      {"total_output_tokens", "total_output_tokens"},
      {"request_throughput", "request_throughput_req_per_s"},
      {"request_goodput", "goodput_req_per_s"},
      {"output_throughput", "output_throughput_tok_per_s"},
      {"total_token_throughput", "total_token_throughput_tok_per_s"},
      {"num_prompts", "num_requests"},
      {"request_rate", "request_rate_per_s"},
  };
  for (const auto& [key, column] : same) {
    INFO(key << " vs " << column);
    CHECK(j.at(key).get<double>() == Approx(std::stod(summary.at(column))).margin(1e-6));
  }
  for (const char* metric : {"ttft", "tpot", "itl", "e2el"})
    for (const char* stat : {"mean", "median", "std", "p50", "p90", "p95", "p99"}) {
      const std::string key = std::string(stat) + "_" + metric + "_ms";
      INFO(key);
      CHECK(j.at(key).get<double>() == Approx(std::stod(summary.at(key))).margin(1e-6));
    }
}

TEST_CASE("vllm json detailed: per-request lists as vLLM's --save-detailed, consistent with the totals") {
  const std::string dir = fresh_dir("vjson-detailed");
  std::string text = kExperiment;
  text += "  - name: \"static\"\n    type: \"STATIC\"\n    config: {model_profile_id: \"Llama3-8B\", gpu_id: \"gpu0\", batch_size: 8}\n";
  const std::string file = write_file(dir, "e.yaml", text);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json-detailed", "--quiet"}).code == 0);
  REQUIRE(std::filesystem::exists(dir + "/out/vllm/static-8.0qps-Meta-Llama-3-8B-19700101-000000.json"));
  const auto j = nlohmann::ordered_json::parse(read_file(dir + "/out/" + kResultName));
  std::vector<std::string> in_order;
  for (const auto& [key, value] : j.items()) in_order.push_back(key);
  CHECK(in_order == vllm_result_keys({50, 90, 95, 99}, true));
  const std::size_t n = j["input_lens"].size();
  CHECK(n == 120);
  for (const char* key :
       {"output_lens", "ttfts", "itls", "latencies", "start_times", "queue_times", "generated_texts", "errors"}) {
    INFO(key);
    CHECK(j[key].size() == n);
  }
  int64_t input = 0, output = 0;
  double itl_sum = 0;
  int64_t itl_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    input += j["input_lens"][i].get<int64_t>();
    output += j["output_lens"][i].get<int64_t>();
    CHECK(j["generated_texts"][i] == "");
    CHECK(j["errors"][i] == "");
    CHECK(j["ttfts"][i].is_number_float());
    // vLLM: one gap per output token after the first; they add up to E2EL - TTFT.
    CHECK(j["itls"][i].size() == j["output_lens"][i].get<std::size_t>() - 1);
    double sum = 0;
    for (const auto& gap : j["itls"][i]) sum += gap.get<double>();
    CHECK(sum == Approx(j["latencies"][i].get<double>() - j["ttfts"][i].get<double>()).margin(1e-6));
    itl_sum += sum;
    itl_count += static_cast<int64_t>(j["itls"][i].size());
  }
  CHECK(input == j["total_input_tokens"].get<int64_t>());
  CHECK(output == j["total_output_tokens"].get<int64_t>());
  CHECK(itl_sum / static_cast<double>(itl_count) * 1000 == Approx(j["mean_itl_ms"].get<double>()).epsilon(1e-6));
  // A closed loop is `--request-rate inf --max-concurrency N`.
  const std::string closed = write_file(dir, "c.yaml", std::string(kExperiment).replace(
      std::string(kExperiment).find("{process: poisson, rate_per_s: 8}"), 33, "{process: closed_loop, clients: 4}"));
  REQUIRE(run_cli_args({"run", closed, "--out", dir + "/closed", "--vllm-json", "--quiet"}).code == 0);
  const auto c = nlohmann::json::parse(
      read_file(dir + "/closed/vllm/vllm8b-infqps-concurrency4-Meta-Llama-3-8B-19700101-000000.json"));
  CHECK(c["request_rate"] == "inf");
  CHECK(c["max_concurrency"] == 4);
  // vLLM queues every request at t = 0 behind its --max-concurrency semaphore: a request's
  // queue time is when it got a client, its send time; the first four go at once.
  REQUIRE(c["queue_times"].size() == 120);
  for (std::size_t i = 0; i < 4; ++i) CHECK(c["queue_times"][i].get<double>() == 0.0);
  CHECK(c["queue_times"][119].get<double>() > 0.0);
  CHECK(c["max_concurrent_requests"] == 4);  // never more than the four clients in flight
}
