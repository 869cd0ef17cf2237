#include "perf_compare.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "perf_child.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

struct Build {
  std::string label;  // "current" or "reference"
  std::string binary;
  // Builds whose perf times start-up runs of its own (--startup-runs) are told not to, so that
  // every build's perf child does the same work as one from before that option.
  bool has_startup_runs = false;
};

bool perf_accepts(const std::string& binary, const std::string& option) {
  const ChildRun help = run_child(binary, {"perf", "--help"});
  return help.exit_code == 0 && help.out.find(option) != std::string::npos;
}

// A child that must succeed: its failure is the reference's (or this build's) fault, reported
// with what it printed.
ChildRun run_checked(const Build& build, const std::vector<std::string>& args) {
  const ChildRun run = run_child(build.binary, args);
  if (run.exit_code != 0) {
    std::string command = build.binary;
    for (const auto& arg : args) command += " " + arg;
    std::string err = run.err;
    if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
    throw InputError({}, "--compare-to", fmt::format("the {} build failed (exit status {}) running `{}`: {}", build.label,
                                                     run.exit_code, command, err.empty() ? "(nothing on stderr)" : err));
  }
  return run;
}

std::vector<std::string> perf_args(const PerfCompareOptions& options, const Build& build, int64_t requests,
                                   int64_t prefix_sessions) {
  std::vector<std::string> args{"perf", "--requests", std::to_string(requests), "--prefix-sessions",
                                std::to_string(prefix_sessions), "--format", "json"};
  if (options.trace) args.insert(args.end(), {"--trace", *options.trace});
  if (build.has_startup_runs) args.insert(args.end(), {"--startup-runs", "0"});
  return args;
}

PerfJsonFigures perf_figures(const Build& build, const ChildRun& run) {
  try {
    return parse_perf_json(run.out, fmt::format("the {} build ({})", build.label, build.binary));
  } catch (const std::runtime_error& error) {
    throw InputError({}, "--compare-to", error.what());
  }
}

double run_wall_s(const Build& build, const PerfJsonFigures& figures, int64_t requests) {
  for (const auto& [count, wall_s] : figures.run_wall_s)
    if (count == requests) return wall_s;
  throw InputError({}, "--compare-to", fmt::format("the {} build's perf JSON has no run of {} requests", build.label, requests));
}

void add_sample(PerfSamples& samples, double wall_s, double cpu_s, double peak_rss_mib) {
  samples.wall_s.push_back(wall_s);
  samples.cpu_s.push_back(cpu_s);
  samples.peak_rss_mib.push_back(peak_rss_mib);
}

std::string ratio_cell(double current, double reference) {
  return reference > 0 ? data_number(current / reference) : std::string();
}

}  // namespace

double best_of(const std::vector<double>& values) {
  if (values.empty()) throw InternalError("best_of: no values");
  return *std::min_element(values.begin(), values.end());
}

