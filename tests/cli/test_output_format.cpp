// `--format table|csv|json` on every tabular command: TextTable's CSV and JSON forms, and, for
// each command, the real binary's stdout holding only the document (parsed here) while its
// narrative goes to stderr.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/machine_output.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/units.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;
using json = nlohmann::ordered_json;

namespace {

const json& row_where(const json& rows, const std::string& key, const std::string& value) {
  for (const auto& row : rows)
    if (row.contains(key) && row[key] == value) return row;
  FAIL("no row with " << key << " = " << value);
  throw std::logic_error("unreachable");
}

std::string profiles() { return data_dir() + "/profiles/generic.csv"; }

}  // namespace

TEST_CASE("output format: print_json types whole JSON numbers as numbers, - and empty as null, the rest as strings") {
  TextTable table({"name", "value", "note"});
  table.add_row({"int", "12", "-"});
  table.add_row({"exponent", "-3.5e2", ""});
  table.add_separator();
  table.add_row({"percent", "12%", "a \"quoted\", text"});
  table.add_row({"ratio", "1/2", "0.5"});
  table.add_row({"not JSON", "+1", "007"});
  table.add_row({"dots", ".5", "1."});
  std::ostringstream out;
  table.print_json(out);
  const json j = json::parse(out.str());
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 6);  // the separator is no row
  // Keys keep the column order ("value" sorts after "note" but comes before it).
  CHECK(out.str().find("\"value\"") < out.str().find("\"note\""));
  CHECK(j[0]["value"].is_number_integer());
  CHECK(j[0]["value"] == 12);
  CHECK(j[0]["note"].is_null());
  CHECK(j[1]["value"].get<double>() == -350.0);
  CHECK(j[1]["note"].is_null());
  CHECK(j[2]["value"] == "12%");
  CHECK(j[2]["note"] == "a \"quoted\", text");
  CHECK(j[3]["value"] == "1/2");
  CHECK(j[3]["note"].get<double>() == 0.5);
  CHECK(j[4]["value"] == "+1");
  CHECK(j[4]["note"] == "007");
  CHECK(j[5]["value"] == ".5");
  CHECK(j[5]["note"] == "1.");
  CHECK(table.to_json().dump(2) + "\n" == out.str());
}

TEST_CASE("output format: print_csv quotes cells holding commas, quotes or newlines, and print dispatches by format") {
  TextTable table({"a", "b,c"});
  table.add_row({"say \"hi\"", "1,234"});
  table.add_separator();
  table.add_row({"plain", "x"});
  std::ostringstream csv, dispatched_csv, text, dispatched_text, dispatched_json;
  table.print_csv(csv);
  CHECK(csv.str() == "a,\"b,c\"\n\"say \"\"hi\"\"\",\"1,234\"\nplain,x\n");
  table.print(dispatched_csv, TableFormat::csv);
  CHECK(dispatched_csv.str() == csv.str());
  table.print(text);
  table.print(dispatched_text, TableFormat::table);
  CHECK(dispatched_text.str() == text.str());
  table.print(dispatched_json, TableFormat::json);
  CHECK(json::parse(dispatched_json.str())[0]["b,c"] == "1,234");
}

TEST_CASE("output format: --format xml is refused with exit 2 and the valid formats by every tabular command") {
  const BinaryRun run = run_binary({"list", "gpus", "--format", "xml"});
  CHECK(run.code == 2);
  CHECK(run.out.empty());
  CHECK(run.err == "error: --format: 'xml' is not valid (valid: table, csv, json)\n");
  for (const std::string command : {"run", "validate", "search", "merge", "capacity", "perf", "list", "memory",
                                    "recommend", "roofline", "calibrate", "fidelity", "replay", "compare", "bench", "step"}) {
    INFO(command);
    const CliRun refused = run_cli_args({command, "--format", "xml"});
    CHECK(refused.code == 2);
    CHECK_THAT(refused.err, Contains("--format: 'xml' is not valid (valid: table, csv, json"));
  }
}

