// `name:` picks the default output folder results/<name>, so it must be a plain folder name:
// a path (relative or absolute), '..', '\', a control character or nothing at all is a
// validation error at the key's file:line, and nothing is written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

TEST_CASE("name: a path, '..', a backslash, a control character or an empty name is refused") {
  const std::string dir = fresh_dir("names");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"'../../escaped-by-name'", "holds '..'"},
      {"'..'", "holds '..'"},
      {"'sub/dir'", "holds '/'"},
      {"'/tmp/llmpo-written-by-name'", "is an absolute path"},
      {"''", "is empty"},
      {"'.'", "names results/ itself"},
      {"'a\\\\b'", "holds '\\'"},
      {"\"tab\\there\"", "holds a control character"},
  };
  for (const auto& [value, what] : cases) {
    INFO(value);
    const std::string file = write_file(dir, "e.yaml", "name: " + value + "\n" + kTwoFrameworks);
    for (const std::string command : {"validate", "run"}) {
      const CliRun run = run_cli_args({command, file});
      CHECK(run.code == 2);
      CHECK_THAT(run.err, Contains(file + ":1") && Contains("name") && Contains(what) &&
                              Contains("it must be a plain folder name"));
    }
  }
  CHECK_FALSE(fs::exists("/tmp/llmpo-written-by-name"));
}

TEST_CASE("name: a plain folder name is accepted and names the default output folder") {
  const std::string dir = fresh_dir("names-ok");
  write_file(dir, "e.yaml", "name: 'my run v1.2_x'\n" + std::string(kTwoFrameworks));
  const CommandResult run = run_command("cd '" + dir + "' && " + binary_path() + " run e.yaml --quiet");
  CHECK(run.exit_code == 0);
  CHECK(fs::exists(dir + "/results/my run v1.2_x/summary.csv"));
  CHECK(fs::exists(dir + "/results/my run v1.2_x/manifest.json"));
}
