#pragma once
// What `perf` prints around its measurements: the scaling of time with request count, the
// start-up figure (a small `run` timed from outside), and the README's "Speed" table in Markdown
// with the machine, the compiler and the date (`perf --markdown`).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace llmpo {

// Time per request at each count relative to the smallest count's, and the exponent k of the
// least-squares fit time = a * requests^k on log-log axes (1 = linear). `perf` passes CPU times.
struct ScalingFit {
  int64_t reference_requests = 0;
  std::vector<std::pair<int64_t, double>> relative_time_per_request;  // (requests, ratio), the reference first
  double exponent = 0;
};
// Needs at least two distinct counts with positive wall times (InternalError otherwise).
ScalingFit fit_scaling(const std::vector<std::pair<int64_t, double>>& requests_time_s);
// "scaling: CPU time per request relative to 10,000 requests: 100,000 x0.97, ...; CPU ~ requests^1.010 (1 = linear)"
std::string scaling_line(const ScalingFit& fit);

// A 1,000-request `run` of `quickstart_yaml` by `binary`, timed from outside `runs` times.
struct StartupFigure {
  double best_wall_s = 0, median_wall_s = 0, best_cpu_s = 0;
  int runs = 0;
};
StartupFigure measure_startup(const std::string& binary, const std::string& quickstart_yaml, int runs);

// "AMD EPYC 9R14 (2 cores)" from /proc/cpuinfo; "unknown CPU" when it cannot be read.
std::string machine_description();
// "GCC 12.2.0, Release, LTO off": the compiler and build that made this binary.
std::string build_description();

struct SpeedRow {
  int64_t requests = 0;
  double wall_s = 0, cpu_s = 0, requests_per_s = 0, steps_per_s = 0, events_per_s = 0, simulated_h = 0, peak_rss_mib = 0;
};
// The README "Speed" table: a line naming the command, machine, build and date (UTC), then one
// row per request count, formatted as the README shows them.
std::string speed_markdown(const std::string& command_line, const std::vector<SpeedRow>& rows, const std::string& date_utc);
// Today's date, "2026-12-06".
std::string today_utc();

}  // namespace llmpo