TEST_CASE("output format: list gpus as JSON and CSV") {
  const json j = json_of(run_binary({"list", "gpus", "--format", "json"}));
  const json& h100 = row_where(j, "id", "H100-SXM");
  // Data with units in the names, not the display table: bytes, not "79.2".
  CHECK(h100["memory_bytes"].get<double>() == Approx(79.19 * 1024 * 1024 * 1024).epsilon(1e-4));
  CHECK(h100["memory_bandwidth_bytes_per_s"].get<double>() == 3.35e12);
  CHECK(h100["fp8_tflops"].is_number());
  CHECK(h100["sm_count"].is_number_integer());
  CHECK(row_where(j, "id", "A100-80GB-SXM")["fp8_tflops"].is_null());  // no FP8 on Ampere
  const auto csv = csv_of(run_binary({"list", "gpus", "--format", "csv"}));
  CHECK(csv.size() == j.size() + 1);
  CHECK(column(csv, "memory_bytes") < csv[0].size());
  // Models: whole parameter counts, no "33.74B" or "196,608".
  const json models = json_of(run_binary({"list", "models", "--format", "json"}));
  const json& llama = row_where(models, "id", "Llama3-70B");
  CHECK(llama["kv_bytes_per_token"].get<double>() == 2.0 * 80 * 8 * 128 * 2);  // 327,680 B
  CHECK(llama["params"].is_number_integer());
  CHECK(llama["params"].get<double>() == Approx(70.55e9).epsilon(2e-3));
  CHECK(llama["moe_experts"].is_null());
}

TEST_CASE("output format: memory as JSON and CSV carries the figures of the table") {
  const std::vector<std::string> args = {"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "4"};
  const json j = json_of(run_binary(with(args, "json")));
  CHECK(j["kv_bytes_per_token_model"] == 327680);  // 2 x 80 layers x 8 KV heads x 128 x 2 B
  const BinaryRun csv_run = run_binary(with(args, "csv"));
  const auto csv = csv_of(csv_run);
  CHECK(csv[0] == std::vector<std::string>{"quantity", "value", "how it is computed"});
  std::map<std::string, std::string> value;
  for (const auto& row : csv) value[row[0]] = row[1];
  // 131.42 GiB of bf16 weights over TP 4.
  CHECK(value.at("weights per GPU") == "32.86 GiB");
  CHECK(value.at("weights per GPU") == format_bytes(j["weight_bytes_per_gpu"].get<double>()));
  CHECK(value.at("KV bytes per token (model)") == "327,680");
  CHECK(csv.back()[0] == "verdict");
  CHECK_THAT(csv_run.err, Contains("Llama3-70B on 4 x H100-SXM"));  // the heading, off stdout
  const BinaryRun table = run_binary(with(args, "text"));  // the older name of table
  // The value column is as wide as its widest value, "592.00 MiB" (the forward peak).
  CHECK_THAT(table.out, Contains("weights per GPU              32.86 GiB"));
  const json split = json_of(run_binary({"memory", "--model", "Llama2-13B", "--gpus", "24,12", "--quantization", "awq",
                                         "--max-model-len", "4096", "--format", "json"}));
  REQUIRE(split["gpus"].size() == 2);
  CHECK(split["gpus"][0]["layers"].get<int>() + split["gpus"][1]["layers"].get<int>() == 40);
  CHECK(split["launch_flags"]["hf_device_map"]["model.layers.39"] == 1);
}

TEST_CASE("output format: roofline as JSON has plain numbers; CSV keeps one row per operator") {
  const std::vector<std::string> args = {"roofline", "--model", "meta-llama/Llama-2-7b-hf", "--gpu", "A100-80GB-SXM",
                                         "--input-tokens", "1", "--cached-tokens", "1024"};
  const json j = json_of(run_binary(with(args, "json")));
  // QKV of one token: 12288 x (2 x 4096 - 1) FLOPs and 4096 x 12288 x 2 weight bytes.
  const json& qkv = row_where(j["operators"], "layer", "Attn - QKV_Proj");
  CHECK(qkv["compute_FLOPs"] == 12288 * (2 * 4096 - 1));
  CHECK(qkv["weight_B"] == 4096 * 12288 * 2);
  // KV cache: 1025 tokens x 4096 x 2 (K and V) x 2 B x 32 layers.
  CHECK(row_where(j["storage"], "component", "KV cache")["bytes"] == int64_t{1025} * 4096 * 2 * 2 * 32);
  CHECK(j["step"]["latency_s"].get<double>() > 0);
  const auto csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv.size() == j["operators"].size() + 1);
  CHECK(csv[0][0] == "layer_kind");
}

