// `--format csv|json` of the commands that write no CSV file (memory, recommend, roofline, step,
// calibrate, replay, compare, perf): their documented snake_case columns with units in the
// names, numbers as full-precision numbers without separators or suffixes, true/false, and the
// same values in csv as in json. Each check asserts real values, so a display table or a
// rounded figure in a machine format fails it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "cli/machine_output.hpp"
#include "simulator/util/data_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::ordered_json;

namespace {

// A number at full precision is the shortest text of its double: "4", never "4.000000".
bool shortest(const std::string& cell) {
  return !is_number_text(cell) || cell.find_first_of("eE") != std::string::npos ||
         cell.find('.') == std::string::npos || cell.back() != '0';
}

// A --format json object and a --format csv record (a header and one row) hold the same data.
json same_record(const std::vector<std::string>& args) {
  const json object = json_of(run_binary(with(args, "json")));
  const CsvRows csv = csv_of(run_binary(with(args, "csv")));
  REQUIRE(csv.size() == 2);
  check_row(object, csv[0], csv[1]);
  for (const auto& cell : csv[1]) CHECK(shortest(cell));
  return object;
}

std::vector<std::string> names(const json& object) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.items()) out.push_back(key);
  return out;
}

}  // namespace

TEST_CASE("machine output: memory is one record in bytes and tokens, the same in csv and json") {
  const json j = same_record({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "4", "--context", "4096"});
  CHECK(j["kv_bytes_per_token_model"] == 327680);  // 2 x 80 layers x 8 KV heads x 128 x 2 B
  CHECK(j["kv_bytes_per_token_per_gpu"] == 327680 / 4);
  // 70.55e9 bf16 parameters over TP 4: about 32.86 GiB, as bytes.
  CHECK(j["weight_bytes_per_gpu"].get<double>() / (1024.0 * 1024 * 1024) == Approx(32.86).epsilon(1e-3));
  CHECK(j["kv_capacity_tokens"] == j["num_gpu_blocks"].get<int64_t>() * 16);
  CHECK(j["concurrent_seqs_at_4096_tokens"].get<int64_t>() == j["kv_capacity_tokens"].get<int64_t>() / 4096);
  CHECK(j["fits"] == true);
  CHECK(j["tensor_parallel"] == 4);

  // Unequal GPUs: one row per GPU, json's "gpus" being the csv's rows.
  const std::vector<std::string> split = {"memory", "--model", "Llama2-13B", "--gpus", "24,12", "--quantization", "awq",
                                          "--max-model-len", "4096"};
  const json split_json = json_of(run_binary(with(split, "json")));
  const BinaryRun split_csv = run_binary(with(split, "csv"));
  check_rows(split_json["gpus"], csv_of(split_csv));
  CHECK(split_json["gpus"][0]["memory_bytes"] == 24.0 * 1024 * 1024 * 1024);
  CHECK(split_json["gpus"][0]["layers"].get<int>() + split_json["gpus"][1]["layers"].get<int>() == 40);
  CHECK(split_json["gpus"][1]["first_layer"] == split_json["gpus"][0]["layers"]);
  CHECK_THAT(split_csv.err, Contains("VLLM_PP_LAYER_PARTITION="));  // the launch flags, off stdout
}

