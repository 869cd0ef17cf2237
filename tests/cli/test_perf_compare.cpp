// `perf --compare-to`: the child protocol against a stand-in reference build (a script printing
// fixed perf JSON), the figures and ratios it prints from what the children reported, and the
// errors for a reference that is missing, not executable or failing. Nothing here is timed: the
// current build's figures are only checked for being there and for the arithmetic on them.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "machine_output.hpp"
#include "simulator/cli/perf_child.hpp"
#include "simulator/cli/perf_compare.hpp"
#include "simulator/cli/perf_summary.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// A reference build that answers `perf --help` without --startup-runs (like a build from before
// it), `run ...` with nothing, and `perf --requests N --prefix-sessions S ...` with fixed JSON:
// the run of N > 1 requests took 3.0, 1.0, 2.0 s on its 1st, 2nd, 3rd call, every prefix
// benchmark 0.5 + 0.25 s. It logs each command line to calls.log beside itself.
const char* const kFakeReference = R"(#!/bin/bash
dir=$(dirname "$0")
echo "$*" >> "$dir/calls.log"
case "$1" in
  run) exit 0 ;;
  perf)
    if [ "$2" = "--help" ]; then echo "usage: llmperforacle perf [--requests N]... [--prefix-sessions N] [--format F]"; exit 0; fi
    requests=$3
    wall=0.001
    if [ "$requests" != 1 ]; then
      n=$(cat "$dir/count" 2>/dev/null || echo 0)
      echo $((n + 1)) > "$dir/count"
      walls=(3.0 1.0 2.0)
      wall=${walls[$n]}
    fi
    prefix=null
    if [ "$5" != 0 ]; then prefix='{"with_content_identity": {"wall_s": 0.5}, "content_cleared": {"wall_s": 0.25}}'; fi
    echo "{\"runs\": [{\"requests\": $requests, \"wall_s\": $wall}], \"idle\": {\"busy_wall_s\": 0.1, \"paused_wall_s\": 0.2}, \"sweep\": null, \"prefix\": $prefix}"
    ;;
esac
)";

std::string executable_script(const std::string& dir, const std::string& text) {
  const std::string path = write_file(dir, "reference.sh", text);
  ::chmod(path.c_str(), 0755);
  return path;
}

const Json& row_of(const Json& rows, const std::string& scenario, const std::string& build) {
  for (const Json& row : rows)
    if (row["scenario"] == scenario && row["build"] == build) return row;
  FAIL("no row for " << scenario << " / " << build);
  return rows;
}

std::string trace_path() { return traces_dir() + "/sharegpt_8k_filtered_stats_llama2_tokenizer.csv"; }

}  // namespace

TEST_CASE("perf --compare-to: each scenario's best, median and ratio from both builds' children", "[perf-compare]") {
  const std::string dir = fresh_dir("perf-compare");
  const std::string reference = executable_script(dir, kFakeReference);
  const Json rows = json_of(run_binary({"perf", "--compare-to", reference, "--requests", "100", "--prefix-sessions", "10",
                                        "--rounds", "3", "--trace", trace_path(), "--format", "json"}));
  // Four scenarios (start-up, idle case, 100 requests, prefix), three rows each.
  REQUIRE(rows.size() == 12);
  // The reference's run of 100 requests: 3.0, 1.0, 2.0 s over the rounds.
  const Json& ref = row_of(rows, "100 requests", "reference");
  CHECK(ref["wall_best_s"].get<double>() == 1.0);
  CHECK(ref["wall_median_s"].get<double>() == 2.0);
  CHECK(read_file(dir + "/count") == "3\n");
  // The prefix scenario's wall: both of its runs, 0.5 + 0.25 s, every round.
  CHECK(row_of(rows, "prefix reuse, 10 sessions", "reference")["wall_median_s"].get<double>() == 0.75);
  // The current build really ran: its own figures for the same scenarios, and the ratios are
  // current over reference, best over best and median over median.
  const Json& cur = row_of(rows, "100 requests", "current");
  CHECK(cur["wall_best_s"].get<double>() > 0);
  CHECK(cur["cpu_best_s"].get<double>() > 0);
  const Json& ratio = row_of(rows, "100 requests", "current/reference");
  CHECK(ratio["wall_best_s"].get<double>() == Approx(cur["wall_best_s"].get<double>() / 1.0));
  CHECK(ratio["wall_median_s"].get<double>() == Approx(cur["wall_median_s"].get<double>() / 2.0));
  for (const std::string scenario : {"start-up: run of 1,000 requests", "idle case + start-up (perf --requests 1)"}) {
    INFO(scenario);
    const Json& c = row_of(rows, scenario, "current");
    const Json& r = row_of(rows, scenario, "reference");
    const Json& q = row_of(rows, scenario, "current/reference");
    CHECK(c["cpu_median_s"].get<double>() > 0);
    if (r["cpu_median_s"].get<double>() > 0)
      CHECK(q["cpu_median_s"].get<double>() == Approx(c["cpu_median_s"].get<double>() / r["cpu_median_s"].get<double>()));
    else
      CHECK(q["cpu_median_s"].is_null());  // no ratio to a zero
  }
  // The reference was asked only what an older perf understands: 3 rounds of the start-up run,
  // the idle case, 100 requests and the prefix benchmark, plus the --help probe.
  const std::string log = read_file(dir + "/calls.log");
  CHECK(log.find("--startup-runs") == std::string::npos);
  CHECK(std::count(log.begin(), log.end(), '\n') == 1 + 4 * 3);
  CHECK_THAT(log, Contains("perf --requests 100 --prefix-sessions 0 --format json --trace"));
  CHECK_THAT(log, Contains("quickstart.yaml --set workload.num_requests=1000 --out"));
}

