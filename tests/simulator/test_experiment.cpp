// Experiment files end to end: what a user writes, what lands in the output folder.
#include <catch2/catch.hpp>

#include <map>

#include "experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

std::string swap_frameworks(const std::string& text) {
  const auto alpha = text.find("  - name: \"alpha\"");
  const auto beta = text.find("  - name: \"beta\"");
  return text.substr(0, alpha) + text.substr(beta) + text.substr(alpha, beta - alpha);
}

// Rows of `file` for framework `name`, with the run-index column dropped.
std::vector<std::string> rows_of(const std::string& dir, const std::string& file, const std::string& name) {
  const auto summary = read_csv(dir + "/summary.csv");
  std::string run;
  for (std::size_t i = 1; i < summary.size(); ++i)
    if (summary[i][column(summary, "framework")] == name) run = summary[i][0];
  std::vector<std::string> out;
  const auto csv = read_csv(dir + "/" + file);
  for (std::size_t i = 1; i < csv.size(); ++i) {
    if (csv[i][0] != run) continue;
    std::string joined;
    for (std::size_t c = 1; c < csv[i].size(); ++c) joined += csv[i][c] + ",";
    out.push_back(joined);
  }
  return out;
}

}  // namespace

TEST_CASE("experiment: the seed's snippet works verbatim with a hardware, workload and simulation section") {
  const std::string dir = fresh_dir("snippet");
  const std::string file = write_file(dir, "exp.yaml", R"(simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 4}
workload:
  arrival: {process: poisson, rate_per_s: 1}
  num_requests: 50
  prompt_tokens: {distribution: fixed, value: 256}
  output_tokens: {distribution: fixed, value: 32}
frameworks_to_test:
  - name: "vllm_llama3"
    type: "VLLM"
    config:
      model_profile_id: "Llama3-70B"
      gpu_id: "gpu0"
      tensor_parallel_degree: 4
)");
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/out/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "completed_requests")] == "50");
  CHECK(summary[1][column(summary, "tensor_parallel_degree")] == "4");
  CHECK_THAT(read_file(dir + "/out/manifest.json"), Contains("\"num_gpu_blocks\""));
}

TEST_CASE("experiment: two runs of one file give byte-identical outputs") {
  const std::string dir = fresh_dir("determinism");
  const std::string file = write_file(dir, "exp.yaml", kTwoFrameworks);
  std::map<std::string, std::string> first;
  for (int attempt = 0; attempt < 2; ++attempt) {
    REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--quiet"}).code == 0);
    for (const std::string name : {"summary.csv", "requests.csv", "timeseries.csv", "manifest.json"}) {
      const std::string content = read_file(dir + "/out/" + name);
      if (attempt == 0) first[name] = content;
      else CHECK(content == first[name]);
    }
  }
}

