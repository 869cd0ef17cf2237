// `llmperforacle search`: with a cost model that ignores the GPU, every GPU type serves the same
// rate, so the cheapest configuration is the cheapest GPU with the fewest replicas queueing
// theory allows; layouts vLLM would refuse are pruned before any simulation.
#include <catch2/catch.hpp>

#include "experiment_helpers.hpp"
#include "md1_experiment.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// The M/D/1 deployment of test_capacity.cpp (10 ms per request, one at a time, mean TTFT bound
// 30 ms: 80 req/s per replica by Pollaczek-Khinchine), searched over three GPU types and TP 1, 3.
const std::string kSearch = md1_search_experiment();

}  // namespace

TEST_CASE("search: the cheapest GPU at the fewest replicas wins, and refused layouts are pruned") {
  const std::string dir = fresh_dir("search");
  const CliRun run = run_cli_args({"search", write_file(dir, "search.yaml", kSearch), "--out", dir + "/out"});
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  const auto csv = read_csv(dir + "/out/search.csv");
  REQUIRE(csv.size() == 7);  // header + 3 GPUs x 2 TP degrees
  int pruned = 0, frontier = 0;
  for (std::size_t i = 1; i < csv.size(); ++i) {
    const auto& row = csv[i];
    if (row[column(csv, "tensor_parallel_degree")] == "3") {
      CHECK(row[column(csv, "status")] == "pruned");
      CHECK_THAT(row[column(csv, "reason")], Contains("TP 3 does not divide"));
      ++pruned;
      continue;
    }
    // 150 req/s over replicas of about 80 req/s each: two replicas, on every GPU alike.
    CHECK(row[column(csv, "status")] == "ok");
    CHECK(row[column(csv, "replicas")] == "2");
    CHECK(std::stod(row[column(csv, "capacity_per_replica_req_per_s")]) == Approx(80).epsilon(0.05));
    frontier += row[column(csv, "pareto")] == "true";
    if (row[column(csv, "gpu")] == "A100-80GB-SXM") CHECK(row[column(csv, "cost_per_hour_usd")] == "3");  // 2 x the override
  }
  CHECK(pruned == 3);
  // Same latency everywhere, so only the cheapest is on the frontier: the A40 at $0.40 per hour
  // (the library price), two of them.
  CHECK(frontier == 1);
  CHECK_THAT(run.out, Contains("cheapest: one_at_a_time on 2 x A40 (TP 1 x PP 1 x 2 replicas), $0.80/h"));
}

TEST_CASE("search: the section is checked like the rest of the file") {
  const std::string dir = fresh_dir("search-errors");
  std::string text = kSearch;
  text.replace(text.find("A40]"), 4, "A4O]");
  const CliRun bad_gpu = run_cli_args({"search", write_file(dir, "a.yaml", text), "--out", dir + "/out"});
  CHECK(bad_gpu.code == 2);
  CHECK_THAT(bad_gpu.err, Contains("search.gpus: unknown GPU 'A4O'"));
  std::string no_capacity = kSearch;
  no_capacity.erase(no_capacity.find("capacity:"), no_capacity.find("search:") - no_capacity.find("capacity:"));
  const CliRun missing = run_cli_args({"validate", write_file(dir, "b.yaml", no_capacity)});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Contains("a search needs a capacity: section"));
}

TEST_CASE("search: candidates evaluated on several threads give the single-thread results") {
  const std::string dir = fresh_dir("search-jobs");
  const std::string file = write_file(dir, "search.yaml", kSearch);
  REQUIRE(run_cli_args({"search", file, "--out", dir + "/one", "--jobs", "1", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"search", file, "--out", dir + "/two", "--jobs", "2", "--quiet"}).code == 0);
  CHECK(read_file(dir + "/one/search.csv") == read_file(dir + "/two/search.csv"));
}
