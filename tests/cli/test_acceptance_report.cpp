// The report's speculative-decoding "acceptance" chart: absent without speculation; with it, one
// point per acceptance length of each speculating run, at that length's share of the run's
// verification steps as summary.csv's acceptance_length_histogram counts them.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/report_page.hpp"

using namespace llmpo::test;
using json = nlohmann::json;

TEST_CASE("report: the acceptance-length chart shows each speculating run's histogram as shares") {
  if (libraries_missing()) return;
  const std::string out = fresh_dir("acceptance-report") + "/out";
  const CliRun run = run_cli_args({"run", example("speculative_decoding_bs1_mtbench.yaml"), "--set",
                                   "workload.num_requests=10", "--out", out, "--quiet", "--no-requests"});
  REQUIRE(run.code == 0);
  REQUIRE(run_cli_args({"report", out}).code == 0);
  const json charts = charts_of(out + "/report.html");
  const json& values = chart(charts, "acceptance")["data"]["values"];
  // Expected shares from summary.csv's histogram cells, parsed here: "1:40;2:25;3:31".
  const auto summary = read_csv(out + "/summary.csv");
  const std::size_t histogram = column(summary, "acceptance_length_histogram");
  std::size_t expected_points = 0;
  std::map<std::pair<std::string, int>, double> share;  // (framework, length) -> %
  for (std::size_t r = 1; r < summary.size(); ++r) {
    const std::string cell = summary[r][histogram];
    if (cell.empty()) continue;  // the run without speculation
    std::map<int, double> counts;
    double total = 0;
    std::size_t start = 0;
    while (start < cell.size()) {
      const std::size_t end = std::min(cell.find(';', start), cell.size());
      const std::string part = cell.substr(start, end - start);
      const std::size_t colon = part.find(':');
      counts[std::stoi(part.substr(0, colon))] = std::stod(part.substr(colon + 1));
      total += std::stod(part.substr(colon + 1));
      start = end + 1;
    }
    for (const auto& [length, steps] : counts) share[{summary[r][column(summary, "framework")], length}] = 100 * steps / total;
    expected_points += counts.size();
  }
  CHECK(expected_points > 3 + 5);  // k = 2, 4, 7: up to 3, 5 and 8 lengths
  REQUIRE(values.size() == expected_points);
  for (const auto& v : values) {
    const auto key = std::make_pair(v["framework"].get<std::string>(), v["length"].get<int>());
    REQUIRE(share.count(key) == 1);
    CHECK(v["share"].get<double>() == Approx(share.at(key)));
    CHECK(v["framework"] != "none");
  }
}

TEST_CASE("report: no acceptance-length chart without speculation") {
  if (libraries_missing()) return;
  const std::string out = fresh_dir("acceptance-report-none") + "/out";
  REQUIRE(run_cli_args({"run", example("quickstart.yaml"), "--set", "workload.num_requests=20", "--out", out, "--quiet",
                        "--no-requests"})
              .code == 0);
  REQUIRE(run_cli_args({"report", out}).code == 0);
  for (const auto& c : charts_of(out + "/report.html")) CHECK(c["id"] != "acceptance");
}
