// A saved run under partial/ whose rows file was cut short (a crash, a full disk) while its JSON
// survived is not trusted by --resume: its size and SHA-256 do not match what the JSON
// records, so the run is simulated again and the outputs equal those of an uninterrupted run.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "experiment_helpers.hpp"

using namespace llmpo::test;
namespace fs = std::filesystem;

namespace {

// 4 runs (2 rates x 2 frameworks), saved in partial/ by two shards.
std::string sweep_file(const std::string& dir) {
  return write_file(dir, "sweep.yaml", std::string(kTwoFrameworks) + "sweep:\n  request_rate: [10, 20]\n");
}

void cut(const std::string& path, std::size_t keep) {
  const std::string text = read_file(path);
  REQUIRE(text.size() > keep);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text.substr(0, keep);
}

}  // namespace

TEST_CASE("resume: a saved run whose rows were cut short is simulated again") {
  const std::string dir = fresh_dir("resume-damaged");
  const std::string file = sweep_file(dir);
  const std::string whole = dir + "/whole", out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", whole, "--quiet"}).code == 0);
  for (const std::string shard : {"0/2", "1/2"})
    REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--shard", shard}).code == 0);

  SECTION("requests rows") { cut(out + "/partial/run-000003.requests.csv", 1000); }
  SECTION("time-series rows") { cut(out + "/partial/run-000001.timeseries.csv", 10); }
  SECTION("rows of the right size but other content") {
    const std::string path = out + "/partial/run-000002.requests.csv";
    std::string text = read_file(path);
    text[text.size() / 2] = text[text.size() / 2] == '7' ? '8' : '7';
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  const CliRun resumed = run_cli_args({"run", file, "--out", out, "--resume"});
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.out, Catch::Matchers::Contains("resuming: 3 of 4 runs already finished"));
  for (const char* name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    CHECK(read_file(out + "/" + name) == read_file(whole + "/" + name));
  }
  CHECK(read_csv(out + "/requests.csv").size() == read_csv(whole + "/requests.csv").size());
  CHECK_FALSE(fs::exists(out + "/partial"));
}
