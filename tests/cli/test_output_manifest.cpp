// manifest.json vouches for a folder: it lists every output with its size and SHA-256, and
// `report`, `compare`, `merge` and `run --resume` refuse (exit 2, naming the file) a folder
// whose files do not match or whose manifest is malformed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"
#include "simulator/util/sha256.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

void overwrite(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Each reader of a folder, on `out`: all must refuse it with exit 2 and name `culprit`.
void require_all_refuse(const std::string& file, const std::string& out, const std::string& culprit,
                        const std::string& what) {
  const std::vector<std::vector<std::string>> readers = {
      {"report", out, "-o", out + ".html"},
      {"compare", out + "/summary.csv", out + "/summary.csv"},
      {"merge", file, "--out", out, "--quiet"},
      {"run", file, "--out", out, "--resume", "--quiet"},
  };
  for (const auto& args : readers) {
    INFO(args[0]);
    const CliRun run = run_cli_args(args);
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Contains(culprit) && Contains(what));
    CHECK_THAT(run.err, !Contains("internal error"));
  }
}

}  // namespace

TEST_CASE("manifest: lists each output with the size and SHA-256 it has on disk") {
  const std::string dir = fresh_dir("manifest-files");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet"}).code == 0);
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  REQUIRE(manifest.at("files").size() == 3);
  for (const std::string name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    const std::string content = read_file(out + "/" + name);
    CHECK(manifest["files"][name]["size"].get<uint64_t>() == content.size());
    CHECK(manifest["files"][name]["sha256"] == sha256_hex(content));
  }
  CHECK(run_cli_args({"report", out, "-o", dir + "/r.html"}).code == 0);
  CHECK(run_cli_args({"compare", out + "/summary.csv", out + "/summary.csv"}).code == 0);
  CHECK_THAT(run_cli_args({"run", file, "--out", out, "--resume"}).out, Contains("nothing to do"));
}

TEST_CASE("manifest: a file that does not match is refused by report, compare, merge and --resume") {
  const std::string dir = fresh_dir("manifest-mismatch");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet"}).code == 0);

  // Same size, one byte changed: only the hash tells.
  std::string requests = read_file(out + "/requests.csv");
  const std::string original = requests;
  requests[requests.size() - 2] = requests[requests.size() - 2] == '1' ? '2' : '1';
  overwrite(out + "/requests.csv", requests);
  require_all_refuse(file, out, out + "/requests.csv", "SHA-256 differs");

  // Cut short: the size tells.
  overwrite(out + "/requests.csv", original);
  const std::string timeseries = read_file(out + "/timeseries.csv");
  overwrite(out + "/timeseries.csv", timeseries.substr(0, timeseries.size() / 2));
  require_all_refuse(file, out, out + "/timeseries.csv", "bytes, manifest.json records");

  // Missing altogether.
  fs::remove(out + "/timeseries.csv");
  require_all_refuse(file, out, out + "/timeseries.csv", "listed in manifest.json but missing");

  // --restart replaces the folder's outputs with a consistent set again.
  REQUIRE(run_cli_args({"run", file, "--out", out, "--restart", "--quiet"}).code == 0);
  CHECK(run_cli_args({"report", out, "-o", dir + "/r.html"}).code == 0);
}

TEST_CASE("manifest: malformed or wrong-shaped manifests are input errors naming manifest.json") {
  const std::string dir = fresh_dir("manifest-shape");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet"}).code == 0);
  const std::string good = read_file(out + "/manifest.json");
  const std::string path = out + "/manifest.json";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "is a JSON array"},
      {"null", "is a JSON null"},
      {"{\"runs\": [5]}", "records no output sizes and SHA-256 hashes"},
      {"{\"files\": []}", "records no output sizes and SHA-256 hashes"},
      {"{\"files\": {\"summary.csv\": 5}}", "must be {\"size\""},
      {"{\"files\": {\"../e.yaml\": {\"size\": 1, \"sha256\": \"x\"}}}", "is not a file inside the folder"},
      {"{not json", "not valid JSON"},
  };
  for (const auto& [text, what] : cases) {
    INFO(text);
    overwrite(path, text);
    require_all_refuse(file, out, path, what);
  }
  // Hashes intact, but the fields the report reads are of the wrong type.
  auto manifest = nlohmann::json::parse(good);
  manifest["runs"] = nlohmann::json::array({5});
  overwrite(path, manifest.dump());
  const CliRun report = run_cli_args({"report", out, "-o", dir + "/r.html"});
  CHECK(report.code == 2);
  CHECK_THAT(report.err, Contains(path) && Contains("runs[0]"));
  manifest = nlohmann::json::parse(good);
  manifest["run_hashes"] = "x";
  overwrite(path, manifest.dump());
  const CliRun resume = run_cli_args({"run", file, "--out", out, "--resume", "--quiet"});
  CHECK(resume.code == 2);
  CHECK_THAT(resume.err, Contains(path) && Contains("run_hashes"));
}

TEST_CASE("manifest: a summary.csv whose run folder has no manifest is refused by compare") {
  const std::string dir = fresh_dir("manifest-none");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet"}).code == 0);
  fs::remove(out + "/manifest.json");  // as a command killed while replacing the outputs leaves it
  const CliRun refused = run_cli_args({"compare", out + "/summary.csv", out + "/summary.csv"});
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Contains(out + "/manifest.json") && Contains("did not finish"));
  // A summary.csv on its own (copied out of its folder) has nothing to check against.
  fs::copy_file(out + "/summary.csv", dir + "/summary.csv");
  CHECK(run_cli_args({"compare", dir + "/summary.csv", dir + "/summary.csv"}).code == 0);
}