TEST_CASE("output format: run, validate and merge print the comparison and the plan as JSON and CSV") {
  const std::string dir = fresh_dir("format-run");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::vector<std::string> small = {"--set", "workload.num_requests=40"};
  std::vector<std::string> args = {"run", file, "--out", dir + "/json"};
  args.insert(args.end(), small.begin(), small.end());
  const BinaryRun run = run_binary(with(args, "json"));
  const json j = json_of(run);
  CHECK_THAT(run.err, Contains("wrote " + dir + "/json/summary.csv"));
  CHECK(run.out.find("wrote") == std::string::npos);
  REQUIRE(j.size() == 2);
  // Data, not the display table: summary.csv's columns and values, numbers as JSON numbers.
  const auto summary = read_csv(dir + "/json/summary.csv");
  for (std::size_t r = 0; r < 2; ++r) {
    INFO(r);
    REQUIRE(j[r].size() == summary[0].size());
    for (std::size_t c = 0; c < summary[0].size(); ++c) {
      const std::string& name = summary[0][c];
      const std::string& cell = summary[r + 1][c];
      INFO(name << " = '" << cell << "'");
      REQUIRE(j[r].contains(name));
      if (cell.empty()) CHECK(j[r][name].is_null());
      else if (j[r][name].is_string()) CHECK(j[r][name] == cell);
      else CHECK(j[r][name].get<double>() == std::stod(cell));  // full precision, not rounded
    }
    CHECK(j[r]["completed_requests"].is_number_integer());
    CHECK(j[r]["request_throughput_req_per_s"].is_number());
    CHECK(j[r]["framework"].is_string());
  }
  args[3] = dir + "/csv";
  const auto csv = csv_of(run_binary(with(args, "csv")));
  const auto csv_summary = read_csv(dir + "/csv/summary.csv");
  CHECK(csv == csv_summary);  // the very file

  std::vector<std::string> validate = {"validate", file};
  validate.insert(validate.end(), small.begin(), small.end());
  const BinaryRun plan_run = run_binary(with(validate, "json"));
  const json plan = json_of(plan_run);
  CHECK_THAT(plan_run.err, Contains("valid - 1 sweep point(s), 2 run(s)"));
  REQUIRE(plan.size() == 2);
  CHECK(plan[1]["name"] == "beta");
  CHECK(plan[1]["framework"] == "STATIC");
  const BinaryRun table = run_binary(validate);
  CHECK_THAT(table.out, Contains(fmt::format("KV {} blocks x 16 tokens", plan[0]["kv_blocks"].get<int64_t>())));
  CHECK(csv_of(run_binary(with(validate, "csv"))).size() == 3);

  // Two shards merged: the same comparison as the single run above.
  for (const std::string shard : {"0/2", "1/2"}) {
    std::vector<std::string> part = {"run", file, "--out", dir + "/merged", "--shard", shard, "--quiet"};
    part.insert(part.end(), small.begin(), small.end());
    REQUIRE(run_binary(part).code == 0);
  }
  std::vector<std::string> merge = {"merge", file, "--out", dir + "/merged"};
  merge.insert(merge.end(), small.begin(), small.end());
  const BinaryRun merged = run_binary(with(merge, "json"));
  CHECK(json_of(merged) == j);
  CHECK_THAT(merged.err, Contains("wrote " + dir + "/merged/summary.csv"));
}

