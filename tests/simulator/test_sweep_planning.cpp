// Sweep expansion is linear in the points: the file is parsed once, and each point parses only
// the file without its sweep section plus its own values (before, every point parsed the whole
// file, lists included: 2,000 points took 30 s and 1.9 GB to validate).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "experiment_helpers.hpp"
#include "simulator/experiment/experiment_file.hpp"

namespace llmpo {
namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string one_list_sweep(int points) {
  std::string list;
  for (int i = 1; i <= points; ++i) list += (i > 1 ? "," : "") + std::to_string(i);
  return std::string(test::kTwoFrameworks) + "sweep:\n  max_num_seqs: [" + list + "]\n";
}

TEST_CASE("sweep planning: the whole file is parsed a fixed number of times, whatever the points") {
  const ExperimentFile few = read_experiment_text(one_list_sweep(10), "sweep.yaml", {});
  const std::string text = one_list_sweep(1000);
  const ExperimentFile file = read_experiment_text(text, "sweep.yaml", {});
  REQUIRE(file.points.size() == 1000);
  CHECK(file.whole_file_parses == few.whole_file_parses);
  CHECK(file.whole_file_parses <= 3);
  // Before, every point parsed the whole file again, its 1,000-value list included.
  const std::string base = test::kTwoFrameworks;
  const SweepPoint& point = file.points[516];
  CHECK(point.label() == "max_num_seqs=517");
  const YAML::Node value = point.document["frameworks_to_test"][0]["config"]["max_num_seqs"];
  CHECK(value.as<int>() == 517);
  // The value keeps its place in the sweep list, for error messages.
  const auto lines = static_cast<int>(std::count(base.begin(), base.end(), '\n'));
  CHECK(value.Mark().line == lines + 1);
  CHECK(value.Mark().column == static_cast<int>(std::string("  max_num_seqs: [").size() + text.substr(text.find('[') + 1).find("517")));
  CHECK_FALSE(point.document["sweep"].IsDefined());
  // Every other node keeps its place too.
  CHECK(point.document["workload"]["num_requests"].Mark().line == 7);
}

TEST_CASE("sweep planning: overrides of the sweep and anchors in it give the same points as before") {
  const std::string base = test::kTwoFrameworks;
  const std::string text = base + "sweep:\n  max_num_seqs: [8, 16]\n";
  const ExperimentFile overridden = read_experiment_text(text, "sweep.yaml", {"sweep.max_num_seqs=[2, 3, 4]", "simulation.seed=9"});
  REQUIRE(overridden.points.size() == 3);
  CHECK(overridden.points[2].document["frameworks_to_test"][0]["config"]["max_num_seqs"].as<int>() == 4);
  CHECK(overridden.points[2].document["simulation"]["seed"].as<int>() == 9);
  // An anchor inside the sweep used by the rest of the file: the section cannot be cut out, and
  // every point parses the whole file as before.
  const std::string anchored = "sweep:\n  max_num_seqs: [&n 4, 8]\n" + replaced(base, "max_num_seqs: 64", "max_num_seqs: *n");
  const ExperimentFile file = read_experiment_text(anchored, "sweep.yaml", {});
  REQUIRE(file.points.size() == 2);
  CHECK(file.points[0].document["frameworks_to_test"][0]["config"]["max_num_seqs"].as<int>() == 4);
  CHECK(file.points[1].document["frameworks_to_test"][0]["config"]["max_num_seqs"].as<int>() == 8);
  // A quoted value stays a quoted string.
  const ExperimentFile quoted = read_experiment_text(base + "sweep:\n  description: ['5', x]\n", "sweep.yaml", {});
  REQUIRE(quoted.points.size() == 2);
  CHECK(quoted.points[0].document["description"].Tag() == "!");
  CHECK(quoted.points[0].document["description"].Scalar() == "5");
}

}  // namespace
}  // namespace llmpo