double median_of(const std::vector<double>& values) {
  if (values.empty()) throw InternalError("median_of: no values");
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t middle = sorted.size() / 2;
  return sorted.size() % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

std::vector<PerfScenarioComparison> run_perf_comparison(const PerfCompareOptions& options) {
  check_executable(options.reference_binary, "--compare-to");
  const Build builds[2] = {{"current", options.current_binary, perf_accepts(options.current_binary, "--startup-runs")},
                           {"reference", options.reference_binary, perf_accepts(options.reference_binary, "--startup-runs")}};
  std::vector<PerfScenarioComparison> comparisons;
  comparisons.push_back({"start-up: run of 1,000 requests", {}, {}});
  comparisons.push_back({"idle case + start-up (perf --requests 1)", {}, {}});
  for (int64_t count : options.request_counts) comparisons.push_back({format_thousands(count) + " requests", {}, {}});
  if (options.prefix_sessions > 0)
    comparisons.push_back({fmt::format("prefix reuse, {} sessions", format_thousands(options.prefix_sessions)), {}, {}});
  const auto samples_of = [&](std::size_t scenario, int build) -> PerfSamples& {
    return build == 0 ? comparisons[scenario].current : comparisons[scenario].reference;
  };

  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / fmt::format("llmpo-perf-compare-{}", ::getpid());
  std::filesystem::create_directories(scratch);
  struct RemoveScratch {
    std::filesystem::path path;
    ~RemoveScratch() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_scratch{scratch};

  for (int round = 0; round < options.rounds; ++round) {
    // Which build goes first alternates by round, so neither always runs on a warmer (or more
    // loaded) machine.
    const int order[2] = {round % 2, 1 - round % 2};
    std::size_t scenario = 0;
    for (int b : order) {
      spdlog::info("perf --compare-to: round {}/{}, start-up, {} build", round + 1, options.rounds, builds[b].label);
      const std::string out_dir = (scratch / fmt::format("startup-{}-{}", round, b)).string();
      const ChildRun run = run_checked(builds[b], {"run", options.quickstart_yaml, "--set", "workload.num_requests=1000",
                                                   "--out", out_dir, "--quiet"});
      add_sample(samples_of(scenario, b), run.wall_s, run.cpu_s, run.peak_rss_mib);
    }
    ++scenario;
    for (int b : order) {
      spdlog::info("perf --compare-to: round {}/{}, idle case, {} build", round + 1, options.rounds, builds[b].label);
      const ChildRun run = run_checked(builds[b], perf_args(options, builds[b], 1, 0));
      perf_figures(builds[b], run);  // a reference that prints no usable JSON fails here, before the long runs
      add_sample(samples_of(scenario, b), run.wall_s, run.cpu_s, run.peak_rss_mib);
    }
    ++scenario;
    for (int64_t count : options.request_counts) {
      for (int b : order) {
        spdlog::info("perf --compare-to: round {}/{}, {} requests, {} build", round + 1, options.rounds, count, builds[b].label);
        const ChildRun run = run_checked(builds[b], perf_args(options, builds[b], count, 0));
        const double wall_s = run_wall_s(builds[b], perf_figures(builds[b], run), count);
        add_sample(samples_of(scenario, b), wall_s, run.cpu_s, run.peak_rss_mib);
      }
      ++scenario;
    }
    if (options.prefix_sessions > 0) {
      for (int b : order) {
        spdlog::info("perf --compare-to: round {}/{}, prefix reuse, {} build", round + 1, options.rounds, builds[b].label);
        const ChildRun run = run_checked(builds[b], perf_args(options, builds[b], 1, options.prefix_sessions));
        const PerfJsonFigures figures = perf_figures(builds[b], run);
        if (!figures.prefix_wall_s)
          throw InputError({}, "--compare-to", fmt::format("the {} build's perf JSON has no prefix benchmark", builds[b].label));
        add_sample(samples_of(scenario, b), *figures.prefix_wall_s, run.cpu_s, run.peak_rss_mib);
      }
      ++scenario;
    }
  }
  return comparisons;
}

DataTable perf_comparison_table(const std::vector<PerfScenarioComparison>& comparisons) {
  DataTable table({"scenario", "build", "wall_best_s", "wall_median_s", "cpu_best_s", "cpu_median_s", "peak_rss_MiB"});
  for (const auto& c : comparisons) {
    for (const auto& [label, samples] : {std::pair<std::string, const PerfSamples*>{"current", &c.current},
                                         std::pair<std::string, const PerfSamples*>{"reference", &c.reference}})
      table.add_row({c.scenario, label, data_number(best_of(samples->wall_s)), data_number(median_of(samples->wall_s)),
                     data_number(best_of(samples->cpu_s)), data_number(median_of(samples->cpu_s)),
                     data_number(median_of(samples->peak_rss_mib))});
    table.add_row({c.scenario, "current/reference", ratio_cell(best_of(c.current.wall_s), best_of(c.reference.wall_s)),
                   ratio_cell(median_of(c.current.wall_s), median_of(c.reference.wall_s)),
                   ratio_cell(best_of(c.current.cpu_s), best_of(c.reference.cpu_s)),
                   ratio_cell(median_of(c.current.cpu_s), median_of(c.reference.cpu_s)),
                   ratio_cell(median_of(c.current.peak_rss_mib), median_of(c.reference.peak_rss_mib))});
  }
  return table;
}

}  // namespace llmpo