TEST_CASE("machine output: recommend gives one row per GPU in csv and json, with every probe in json") {
  const std::vector<std::string> args = {"recommend", "--model", "Llama3-8B", "--gpu", "H100-SXM", "A100-80GB-SXM",
                                         "--context", "2048", "--prompt-toks", "256", "--gen-toks", "16"};
  const json j = json_of(run_binary(with(args, "json")));
  const BinaryRun csv_run = run_binary(with(args, "csv"));
  const CsvRows csv = csv_of(csv_run);
  CHECK_THAT(csv_run.err, Contains("Llama3-8B, context 2048 tokens"));  // the settings, off stdout
  CHECK(csv[0] == std::vector<std::string>{"gpu", "gpu_memory_bytes", "min_memory_bytes_tp1", "min_tp1_weight_bytes",
                                           "min_tp1_activation_peak_bytes", "min_tp1_runtime_overhead_bytes",
                                           "min_tp1_kv_bytes_one_context", "smallest_tp", "kv_capacity_tokens",
                                           "max_concurrency", "best_max_num_seqs", "output_throughput_tok_per_s",
                                           "output_throughput_tok_per_s_per_gpu", "tpot_p99_ms", "ttft_p99_ms",
                                           "seed_batch_ai_flux", "note"});
  check_rows(j["gpus"], csv);
  CHECK(j["context_tokens"] == 2048);
  const json& h100 = j["gpus"][0];
  CHECK(h100["gpu"] == "H100-SXM");
  CHECK(h100["smallest_tp"] == 1);
  CHECK(h100["max_concurrency"].get<double>() == Approx(h100["kv_capacity_tokens"].get<double>() / 2048));
  CHECK(j["gpus"][1]["seed_batch_ai_flux"] == "8-12");
  // The best max_num_seqs is one of the probes, which passed, and its throughput is the row's.
  bool found = false;
  for (const auto& probe : j["probes"]) {
    CHECK(probe["passed"].is_boolean());
    if (probe["gpu"] != "H100-SXM" || probe["max_num_seqs"] != h100["best_max_num_seqs"]) continue;
    found = true;
    CHECK(probe["passed"] == true);
    CHECK(probe["output_throughput_tok_per_s"] == h100["output_throughput_tok_per_s"]);
  }
  CHECK(found);
}

TEST_CASE("machine output: roofline operators as csv and json, whole FLOPs and bytes without separators") {
  const std::vector<std::string> args = {"roofline", "--model", "meta-llama/Llama-2-7b-hf", "--gpu", "A100-80GB-SXM",
                                         "--input-tokens", "1", "--cached-tokens", "1024"};
  const json j = json_of(run_binary(with(args, "json")));
  const CsvRows csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv[0] == std::vector<std::string>{"layer_kind", "operator", "count", "flops", "weight_bytes", "input_bytes",
                                           "output_bytes", "op_intensity_flops_per_byte", "time_s", "bound"});
  check_rows(j["operators"], csv);
  const auto qkv = std::find_if(csv.begin(), csv.end(), [](const auto& row) { return row[1] == "Attn - QKV_Proj"; });
  REQUIRE(qkv != csv.end());
  CHECK((*qkv)[3] == "100651008");  // 12288 x (2 x 4096 - 1), not "100,651,008"
  CHECK((*qkv)[4] == "100663296");  // 4096 x 12288 x 2 B
  CHECK((*qkv)[2] == "32");         // every layer
  // KV cache: 1025 tokens x 4096 x 2 (K and V) x 2 B x 32 layers.
  CHECK(j["storage"][1]["component"] == "kv_cache");
  CHECK(j["storage"][1]["bytes"] == int64_t{1025} * 4096 * 2 * 2 * 32);
  double time = 0;
  for (const auto& op : j["operators"]) time += op["count"].get<double>() * op["time_s"].get<double>();
  CHECK(j["step"]["gpu_s"].get<double>() == Approx(time));
  CHECK(names(j["step"]) == std::vector<std::string>{"flops_per_gpu", "latency_s", "gpu_s", "pipeline_transfer_s",
                                                      "cpu_overhead_s"});
}

TEST_CASE("machine output: step is one record of its shape and parts in seconds, the same in csv and json") {
  const json j = same_record({"step", "--model", "Llama-3.1-8B", "--gpu", "H100-SXM", "--batch", "3", "--context", "1000"});
  CHECK(j["batch"] == 3);
  CHECK(j["context_tokens"] == 1000);
  CHECK(j["async_scheduling"].is_boolean());
  CHECK(j["padded_tokens"] == 4);
  const double kernels = j["gemm_s"].get<double>() + j["attention_s"].get<double>() + j["elementwise_s"].get<double>() +
                         j["all_reduce_s"].get<double>() + j["pp_transfer_s"].get<double>() +
                         j["lm_head_s"].get<double>() + j["sampling_s"].get<double>();
  CHECK(j["kernels_s"].get<double>() == Approx(kernels));
  CHECK(j["tokens_per_s"].get<double>() == Approx(3 / j["step_s"].get<double>()));
}

