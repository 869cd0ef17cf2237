// What a user sees of lazy library loading: a `run` that does not use a broken model file still
// runs (it parses only the files it names), while `list models`, which shows every model,
// reports the broken file at its line and exits 2, and a run that names it fails the same way.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include "simulator/util/data_paths.hpp"
#include "../test_paths.hpp"

using Catch::Matchers::Contains;

namespace fs = std::filesystem;

namespace {

// A data root (LLMPERFORACLE_HOME) holding the shipped hardware and the shipped models plus one
// model file whose architecture has a bad value on line 4; removed at the end.
struct HomeWithBrokenModel {
  fs::path root = fs::temp_directory_path() / ("llmpo-lazy-cli-" + std::to_string(::getpid()));
  std::string broken_file;
  HomeWithBrokenModel() {
    fs::remove_all(root);
    fs::create_directories(root / "models" / "library");
    fs::create_directory_symlink(fs::path(llmpo::data_root()) / "hardware", root / "hardware");
    for (const auto& entry : fs::directory_iterator(llmpo::model_library_dir()))
      fs::copy_file(entry.path(), root / "models" / "library" / entry.path().filename());
    broken_file = (root / "models" / "library" / "zz-broken.yaml").string();
    std::ofstream(broken_file) << "id: Broken-Model\n"
                                  "family: llama\n"
                                  "architecture:\n"
                                  "  num_layers: many\n";
  }
  ~HomeWithBrokenModel() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  std::string command(const std::string& arguments) const {
    return "LLMPERFORACLE_HOME=" + root.string() + " " + llmpo::test::binary_path() + " " + arguments + " 2>&1";
  }
};

}  // namespace

TEST_CASE("lazy libraries (CLI): a broken model file fails only the commands that use it") {
  const HomeWithBrokenModel home;
  const std::string out = (home.root / "results").string();
  const std::string experiment = llmpo::data_root() + "/experiments/quickstart.yaml";

  // The quickstart names Llama3-70B on H100-SXM: the broken file is never parsed.
  const auto run = llmpo::test::run_command(
      home.command("run " + experiment + " --set workload.num_requests=50 --out " + out + " --quiet"));
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(fs::exists(fs::path(out) / "summary.csv"));

  // `list models` shows every model, so it parses every file and reports the broken one.
  const auto list = llmpo::test::run_command(home.command("list models"));
  CHECK(list.exit_code == 2);
  CHECK_THAT(list.output, Contains(home.broken_file + ":4:"));
  CHECK_THAT(list.output, Contains("architecture.num_layers"));

  // A run that names the broken model fails with the same error, before writing anything.
  std::ifstream quickstart(experiment);
  std::string text((std::istreambuf_iterator<char>(quickstart)), std::istreambuf_iterator<char>());
  const std::size_t model = text.find("\"Llama3-70B\"");
  REQUIRE(model != std::string::npos);
  text.replace(model, std::string("\"Llama3-70B\"").size(), "Broken-Model");
  const std::string broken_experiment = (home.root / "broken-model.yaml").string();
  std::ofstream(broken_experiment) << text;
  const std::string out2 = (home.root / "results-broken").string();
  const auto broken_run = llmpo::test::run_command(
      home.command("run " + broken_experiment + " --set workload.num_requests=50 --out " + out2));
  CHECK(broken_run.exit_code == 2);
  CHECK_THAT(broken_run.output, Contains(home.broken_file + ":4:"));
  CHECK_FALSE(fs::exists(fs::path(out2) / "summary.csv"));
}
