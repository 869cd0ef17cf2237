#pragma once
// `perf --compare-to REF_BINARY`: the speed-regression guard. The reference scenarios are run
// by this build and by a reference build (another checkout's llmperforacle) alternately, as
// child processes, N rounds, and each build's best and median wall and CPU seconds are printed
// with the ratio current/reference.
//
// The child protocol uses only what every `perf` with --format json accepts (--requests,
// --prefix-sessions, --trace, --format json) and `run ... --set ... --out ... --quiet`, so an
// older build can be the reference. Per round and build:
//   start-up  `run experiments/quickstart.yaml --set workload.num_requests=1000 --out TMP --quiet`:
//             the child's wall and CPU time, as a user sees a small run.
//   idle      `perf --requests 1 --prefix-sessions 0 --format json`: the child's wall and CPU
//             time. Every `perf` also runs its idle case (20,000 requests, then the same with a
//             100-hour pause), so this child is that case plus start-up.
//   N reqs    `perf --requests N --prefix-sessions 0 --format json`: wall = the child's own
//             figure for the N-request run (its JSON); CPU = the whole child's, so it holds the
//             idle child's work as well (subtracting it was tried: at 10,000 requests the
//             difference drowned in the noise of a busy machine and came out negative).
//   prefix    `perf --requests 1 --prefix-sessions S --format json` (when S > 0): wall = the
//             child's figures for its two prefix runs; CPU = the whole child's.
// A build whose perf has --startup-runs is given `--startup-runs 0`, so that its children do the
// work of an older perf.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/util/data_table.hpp"

namespace llmpo {

struct PerfCompareOptions {
  std::string current_binary;
  std::string reference_binary;
  std::vector<int64_t> request_counts;
  int64_t prefix_sessions = 0;       // 0: no prefix scenario
  int rounds = 3;
  std::optional<std::string> trace;  // passed to both builds' perf when given
  std::string quickstart_yaml;       // the start-up scenario's experiment
};

// One build's samples of one scenario, a value per round.
struct PerfSamples {
  std::vector<double> wall_s, cpu_s, peak_rss_mib;
};

struct PerfScenarioComparison {
  std::string scenario;
  PerfSamples current, reference;
};

double best_of(const std::vector<double>& values);    // the minimum
double median_of(const std::vector<double>& values);  // the middle value; the mean of the middle two for an even count

// Runs every scenario `rounds` times with each build, alternating which build goes first.
// Throws InputError on --compare-to when a child fails (its exit status and stderr quoted).
std::vector<PerfScenarioComparison> run_perf_comparison(const PerfCompareOptions& options);

// Per scenario three rows: current, reference, and current/reference (the ratio of the bests
// in the best columns, of the medians in the median columns). Columns: scenario, build,
// wall_best_s, wall_median_s, cpu_best_s, cpu_median_s, peak_rss_MiB (the median).
DataTable perf_comparison_table(const std::vector<PerfScenarioComparison>& comparisons);

}  // namespace llmpo