TEST_CASE("machine output: calibrate prints the efficiency values the GPU file holds, MAPE as a fraction") {
  const std::string dir = fresh_dir("machine-calibrate");
  const std::vector<std::string> args = {"calibrate", "--gpu", "A100-80GB-SXM", "--profiles",
                                         data_dir() + "/profiles/generic.csv", "--out", dir + "/gpu.yaml"};
  const json j = json_of(run_binary(with(args, "json")));
  const CsvRows csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv[0] == std::vector<std::string>{"key", "before", "after", "set_by"});
  check_rows(j["efficiency"], csv);
  REQUIRE(!j["fit_quality"].empty());
  for (const auto& stage : j["fit_quality"]) {
    CHECK(stage["mape"].is_number());  // a fraction, not "12.3%"
    CHECK(stage["mape"].get<double>() < 1);
    CHECK(stage["rows"].is_number_integer());
  }
  // "after" is what the written file says, key by key.
  std::istringstream file(read_file(dir + "/gpu.yaml"));
  std::map<std::string, std::string> written;
  for (std::string line; std::getline(file, line);) {
    std::istringstream words(line);
    std::string key, value;
    if (line.rfind("  ", 0) == 0 && words >> key >> value && key.back() == ':') written[key.substr(0, key.size() - 1)] = value;
  }
  for (const auto& row : j["efficiency"]) {
    INFO(row["key"]);
    REQUIRE(written.count(row["key"]) == 1);
    CHECK(row["after"].get<double>() == std::stod(written.at(row["key"])));
    if (row["set_by"] == "kept") CHECK(row["before"] == row["after"]);
  }
}

TEST_CASE("machine output: replay of a vLLM result and of a timestamp run, one row per metric") {
  const std::string timestamp_run =
      llmpo::data_root() + "/hardware/profiles/measured/serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/requests.jsonl";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"replay", data_dir() + "/vllm_results/llama3_8b_h100_rate4.json", "--model", "Llama3-8B",
                                 "--gpu", "H100-SXM"},
        std::vector<std::string>{"replay", timestamp_run}}) {
    INFO(args[1]);
    const json j = json_of(run_binary(with(args, "json")));
    const BinaryRun csv_run = run_binary(with(args, "csv"));
    const CsvRows csv = csv_of(csv_run);
    CHECK_THAT(csv_run.err, Contains("replay of "));
    CHECK(csv[0] == std::vector<std::string>{"metric", "measured", "simulated", "relative_error"});
    REQUIRE(j["metrics"].size() == csv.size() - 1);
    for (std::size_t r = 1; r < csv.size(); ++r) {
      const json& m = j["metrics"].at(csv[r][0]);
      INFO(csv[r][0]);
      check_row(m, {"measured", "simulated", "relative_error"}, {csv[r][1], csv[r][2], csv[r][3]});
      if (m["measured"].is_number() && m["measured"].get<double>() != 0)
        CHECK(m["relative_error"].get<double>() ==
              Approx((m["simulated"].get<double>() - m["measured"].get<double>()) / m["measured"].get<double>()));
    }
  }
  const json vllm = json_of(run_binary(with({"replay", data_dir() + "/vllm_results/llama3_8b_h100_rate4.json", "--model",
                                             "Llama3-8B", "--gpu", "H100-SXM"},
                                            "json")));
  CHECK(vllm["metrics"]["completed"]["measured"] == 49);  // 50 sent, one "Bad Request"
  CHECK(vllm["metrics"]["completed"]["simulated"] == 49);
}

