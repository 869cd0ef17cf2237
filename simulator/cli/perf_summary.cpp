#include "perf_summary.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "perf_child.hpp"
#include "perf_compare.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

// Set for this file by simulator/cli/CMakeLists.txt; absent in other builds of it.
#ifndef LLMPO_BUILD_TYPE
#define LLMPO_BUILD_TYPE "unknown build type"
#endif
#ifndef LLMPO_LTO_ENABLED
#define LLMPO_LTO_ENABLED 0
#endif

namespace llmpo {

namespace {

// "317k", "2.1 M": the README's way of writing rates.
std::string short_rate(double value) {
  if (value >= 1e6) return fmt::format("{:.1f} M", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.0f}k", value / 1e3);
  return fmt::format("{:.0f}", value);
}

}  // namespace

ScalingFit fit_scaling(const std::vector<std::pair<int64_t, double>>& requests_time_s) {
  std::vector<std::pair<int64_t, double>> points = requests_time_s;
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               points.end());
  if (points.size() < 2) throw InternalError("fit_scaling: fewer than two request counts");
  for (const auto& [requests, wall_s] : points)
    if (requests <= 0 || !(wall_s > 0)) throw InternalError("fit_scaling: a count or time is not positive");
  ScalingFit fit;
  fit.reference_requests = points.front().first;
  const double reference_per_request = points.front().second / static_cast<double>(points.front().first);
  double mean_x = 0, mean_y = 0;
  for (const auto& [requests, wall_s] : points) {
    fit.relative_time_per_request.emplace_back(requests, wall_s / static_cast<double>(requests) / reference_per_request);
    mean_x += std::log(static_cast<double>(requests));
    mean_y += std::log(wall_s);
  }
  const auto n = static_cast<double>(points.size());
  mean_x /= n;
  mean_y /= n;
  double sxy = 0, sxx = 0;
  for (const auto& [requests, wall_s] : points) {
    const double dx = std::log(static_cast<double>(requests)) - mean_x;
    sxy += dx * (std::log(wall_s) - mean_y);
    sxx += dx * dx;
  }
  fit.exponent = sxy / sxx;
  return fit;
}

std::string scaling_line(const ScalingFit& fit) {
  std::string text = fmt::format("scaling: CPU time per request relative to {} requests:", format_thousands(fit.reference_requests));
  for (std::size_t i = 1; i < fit.relative_time_per_request.size(); ++i)
    text += fmt::format("{} {} x{:.2f}", i > 1 ? "," : "", format_thousands(fit.relative_time_per_request[i].first),
                        fit.relative_time_per_request[i].second);
  return text + fmt::format("; CPU ~ requests^{:.3f} (1 = linear)", fit.exponent);
}

StartupFigure measure_startup(const std::string& binary, const std::string& quickstart_yaml, int runs) {
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / fmt::format("llmpo-perf-startup-{}", ::getpid());
  std::vector<double> wall_s, cpu_s;
  for (int i = 0; i < runs; ++i) {
    const std::string out_dir = (scratch / std::to_string(i)).string();
    const std::vector<std::string> args{"run", quickstart_yaml, "--set", "workload.num_requests=1000", "--out", out_dir, "--quiet"};
    const ChildRun run = run_child(binary, args);
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
    if (run.exit_code != 0)
      throw InternalError(fmt::format("the start-up run of {} failed (exit status {}): {}", quickstart_yaml, run.exit_code, run.err));
    wall_s.push_back(run.wall_s);
    cpu_s.push_back(run.cpu_s);
  }
  return {best_of(wall_s), median_of(wall_s), best_of(cpu_s), runs};
}

std::string machine_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model;
  int processors = 0;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("processor", 0) == 0) ++processors;
    if (model.empty() && line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  if (model.empty()) model = "unknown CPU";
  return processors > 0 ? fmt::format("{} ({} cores)", model, processors) : model;
}

std::string build_description() {
#if defined(__clang__)
  const std::string compiler = fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  const std::string compiler = fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  const std::string compiler = "unknown compiler";
#endif
  return fmt::format("{}, {} build, LTO {}", compiler, LLMPO_BUILD_TYPE, LLMPO_LTO_ENABLED ? "on" : "off");
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

std::string speed_markdown(const std::string& command_line, const std::vector<SpeedRow>& rows, const std::string& date_utc) {
  std::string text = fmt::format("`{}` on {}, {}, {} (a shared machine: timings vary run to run):\n\n", command_line,
                                 machine_description(), build_description(), date_utc);
  text += "| requests | wall time | CPU time | requests/s | engine steps/s | events/s | simulated time | peak memory |\n";
  text += "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const SpeedRow& row : rows)
    text += fmt::format("| {} | {:.2f} s | {:.2f} s | {} | {} | {} | {:.1f} h | {:.0f} MiB |\n", format_thousands(row.requests), row.wall_s, row.cpu_s,
                        short_rate(row.requests_per_s), short_rate(row.steps_per_s), short_rate(row.events_per_s),
                        row.simulated_h, row.peak_rss_mib);
  return text;
}

}  // namespace llmpo
