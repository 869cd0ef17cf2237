#pragma once
// `perf` measured from outside: a build of llmperforacle run as a child process, its wall time,
// its CPU time and peak memory from the kernel's accounting of that child (wait4), and the
// figures its `perf --format json` printed. Used by `perf --compare-to` (both builds measured the
// same way) and for the start-up figure (a 1,000-request `run` timed from outside, as a user
// sees it: loading the binary and the libraries included).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

struct ChildRun {
  double wall_s = 0;        // fork to exit, measured by this process
  double cpu_s = 0;         // the child's user + system time (getrusage of the child)
  double peak_rss_mib = 0;  // the child's peak resident memory
  std::string out;          // what it wrote to stdout
  std::string err;          // what it wrote to stderr
  int exit_code = 0;        // 128 + signal number when a signal ended it
};

// Throws InputError on `flag` when `path` is not an executable regular file, saying which.
void check_executable(const std::string& path, const std::string& flag);

// Runs `binary args...` to its end (no shell). Throws std::runtime_error when the process cannot
// be started at all.
ChildRun run_child(const std::string& binary, const std::vector<std::string>& args);

// What one `perf --format json` printed, as far as --compare-to needs it. Only the fields every
// `perf` since the json format has printed are required, so an older build works as a reference.
struct PerfJsonFigures {
  std::vector<std::pair<int64_t, double>> run_wall_s;  // (requests, wall_s) per "runs" row
  double idle_busy_wall_s = 0, idle_paused_wall_s = 0;
  std::optional<double> prefix_wall_s;  // both prefix runs' wall time together; none when skipped
};

// Throws std::runtime_error naming `source` and the missing or mistyped field.
PerfJsonFigures parse_perf_json(const std::string& text, const std::string& source);

}  // namespace llmpo