TEST_CASE("machine output: compare rows hold the two summary.csv values, their difference and ratio") {
  const std::string dir = fresh_dir("machine-compare");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::vector<std::string> small = {"--set", "workload.num_requests=40", "--quiet"};
  std::vector<std::string> run_a = {"run", file, "--out", dir + "/a"}, run_b = {"run", file, "--out", dir + "/b",
                                                                               "--set", "workload.arrival.rate_per_s=5"};
  run_a.insert(run_a.end(), small.begin(), small.end());
  run_b.insert(run_b.end(), small.begin(), small.end());
  REQUIRE(run_binary(run_a).code == 0);
  REQUIRE(run_binary(run_b).code == 0);
  const std::vector<std::string> args = {"compare", dir + "/a/summary.csv", dir + "/b/summary.csv", "--metrics",
                                         "mean_ttft_ms,completed_requests"};
  const json j = json_of(run_binary(with(args, "json")));
  const CsvRows csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv[0] == std::vector<std::string>{"framework", "point", "metric", "a", "b", "difference", "relative"});
  REQUIRE(csv.size() == 5);  // two runs x two metrics
  const CsvRows a = csv_file(dir + "/a/summary.csv"), b = csv_file(dir + "/b/summary.csv");
  for (std::size_t r = 1; r < csv.size(); ++r) {
    const auto row = row_map(csv, r);
    INFO(row.at("framework") << " " << row.at("metric"));
    const std::size_t run = row.at("framework") == "alpha" ? 1 : 2;
    CHECK(std::stod(row.at("a")) == std::stod(row_map(a, run).at(row.at("metric"))));
    CHECK(std::stod(row.at("b")) == std::stod(row_map(b, run).at(row.at("metric"))));
    const json& m = j["runs"][run - 1]["metrics"][row.at("metric")];
    check_row(m, {"a", "b", "difference", "relative"}, {row.at("a"), row.at("b"), row.at("difference"), row.at("relative")});
    CHECK(m["difference"].get<double>() == Approx(m["b"].get<double>() - m["a"].get<double>()));
  }
}

TEST_CASE("machine output: perf runs as csv and json, full-precision numbers") {
  const std::string trace = traces_dir() + "/sharegpt_8k_filtered_stats_llama2_tokenizer.csv";
  if (!std::filesystem::exists(trace)) {
    WARN("skipped: no ShareGPT trace at " << trace);
    return;
  }
  // The prefix benchmark skipped (test_perf_prefix.cpp has its own test) and one start-up run, not
  // five: they would only add time.
  const std::vector<std::string> args = {"perf", "--requests", "50", "--prefix-sessions", "0", "--startup-runs", "1",
                                         "--trace", trace};
  const json j = json_of(run_binary(with(args, "json")));
  const CsvRows csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv[0] == std::vector<std::string>{"requests", "wall_s", "cpu_s", "requests_per_s", "steps_per_s", "events_per_s",
                                           "simulated_h", "peak_rss_MiB"});
  REQUIRE(csv.size() == 2);
  REQUIRE(j["runs"].size() == 1);
  // Wall times differ run to run; the simulated ones do not.
  const json& run = j["runs"][0];
  CHECK(names(run) == csv[0]);
  for (std::size_t c = 0; c < csv[0].size(); ++c) {
    INFO(csv[0][c]);
    CHECK(is_number_text(csv[1][c]));
    CHECK(run[csv[0][c]].is_number());
  }
  CHECK(run["requests"] == 50);
  CHECK(run["simulated_h"].get<double>() == std::stod(csv[1][6]));
  CHECK(run["requests_per_s"].get<double>() == Approx(50 / run["wall_s"].get<double>()));
  CHECK(j["idle"]["paused_simulated_h"].get<double>() > 100);  // the 100 h pause
  CHECK(j["startup"]["runs"] == 1);
  CHECK(j["startup"]["best_wall_s"].get<double>() > 0);
}