TEST_CASE("perf --compare-to: a missing, non-executable or failing reference is refused with exit 2", "[perf-compare]") {
  const std::string dir = fresh_dir("perf-compare-bad");
  BinaryRun run = run_binary({"perf", "--compare-to", dir + "/no-such-binary"});
  CHECK(run.code == 2);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Contains("--compare-to") && Contains("no-such-binary' does not exist"));

  const std::string plain = write_file(dir, "not-executable", "#!/bin/sh\n");
  run = run_binary({"perf", "--compare-to", plain});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--compare-to") && Contains("is not executable"));

  run = run_binary({"perf", "--compare-to", dir});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("is not a regular file"));

  const std::string failing = executable_script(dir, "#!/bin/bash\n[ \"$2\" = --help ] && exit 0\necho 'boom: no such model' >&2\nexit 3\n");
  run = run_binary({"perf", "--compare-to", failing, "--requests", "10", "--prefix-sessions", "0", "--rounds", "1"});
  CHECK(run.code == 2);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Contains("the reference build failed (exit status 3)") && Contains("boom: no such model"));
}

TEST_CASE("perf --compare-to: a reference whose perf JSON lacks a field is named with the field", "[perf-compare]") {
  CHECK_THROWS_WITH(parse_perf_json(R"({"runs": [{"requests": 10, "wall_s": 1}], "idle": {"busy_wall_s": 1}})", "ref"),
                    Contains("ref: its perf JSON has no number idle.paused_wall_s"));
  CHECK_THROWS_WITH(parse_perf_json("usage: ...", "ref"), Contains("ref printed no JSON document"));
  const PerfJsonFigures figures = parse_perf_json(
      R"({"runs": [{"requests": 10, "wall_s": 1.5}, {"requests": 20, "wall_s": 3}], "idle": {"busy_wall_s": 0.25, "paused_wall_s": 0.5}, "prefix": null})",
      "ref");
  CHECK(figures.run_wall_s == std::vector<std::pair<int64_t, double>>{{10, 1.5}, {20, 3.0}});
  CHECK(figures.idle_paused_wall_s == 0.5);
  CHECK(!figures.prefix_wall_s);
}

TEST_CASE("perf: best and median of rounds, and the scaling fit", "[perf-compare]") {
  CHECK(best_of({3, 1, 2}) == 1);
  CHECK(median_of({3, 1, 2}) == 2);
  CHECK(median_of({4, 1, 2, 3}) == 2.5);  // the mean of the middle two
  // Wall time proportional to requests: per-request time constant, exponent 1.
  ScalingFit linear = fit_scaling({{10'000, 0.05}, {100'000, 0.5}, {1'000'000, 5.0}});
  CHECK(linear.reference_requests == 10'000);
  CHECK(linear.exponent == Approx(1.0));
  CHECK(linear.relative_time_per_request[2].second == Approx(1.0));
  // Wall time ~ requests^1.5: 100x the requests, 1000x the time, 10x the time per request.
  ScalingFit super = fit_scaling({{1'000'000, 1000.0}, {10'000, 1.0}});
  CHECK(super.reference_requests == 10'000);
  CHECK(super.exponent == Approx(1.5));
  REQUIRE(super.relative_time_per_request.size() == 2);
  CHECK(super.relative_time_per_request[1].first == 1'000'000);
  CHECK(super.relative_time_per_request[1].second == Approx(10.0));
  CHECK(scaling_line(super) == "scaling: CPU time per request relative to 10,000 requests: 1,000,000 x10.00; CPU ~ requests^1.500 (1 = linear)");
}

TEST_CASE("perf --markdown prints Markdown only: with --format csv/json or --compare-to it is refused", "[perf-compare]") {
  BinaryRun run = run_binary({"perf", "--markdown", "--format", "json"});
  CHECK(run.code == 2);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Contains("--markdown") && Contains("cannot be combined with --format csv or json"));
  run = run_binary({"perf", "--markdown", "--compare-to", "/bin/true"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--markdown") && Contains("cannot be combined with --compare-to"));
}