TEST_CASE("output format: calibrate and fidelity as JSON and CSV") {
  const std::string dir = fresh_dir("format-calibrate");
  const std::vector<std::string> calibrate = {"calibrate", "--gpu", "A100-80GB-SXM", "--profiles", profiles(),
                                              "--out", dir + "/gpu.yaml"};
  const BinaryRun run = run_binary(with(calibrate, "json"));
  const json j = json_of(run);
  CHECK_THAT(run.err, Contains("wrote " + dir + "/gpu.yaml"));
  REQUIRE(!j["fit_quality"].empty());
  REQUIRE(!j["efficiency"].empty());
  for (const auto& row : j["efficiency"])
    if (row["set by"] == "kept") CHECK(row["before"] == row["after"]);
  const auto csv = csv_of(run_binary(with(calibrate, "csv")));
  CHECK(csv.size() == j["efficiency"].size() + 1);
  CHECK(csv[0] == std::vector<std::string>{"key", "before", "after", "set by"});

  const std::vector<std::string> fidelity = {"fidelity", "--gpu", "A100-80GB-SXM", "--profiles", profiles(), "--worst", "3"};
  const json scored = json_of(run_binary(with(fidelity, "json")));
  CHECK(scored["groups"][0]["grouping"] == "all");
  CHECK(scored["groups"][0]["rows"] == read_csv(profiles()).size() - 1);
  CHECK(scored["worst"].size() == 3);
  // csv is the table --summary-csv writes, byte for byte.
  std::vector<std::string> with_file = with(fidelity, "csv");
  with_file.insert(with_file.end(), {"--summary-csv", dir + "/summary.csv"});
  const BinaryRun csv_run = run_binary(with_file);
  csv_of(csv_run);
  CHECK(csv_run.out == read_file(dir + "/summary.csv"));
}

TEST_CASE("output format: perf as JSON and CSV") {
  const std::string trace = traces_dir() + "/sharegpt_8k_filtered_stats_llama2_tokenizer.csv";
  if (!std::filesystem::exists(trace)) {
    WARN("skipped: no ShareGPT trace at " << trace);
    return;
  }
  const std::vector<std::string> args = {"perf", "--requests", "100", "--trace", trace};
  const BinaryRun run = run_binary(with(args, "json"));
  const json j = json_of(run);
  CHECK_THAT(run.err, Contains("idle time: 20,000 requests"));
  REQUIRE(j["runs"].size() == 1);
  CHECK(j["runs"][0]["requests"] == 100);
  CHECK(j["idle"]["requests"] == 20000);
  CHECK(j["idle"]["paused_simulated_h"].get<double>() > 100);  // the 100 h pause
  CHECK(j["sweep"].is_null());
  const auto csv = csv_of(run_binary(with(args, "csv")));
  CHECK(csv.size() == 2);
  CHECK(csv[1][0] == "100");
}

TEST_CASE("output format: compare, recommend and replay keep stdout to the document") {
  const std::string dir = fresh_dir("format-compare");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  for (const std::string side : {"a", "b"})
    REQUIRE(run_binary({"run", file, "--out", dir + "/" + side, "--quiet", "--set", "workload.num_requests=40"}).code == 0);
  const std::vector<std::string> compare = {"compare", dir + "/a/summary.csv", dir + "/b/summary.csv", "--metrics",
                                            "mean_ttft_ms"};
  const json diff = json_of(run_binary(with(compare, "json")));
  REQUIRE(diff["runs"].size() == 2);
  CHECK(diff["runs"][0]["metrics"]["mean_ttft_ms"]["difference"] == 0.0);  // the same seeded run twice
  CHECK(csv_of(run_binary(with(compare, "csv"))).size() == 3);

  const std::vector<std::string> recommend = {"recommend", "--model", "Llama3-8B", "--gpu", "H100-SXM"};
  const json rec = json_of(run_binary(with(recommend, "json")));
  CHECK(rec["gpus"][0]["gpu"] == "H100-SXM");
  const auto rec_csv = csv_of(run_binary(with(recommend, "csv")));
  CHECK(rec_csv[1][column(rec_csv, "TP")] == std::to_string(rec["gpus"][0]["smallest_tp"].get<int>()));

  const std::vector<std::string> replay = {"replay", data_dir() + "/vllm_results/llama3_8b_h100_rate4.json", "--model",
                                           "Llama3-8B", "--gpu", "H100-SXM"};
  const json replayed = json_of(run_binary(with(replay, "json")));
  CHECK(replayed["metrics"]["completed"]["measured"] == 49.0);  // 50 sent, one "Bad Request"
  const auto replay_csv = csv_of(run_binary(with(replay, "csv")));
  CHECK(replay_csv[1][0] == "completed");
  CHECK(replay_csv[1][1] == "49.00");
}
