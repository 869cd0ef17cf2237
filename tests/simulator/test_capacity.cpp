// `llmperforacle capacity`: the bisection finds the load that queueing theory predicts, stops at
// saturation, searches closed-loop concurrency, and refuses files it cannot search.
#include <catch2/catch.hpp>

#include "experiment_helpers.hpp"
#include "md1_experiment.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

std::string md1(const std::string& arrival, const std::string& capacity, const std::string& extra_simulation = "") {
  return md1_experiment("capacity_md1", arrival, 20000, "capacity:\n" + capacity, extra_simulation);
}

struct CapacityRun {
  CliRun cli;
  std::vector<std::vector<std::string>> table, log;
  double capacity() const { return std::stod(table.at(1).at(column(table, "capacity"))); }
};

CapacityRun capacity_of(const std::string& text) {
  const std::string dir = fresh_dir("capacity");
  CapacityRun run;
  run.cli = run_cli_args({"capacity", write_file(dir, "cap.yaml", text), "--out", dir + "/out", "--quiet"});
  if (run.cli.code == 0) {
    run.table = read_csv(dir + "/out/capacity.csv");
    run.log = read_csv(dir + "/out/capacity_log.csv");
  }
  return run;
}

}  // namespace

TEST_CASE("capacity: a mean-TTFT bound on an M/D/1 queue gives the Pollaczek-Khinchine rate") {
  // Mean wait Wq = rho D / (2 (1 - rho)). TTFT mean <= 30 ms = 3D means Wq <= 2D, so
  // rho / (2 (1 - rho)) = 2, rho = 0.8: 80 requests per second.
  const CapacityRun run = capacity_of(md1("{process: poisson, rate_per_s: 10}",
                                          "  slo: {ttft_mean_ms: 30}\n  low: 10\n  high: 200\n  tolerance: 0.01\n"));
  REQUIRE(run.cli.code == 0);
  CHECK(run.capacity() == Approx(80).epsilon(0.03));
  CHECK(run.table[1][column(run.table, "verdict")] == "bracketed");
  // Every probe is logged; the bracket's two ends were checked first.
  REQUIRE(run.log.size() >= 5);
  CHECK(run.log[1][column(run.log, "load")] == "10");
  CHECK(run.log[2][column(run.log, "load")] == "200");
  CHECK(run.log[2][column(run.log, "state")] == "overloaded");
  CHECK(run.table[1][column(run.table, "probes")] == std::to_string(run.log.size() - 1));
}

TEST_CASE("capacity: with a loose SLO the search stops where the queue stops being stable") {
  // Every request meets e2el <= 10 s until the queue grows without bound at rho = 1 (100 req/s):
  // the saturation check must stop the search below the service rate, and not far below it.
  const CapacityRun run = capacity_of(md1("{process: poisson, rate_per_s: 10}",
                                          "  min_attainment: 0.99\n  low: 10\n  high: 200\n",
                                          "  slo: {e2el_ms: 10000}\n"));
  REQUIRE(run.cli.code == 0);
  CHECK(run.capacity() < 100);
  CHECK(run.capacity() > 80);
  bool saw_backlog = false;
  for (std::size_t i = 1; i < run.log.size(); ++i) saw_backlog |= run.log[i][column(run.log, "state")] == "backlogged";
  CHECK(saw_backlog);
}

TEST_CASE("capacity: a closed loop searches the number of clients") {
  // c clients, no think time, one request at a time: each request waits for the other c - 1,
  // so TTFT = c x 10 ms exactly; TTFT mean <= 45 ms allows 4 clients.
  const CapacityRun run = capacity_of(md1("{process: closed_loop, clients: 1}",
                                          "  slo: {ttft_mean_ms: 45}\n  low: 1\n  high: 64\n"));
  REQUIRE(run.cli.code == 0);
  CHECK(run.capacity() == 4);
  CHECK(run.table[1][column(run.table, "load")] == "concurrency");
  CHECK_THAT(run.table[1][column(run.table, "first_failing_reason")], Contains("ttft_mean_ms 50.0 > 45"));
}

TEST_CASE("capacity: a file it cannot search is refused with what would be valid") {
  const auto no_section = capacity_of(md1("{process: poisson, rate_per_s: 10}", "")).cli;
  CHECK(no_section.code == 2);
  CHECK_THAT(no_section.err, Contains("capacity: missing: say what capacity means"));
  const auto bad_bound = capacity_of(md1("{process: poisson, rate_per_s: 10}", "  slo: {ttft_p90: 30}\n  low: 1\n  high: 2\n")).cli;
  CHECK(bad_bound.code == 2);
  CHECK_THAT(bad_bound.err, Contains("capacity.slo.ttft_p90: unknown bound 'ttft_p90': expected <metric>_<statistic>_ms"));
  const auto steps = capacity_of(md1("{process: steps, steps: [{until_s: 10, rate_per_s: 5}]}",
                                     "  slo: {ttft_mean_ms: 45}\n  low: 1\n  high: 64\n")).cli;
  CHECK(steps.code == 2);
  CHECK_THAT(steps.err, Contains("workload.arrival: capacity varies the request rate"));
  const auto unattainable = capacity_of(md1("{process: poisson, rate_per_s: 10}", "  min_attainment: 0.9\n  low: 1\n  high: 2\n")).cli;
  CHECK_THAT(unattainable.err, Contains("capacity.min_attainment: needs a per-request SLO"));
}