TEST_CASE("experiment: reordering frameworks_to_test does not change any framework's rows") {
  const std::string dir = fresh_dir("reorder");
  const std::string a = write_file(dir, "a.yaml", kTwoFrameworks);
  const std::string b = write_file(dir, "b.yaml", swap_frameworks(kTwoFrameworks));
  REQUIRE(run_cli_args({"run", a, "--out", dir + "/a", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", b, "--out", dir + "/b", "--quiet"}).code == 0);
  for (const std::string name : {"alpha", "beta"}) {
    INFO(name);
    CHECK(rows_of(dir + "/a", "summary.csv", name) == rows_of(dir + "/b", "summary.csv", name));
    CHECK(rows_of(dir + "/a", "requests.csv", name) == rows_of(dir + "/b", "requests.csv", name));
    CHECK(rows_of(dir + "/a", "timeseries.csv", name) == rows_of(dir + "/b", "timeseries.csv", name));
  }
}

TEST_CASE("experiment: every framework sees the identical requests") {
  const std::string dir = fresh_dir("same-requests");
  REQUIRE(run_cli_args({"run", write_file(dir, "exp.yaml", kTwoFrameworks), "--out", dir, "--quiet"}).code == 0);
  const auto requests = read_csv(dir + "/requests.csv");
  std::map<std::string, std::vector<std::string>> by_run;  // run -> "arrival,prompt,output" per request
  for (std::size_t i = 1; i < requests.size(); ++i)
    by_run[requests[i][0]].push_back(requests[i][column(requests, "arrival_s")] + "," +
                                     requests[i][column(requests, "prompt_tokens")] + "," +
                                     requests[i][column(requests, "output_tokens")]);
  REQUIRE(by_run.size() == 2);
  CHECK(by_run["0"] == by_run["1"]);
  CHECK(by_run["0"].size() == 400);
}

TEST_CASE("experiment: Little's law holds on every run's output within 2%") {
  // L, the time-average number of requests in the system, comes from timeseries.csv (running +
  // waiting, integrated by the engine from the frameworks' queues); lambda x W comes from the
  // per-request timestamps in summary.csv. vLLM only: static batching's running count includes
  // padding rows that have already finished.
  const std::string dir = fresh_dir("little");
  REQUIRE(run_cli_args({"run", write_file(dir, "exp.yaml", kTwoFrameworks), "--out", dir, "--quiet"}).code == 0);
  const auto summary = read_csv(dir + "/summary.csv");
  const auto series = read_csv(dir + "/timeseries.csv");
  for (std::size_t i = 1; i < summary.size(); ++i) {
    const std::string run = summary[i][0];
    const double throughput = std::stod(summary[i][column(summary, "request_throughput_req_per_s")]);
    const double e2el_s = std::stod(summary[i][column(summary, "mean_e2el_ms")]) / 1e3;
    const double duration_s = std::stod(summary[i][column(summary, "duration_s")]);
    // Both lines of the summary's own Little columns must agree exactly.
    CHECK(std::stod(summary[i][column(summary, "littles_mean_in_system")]) ==
          Approx(std::stod(summary[i][column(summary, "littles_throughput_x_e2el")])).epsilon(1e-6));
    if (summary[i][column(summary, "type")] != "VLLM") continue;
    double area = 0;  // request-seconds; each timeseries row covers one second (the default interval)
    for (std::size_t r = 1; r < series.size(); ++r) {
      if (series[r][0] != run) continue;
      const double start = std::stod(series[r][column(series, "t_s")]);
      const double width = std::min(1.0, duration_s - start);
      area += (std::stod(series[r][column(series, "running")]) + std::stod(series[r][column(series, "waiting")])) * width;
    }
    CHECK(area / duration_s == Approx(throughput * e2el_s).epsilon(0.02));
  }
}

TEST_CASE("experiment: a sweep runs the cartesian product, each point labelled") {
  const std::string dir = fresh_dir("sweep");
  std::string text = kTwoFrameworks;
  text += "sweep:\n  request_rate: [5, 10]\n  max_num_seqs: [16, 32, 64]\n";
  const CliRun run = run_cli_args({"run", write_file(dir, "exp.yaml", text), "--out", dir, "--quiet"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/summary.csv");
  REQUIRE(summary.size() == 1 + 2 * 3 * 2);  // 6 points x 2 frameworks
  CHECK(summary[1][column(summary, "point")] == "request_rate=5;max_num_seqs=16");
  CHECK(summary[12][column(summary, "point")] == "request_rate=10;max_num_seqs=64");
  CHECK(summary[12][column(summary, "request_rate_per_s")] == "10");
}

TEST_CASE("experiment: --set overrides a field and validate checks a file without running it") {
  const std::string dir = fresh_dir("set");
  const std::string file = write_file(dir, "exp.yaml", kTwoFrameworks);
  const CliRun valid = run_cli_args({"validate", file, "--set", "frameworks_to_test[0].config.tensor_parallel_degree=2"});
  CHECK(valid.code == 0);
  CHECK_THAT(valid.out, Contains("2 run(s)") && Contains("TP 2"));
  const CliRun bad = run_cli_args({"validate", file, "--set", "workload.arival.rate_per_s=3"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Contains("--set workload.arival.rate_per_s") && Contains("did you mean 'arrival'"));
}

TEST_CASE("experiment: input errors name file:line:col, the key path and what is valid") {
  const std::string dir = fresh_dir("errors");
  auto error_for = [&](const std::string& from, const std::string& to) {
    std::string text = kTwoFrameworks;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    const CliRun run = run_cli_args({"validate", write_file(dir, "bad.yaml", text)});
    CHECK(run.code == 2);
    return run.err;
  };
  const std::string file = dir + "/bad.yaml";
  CHECK_THAT(error_for("      max_num_seqs: 64", "      max_num_seq: 64"),
             Contains(file + ":17:7: frameworks_to_test[0].config.max_num_seq: unknown key 'max_num_seq'; did you mean 'max_num_seqs'?"));
  CHECK_THAT(error_for("gpu_id: \"gpu0\"\n      max", "gpu_id: \"gpu9\"\n      max"),
             Contains("frameworks_to_test[0].config.gpu_id: 'gpu9' is not defined in the hardware section (defined: gpu0)"));
  CHECK_THAT(error_for("type: \"STATIC\"", "type: \"STATC\""),
             Contains(file + ":19:5: frameworks_to_test[1].type: 'STATC' is not valid (valid: VLLM, STATIC, SGLANG); did you mean 'STATIC'?"));
  CHECK_THAT(error_for("      max_num_seqs: 64", "      max_num_seqs: 64\n      tensor_parallel_degree: 3"),
             Contains("TP 3 does not divide Llama3-8B's 32 attention heads / 8 KV heads"));
  CHECK_THAT(error_for("\"Llama3-8B\"\n      gpu_id: \"gpu0\"\n      max", "\"Llama3-70B\"\n      gpu_id: \"gpu0\"\n      max"),
             Contains("frameworks_to_test[0].config.model_profile_id: Llama3-70B on 1 x H100-SXM: does not fit"));
  CHECK_THAT(error_for("      max_num_seqs: 64", "      max_num_seqs: 64\n      num_replicas: 4"),
             Contains("= 4 GPUs, but hardware 'gpu0' has 2"));
  CHECK_THAT(error_for("  seed: 5", "  seed: -5"), Contains(file + ":2:9: simulation.seed: -5 is out of range"));
  CHECK_THAT(error_for("model_profile_id: \"Llama3-8B\"\n      gpu_id: \"gpu0\"\n      max", "model_profile_id: \"llama3.2:7b\"\n      gpu_id: \"gpu0\"\n      max"),
             Contains("frameworks_to_test[0].config.model_profile_id: 'llama3.2:7b' names no published model"));
}

TEST_CASE("experiment: the TP sweep example shows TP's effect on TTFT, TPOT and throughput") {
  const std::string dir = fresh_dir("tp-sweep");
  const CliRun run = run_cli_args({"run", llmpo::test::data_dir() + "/../../experiments/tp_sweep_llama3_70b.yaml", "--out",
                                   dir, "--quiet", "--no-requests"});
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto s = read_csv(dir + "/summary.csv");
  REQUIRE(s.size() == 4);  // TP 2, 4, 8
  auto value = [&](int row, const std::string& name) { return std::stod(s[static_cast<std::size_t>(row)][column(s, name)]); };
  CHECK(value(1, "tensor_parallel_degree") == 2);
  CHECK(value(3, "tensor_parallel_degree") == 8);
  // More GPUs per replica: faster decode steps and prefills...
  CHECK(value(3, "mean_tpot_ms") < value(2, "mean_tpot_ms"));
  CHECK(value(3, "mean_ttft_ms") < value(2, "mean_ttft_ms"));
  // ...and at TP 2 the KV cache is too small to keep up: lower throughput, preemptions.
  CHECK(value(1, "request_throughput_req_per_s") < 0.5 * value(2, "request_throughput_req_per_s"));
  CHECK(value(1, "preemptions") > 0);
  CHECK(value(2, "kv_num_gpu_blocks") > value(1, "kv_num_gpu_blocks"));
}

TEST_CASE("experiment: bulk decoding gives byte-identical outputs to stepping one decode at a time") {
  // Three deployments stress every path: preemption (a tiny cache), data parallelism with
  // routing, and a closed loop; plus a second point with a higher rate.
  const std::string dir = fresh_dir("bulk");
  const std::string file = write_file(dir, "exp.yaml", R"(simulation: {seed: 9, warmup_s: 1, cooldown_s: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload:
  arrival: {process: gamma, rate_per_s: 12, burstiness: 0.5}
  num_requests: 600
  prompt_tokens: {distribution: lognormal, mean: 600, stdev: 500, min: 8, max: 4000}
  output_tokens: {distribution: lognormal, mean: 200, stdev: 180, min: 1, max: 1500}
frameworks_to_test:
  - name: "tight_cache"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0", num_gpu_blocks: 400, max_num_seqs: 48}
  - name: "replicas"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0", num_replicas: 3, router: least_kv}
  - name: "tp2"
    type: "VLLM"
    config: {model_profile_id: "Llama3-70B", gpu_id: "gpu0", tensor_parallel_degree: 4, max_num_batched_tokens: 512, max_num_seqs: 128}
sweep:
  request_rate: [6, 24]
)");
  check_bulk_matches_stepping(file, dir);
}

TEST_CASE("experiment: bulk decoding gives the step-by-step outputs when runs end with completions that send at once") {
  // A decode run may end with the step in which requests emit their last token. A closed loop
  // with no think time and sessions whose next turn follows at once make those completions push
  // arrivals at the run's last instant; both must be seen exactly as stepping sees them (counts
  // of events included), with preemptions from a small cache on the way.
  const std::string dir = fresh_dir("bulk-completions");
  const std::string file = write_file(dir, "exp.yaml", R"(simulation: {seed: 4}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: closed_loop, clients: 12, think_time_s: 0}
  num_requests: 400
  prompt_tokens: {distribution: lognormal, mean: 300, stdev: 250, min: 4, max: 3000}
  output_tokens: {distribution: lognormal, mean: 120, stdev: 110, min: 1, max: 900}
frameworks_to_test:
  - name: "roomy"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
  - name: "tight_cache"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0", num_gpu_blocks: 150, max_num_seqs: 8}
)");
  const std::string sessions = write_file(dir, "sessions.yaml", R"(simulation: {seed: 5}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 3}
  num_requests: 150
  prompt_tokens: {distribution: lognormal, mean: 200, stdev: 150, min: 8, max: 2000}
  output_tokens: {distribution: lognormal, mean: 150, stdev: 120, min: 1, max: 800}
  sessions: {kind: chat, turns: {distribution: uniform, min: 1, max: 6}, think_time_s: {distribution: fixed, value: 0}}
  over_max_model_len: clip
frameworks_to_test:
  - name: "chat"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
)");
  check_bulk_matches_stepping(file, dir + "/closed");
  check_bulk_matches_stepping(sessions, dir + "/chat");
}

TEST_CASE("experiment: runs on several threads give the outputs of one thread") {
  const std::string dir = fresh_dir("jobs");
  std::string text = kTwoFrameworks;
  text += "sweep:\n  request_rate: [5, 10, 15]\n";
  const std::string file = write_file(dir, "exp.yaml", text);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/one", "--quiet", "--jobs", "1"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/four", "--quiet", "--jobs", "4"}).code == 0);
  for (const std::string name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    CHECK(read_file(dir + "/one/" + name) == read_file(dir + "/four/" + name));
  }
}
