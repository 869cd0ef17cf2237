// Runs whose rows span many write chunks (requests.csv rows reach their files about 1 MiB at a
// time): the assembled requests.csv still holds every request once, in run order, under one
// header, and the manifest vouches for exactly the bytes on disk; a saved run whose rows file
// lost or gained whole rows (a cut at a chunk's end is still a well-formed CSV) is not trusted
// by --resume or merge.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "simulator/util/sha256.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

constexpr int kRequestsPerRun = 9000;  // about 1.3 MB of requests.csv rows per run: several chunks

// 2 runs (the two frameworks) of kRequestsPerRun requests.
std::string sweep_file(const std::string& dir) {
  return write_file(dir, "sweep.yaml",
                    with_edits(kTwoFrameworks, {{"num_requests: 400", "num_requests: " + std::to_string(kRequestsPerRun)},
                                                {"rate_per_s: 20", "rate_per_s: 5"}}));
}

// `path` cut after its first `bytes` bytes, at the end of the row that crosses them.
void cut_after_row(const std::string& path, std::size_t bytes) {
  const std::string text = read_file(path);
  const auto row_end = text.find('\n', bytes);
  REQUIRE(row_end != std::string::npos);
  REQUIRE(row_end + 1 < text.size());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text.substr(0, row_end + 1);
}

}  // namespace

TEST_CASE("streamed outputs: a sweep's requests.csv holds every request once, in run order, under one header") {
  const std::string dir = fresh_dir("streamed");
  const std::string file = sweep_file(dir), out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--jobs", "2"}).code == 0);

  const std::string text = read_file(out + "/requests.csv");
  CHECK(text.size() > 2 * (std::size_t{1} << 20));  // more than one chunk per run
  const auto rows = read_csv(out + "/requests.csv");
  REQUIRE(rows.size() == 1 + 2 * kRequestsPerRun);
  CHECK(rows[0][0] == "run");
  CHECK(rows[0][1] == "request_id");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::size_t expected_run = (i - 1) / kRequestsPerRun, expected_id = (i - 1) % kRequestsPerRun;
    if (rows[i][0] != std::to_string(expected_run) || rows[i][1] != std::to_string(expected_id) ||
        rows[i].size() != rows[0].size()) {
      FAIL("row " << i << " is run " << rows[i][0] << " request " << rows[i][1] << " with " << rows[i].size()
                  << " cells; expected run " << expected_run << " request " << expected_id << " with "
                  << rows[0].size());
    }
  }
  // The digests the manifest records, taken while the files were written, are those of the files.
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  for (const std::string name : {"requests.csv", "timeseries.csv", "summary.csv"}) {
    INFO(name);
    const std::string content = read_file(out + "/" + name);
    CHECK(manifest["files"][name]["size"].get<std::size_t>() == content.size());
    CHECK(manifest["files"][name]["sha256"].get<std::string>() == llmpo::sha256_hex(content));
  }
  CHECK_FALSE(fs::exists(out + "/partial"));
}

TEST_CASE("streamed outputs: a saved run that lost or gained whole rows is simulated again or not merged") {
  const std::string dir = fresh_dir("streamed-damaged");
  const std::string file = sweep_file(dir), whole = dir + "/whole", out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", whole, "--quiet"}).code == 0);
  for (const std::string shard : {"0/2", "1/2"})
    REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--shard", shard}).code == 0);
  const std::string rows = out + "/partial/run-000001.requests.csv";

  SECTION("--resume: rows cut at the end of the first chunk are simulated again") {
    cut_after_row(rows, std::size_t{1} << 20);
    const CliRun resumed = run_cli_args({"run", file, "--out", out, "--resume"});
    REQUIRE(resumed.code == 0);
    CHECK_THAT(resumed.out, Contains("resuming: 1 of 2 runs already finished"));
  }
  SECTION("--resume: a row written twice is simulated again") {
    const std::string text = read_file(rows);
    std::ofstream(rows, std::ios::binary | std::ios::app) << text.substr(0, text.find('\n') + 1);
    const CliRun resumed = run_cli_args({"run", file, "--out", out, "--resume"});
    REQUIRE(resumed.code == 0);
    CHECK_THAT(resumed.out, Contains("resuming: 1 of 2 runs already finished"));
  }
  SECTION("merge --from: the damaged run is not imported, and the merge names it missing") {
    cut_after_row(rows, std::size_t{1} << 20);
    const std::string merged = dir + "/merged";
    const CliRun refused = run_cli_args({"merge", file, "--out", merged, "--from", out});
    CHECK(refused.code == 2);
    CHECK_THAT(refused.err, Contains("1 of 2 runs are not saved") && Contains("runs 1"));
    CHECK_FALSE(fs::exists(merged + "/requests.csv"));
    CHECK_FALSE(fs::exists(merged + "/partial/run-000001.requests.csv"));  // the bad copy is not kept
    CHECK(fs::exists(merged + "/partial/run-000000.json"));                // the good run is
    return;
  }
  for (const char* name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    CHECK(read_file(out + "/" + name) == read_file(whole + "/" + name));
  }
  CHECK_FALSE(fs::exists(out + "/partial"));
}
