// `--format table|csv|json`: TextTable's CSV and JSON forms, the option refused with a bad value
// by every tabular command, and `list`, `run`, `validate` and `merge` printing data on stdout
// while their narrative goes to stderr. The other commands: test_machine_output_*.cpp.
#include <catch2/catch.hpp>

#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/machine_output.hpp"
#include "simulator/util/table.hpp"

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
      else if (j[r][name].is_boolean()) CHECK(j[r][name].get<bool>() == (cell == "true"));  // overloaded
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
