// A new run replaces every file an earlier experiment left in its folder that the program wrote:
// vllm/*.json of other runs and report.html go; files a user put there stay.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"

using namespace llmpo::test;
namespace fs = std::filesystem;

namespace {

std::set<std::string> files_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("stale files: vllm/*.json of an earlier experiment are removed, user files kept") {
  const std::string dir = fresh_dir("stale-vllm");
  const std::string sweep = write_file(dir, "sweep.yaml", std::string(kTwoFrameworks) + "sweep:\n  request_rate: [10, 20, 30]\n");
  const std::string base = write_file(dir, "base.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", sweep, "--out", out, "--quiet", "--vllm-json", "--report"}).code == 0);
  // vLLM's names, the label made unique per sweep point.
  CHECK(files_in(out + "/vllm") ==
        std::set<std::string>{"alpha-point0-10.0qps-Meta-Llama-3-8B-19700101-000000.json",
                              "alpha-point1-20.0qps-Meta-Llama-3-8B-19700101-000000.json",
                              "alpha-point2-30.0qps-Meta-Llama-3-8B-19700101-000000.json",
                              "beta-point0-10.0qps-Meta-Llama-3-8B-19700101-000000.json",
                              "beta-point1-20.0qps-Meta-Llama-3-8B-19700101-000000.json",
                              "beta-point2-30.0qps-Meta-Llama-3-8B-19700101-000000.json"});
  REQUIRE(fs::exists(out + "/report.html"));
  write_file(out + "/vllm", "notes.txt", "mine");
  write_file(out + "/vllm", "baseline.json", "{}");  // not a name --vllm-json writes
  // A real vLLM result a user keeps beside the simulated ones: named as vLLM names them, but no
  // manifest of ours lists it.
  write_file(out + "/vllm", "vllm-4.0qps-Meta-Llama-3-8B-20260101-120000.json", "{}");
  write_file(out + "/vllm", "000007-old.json", "{}");  // the names --vllm-json wrote before

  REQUIRE(run_cli_args({"run", base, "--out", out, "--quiet", "--vllm-json"}).code == 0);
  CHECK(files_in(out + "/vllm") == std::set<std::string>{"alpha-20.0qps-Meta-Llama-3-8B-19700101-000000.json",
                                                         "beta-20.0qps-Meta-Llama-3-8B-19700101-000000.json",
                                                         "vllm-4.0qps-Meta-Llama-3-8B-20260101-120000.json",
                                                         "notes.txt", "baseline.json"});
  CHECK_FALSE(fs::exists(out + "/report.html"));  // it described the sweep
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  CHECK(manifest["files"].contains("vllm/alpha-20.0qps-Meta-Llama-3-8B-19700101-000000.json"));
  CHECK(manifest["files"].contains("vllm/beta-20.0qps-Meta-Llama-3-8B-19700101-000000.json"));
  CHECK_FALSE(manifest["files"].contains("vllm/notes.txt"));
  CHECK_FALSE(manifest["files"].contains("vllm/vllm-4.0qps-Meta-Llama-3-8B-20260101-120000.json"));

  // Without --vllm-json the run writes none: the earlier ones go too.
  const CliRun third = run_cli_args({"run", base, "--out", out, "--no-requests"});
  REQUIRE(third.code == 0);
  CHECK_THAT(third.out, Catch::Matchers::Contains("removed 2 vllm/*.json file(s) of an earlier experiment"));
  CHECK(files_in(out + "/vllm") ==
        std::set<std::string>{"vllm-4.0qps-Meta-Llama-3-8B-20260101-120000.json", "notes.txt", "baseline.json"});
  CHECK_FALSE(fs::exists(out + "/requests.csv"));
  CHECK(run_cli_args({"report", out, "-o", dir + "/r.html"}).code == 0);
}
