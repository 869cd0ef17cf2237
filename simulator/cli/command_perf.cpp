// `llmperforacle perf`: the speed benchmark. It simulates the reference scenario - Llama-3-70B
// on four H100s (TP 4), vLLM with chunked prefill, ShareGPT request lengths, Poisson arrivals at
// 2.6 req/s (about 90% of what this deployment sustains) - at several request counts, and prints
// wall time, requests/s, engine steps/s, events/s and peak memory. It also checks that time
// does not grow with idle simulated time, and times a sweep of many small runs on all threads.
// Last, the prefix-reuse benchmark (perf_prefix.hpp): multi-turn chat with content identity
// against the same requests sharing nothing. Around them: the start-up figure and the scaling
// with request count (perf_summary.hpp), `--markdown` for the README table, and `--compare-to`,
// the same scenarios run by this build and a reference build alternately (perf_compare.hpp).
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "perf_child.hpp"
#include "perf_compare.hpp"
#include "perf_prefix.hpp"
#include "perf_summary.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

// `arrival` is a YAML flow mapping for workload.arrival.
std::string scenario_yaml(const std::string& trace, int64_t requests, const std::string& arrival, int64_t sweep_points) {
  std::string text = fmt::format(R"(name: perf
simulation: {{seed: 1}}
hardware:
  gpu0: {{preset: H100-SXM, count: 8}}
workload:
  arrival: {}
  num_requests: {}
  trace: {{file: "{}", format: lengths}}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {{model_profile_id: Llama3-70B, gpu_id: gpu0, tensor_parallel_degree: 4}}
)",
                                 arrival, requests, trace);
  if (sweep_points > 1) {
    // Distinct seeds: every point is a different workload, as in a real seed sweep.
    text += "sweep:\n  simulation.seed: [";
    for (int64_t i = 0; i < sweep_points; ++i) text += (i ? ", " : "") + std::to_string(i + 1);
    text += "]\n";
  }
  return text;
}

// About 90% of the 2.9 req/s this deployment sustains on these lengths (measured by running it
// saturated: `run` at 20 req/s completes 2.89 req/s).
const std::string kPoisson = "{process: poisson, rate_per_s: 2.6}";
// Half the requests (~64 min at 2.6 req/s), 100 hours of nothing, then the rest.
const std::string kWithPause =
    "{process: steps, steps: [{until_s: 3846, rate_per_s: 2.6}, {until_s: 363846, rate_per_s: 0}, "
    "{until_s: 1000000, rate_per_s: 2.6}]}";

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double process_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Measurement {
  double wall_s = 0;
  double cpu_s = 0;  // this process's, all threads: on a busy machine steadier than wall time
  int64_t requests = 0, steps = 0, events = 0;
  double simulated_s = 0;
};

Measurement measure(const std::string& yaml_text, const Libraries& libraries, int jobs) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("llmpo-perf-{}.yaml", ::getpid());
  std::ofstream(path) << yaml_text;
  const ExperimentPlan plan = plan_experiment(read_experiment(path.string(), {}), libraries);
  std::filesystem::remove(path);
  RunExecutor executor(plan, libraries);
  Measurement m;
  const auto start = std::chrono::steady_clock::now();  // workload generation included
  const double cpu_start_s = process_cpu_s();
  execute_runs(plan, executor, jobs, [&](RunOutcome& outcome, const Workload&) {
    m.requests += outcome.metrics.arrived;
    m.steps += outcome.metrics.steps;
    m.events += outcome.metrics.events;
    m.simulated_s = std::max(m.simulated_s, ns_to_s(outcome.result.end_ns));
  });
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.cpu_s = process_cpu_s() - cpu_start_s;
  return m;
}

// The comparison for people: seconds to the millisecond, ratios to the hundredth, a rule
// between scenarios.
void print_comparison_text(const DataTable& table, std::ostream& out) {
  TextTable text(table.columns());
  for (std::size_t r = 0; r < table.rows().size(); ++r) {
    const auto& row = table.rows()[r];
    const bool ratio = row[1] == "current/reference";
    std::vector<std::string> cells{row[0], row[1]};
    for (std::size_t c = 2; c < row.size(); ++c) {
      if (row[c].empty()) cells.push_back("-");
      else cells.push_back(fmt::format(fmt::runtime(ratio ? "{:.2f}" : c + 1 == row.size() ? "{:.0f}" : "{:.3f}"), std::stod(row[c])));
    }
    if (r > 0 && row[0] != table.rows()[r - 1][0]) text.add_separator();
    text.add_row(cells);
  }
  text.print(out);
}

}  // namespace

int command_perf(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle perf", "Speed benchmark: the reference 1M-request scenario and friends.");
  p.multi("requests", "N", "request counts to simulate, one run each (with two or more, a scaling line follows the table)");
  p.option("trace", "CSV", "ShareGPT lengths file", "<repo>/experiments/traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv");
  p.option("sweep-points", "N", "also time a sweep of N runs of 10,000 requests on --jobs threads (0 = skip)", "0");
  p.option("jobs", "N", "threads for the sweep", "all hardware threads");
  p.option("prefix-sessions", "N",
           "prefix benchmark: N multi-turn chat sessions of 5 turns (a shared 1000-token system prompt, then per turn "
           "the whole history + a new 100-300-token message, replies of 100-300 tokens, think time exponential with "
           "mean 10 s, sessions Poisson at 0.5/s) on Llama3-8B / 1 x H100-SXM vLLM, simulated with content identity "
           "and again with every request's content cleared (no reuse possible), alternately, 3 times each; prints "
           "the least wall (and CPU) time of each, their ratio (the goal: within 3x), events/s and the prefix cache "
           "hit rate (0 = skip)",
           "20000 (100,000 requests)");
  p.option("startup-runs", "N",
           "time N runs of experiments/quickstart.yaml with 1,000 requests as child processes (start-up as a user sees "
           "it: loading the binary and the libraries, simulating, writing the results) and print the best and median "
           "wall time (0 = skip)",
           "5");
  p.option("compare-to", "BINARY",
           "speed-regression guard: run the reference scenarios (the start-up run, the idle case, each --requests "
           "count, the prefix benchmark unless --prefix-sessions 0) with this build and with BINARY (another "
           "checkout's build/bin/llmperforacle) alternately, each as a child process, --rounds times; print per "
           "scenario both builds' best and median wall and CPU seconds and the ratio current/reference. BINARY needs "
           "only `perf --requests --prefix-sessions --format json` and `run --set --out --quiet`, so an older build works");
  p.option("rounds", "N", "rounds of --compare-to (each build runs each scenario once per round)", "3");
  p.flag("markdown", "print the README's \"Speed\" section instead of the table: the command, the machine (CPU "
                     "model and cores), the compiler and build, today's date, the table, the idle, start-up and "
                     "scaling lines");
  declare_format_option(p, "csv: one row per request count, full precision; json: {runs (the csv's rows), idle, "
                           "sweep, prefix, startup, scaling, peak_rss_MiB}; with --compare-to: one row per scenario "
                           "and build (current, reference, current/reference)");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  const bool markdown = p.has("markdown");
  if (markdown && format != TableFormat::table)
    throw InputError({}, "--markdown", "prints Markdown; it cannot be combined with --format csv or json");
  std::ostream null_stream(nullptr);  // --markdown prints only the section, nothing else
  std::ostream& note = markdown ? null_stream : narrative_stream(format, out);
  std::vector<int64_t> counts;
  for (const auto& text : p.get_all("requests")) {
    try {
      counts.push_back(std::stoll(text));
    } catch (const std::exception&) {
      throw InputError({}, "--requests", "expected request counts, got '" + text + "'");
    }
    if (counts.back() < 1) throw InputError({}, "--requests", "request counts must be positive");
  }
  if (counts.empty()) counts = {10'000, 100'000, 1'000'000};
  const std::string trace = p.get_or(
      "trace", (std::filesystem::path(data_root()) / "experiments" / "traces" /
                "sharegpt_8k_filtered_stats_llama2_tokenizer.csv").lexically_normal().string());
  const std::string quickstart =
      (std::filesystem::path(data_root()) / "experiments" / "quickstart.yaml").lexically_normal().string();
  const int64_t prefix_sessions = p.get_int("prefix-sessions", 20'000, 0, 10'000'000);
  const int64_t startup_runs = p.get_int("startup-runs", 5, 0, 1000);

  if (p.has("compare-to")) {
    if (markdown) throw InputError({}, "--markdown", "cannot be combined with --compare-to");
    PerfCompareOptions options;
    options.current_binary = current_executable();
    options.reference_binary = p.get("compare-to");
    options.request_counts = counts;
    options.prefix_sessions = prefix_sessions;
    options.rounds = static_cast<int>(p.get_int("rounds", 3, 1, 100));
    if (p.has("trace")) options.trace = trace;
    options.quickstart_yaml = quickstart;
    const DataTable table = perf_comparison_table(run_perf_comparison(options));
    note << fmt::format("current: {}\nreference: {}\n{} round(s), the builds alternating; wall of a request count: the "
                        "run's own figure; CPU: the whole child's (start-up and the idle case included: see its row)\n\n",
                        options.current_binary, options.reference_binary, options.rounds);
    if (format == TableFormat::table) print_comparison_text(table, out);
    else print_data_table(out, format, table);
    return kExitOk;
  }
  const Libraries libraries = Libraries::load();

  note << "reference scenario: Llama3-70B, 4 x H100-SXM (TP 4), vLLM defaults, ShareGPT lengths, Poisson 2.6 req/s (~90% of capacity)\n\n";
  // Per request count: full precision for scripts (the rows), rounded for people (the table).
  DataTable runs({"requests", "wall_s", "cpu_s", "requests_per_s", "steps_per_s", "events_per_s", "simulated_h", "peak_rss_MiB"});
  TextTable table(runs.columns());
  std::vector<SpeedRow> speed_rows;
  for (int64_t count : counts) {
    const Measurement m = measure(scenario_yaml(trace, count, kPoisson, 1), libraries, 1);
    const double rss = peak_rss_mib();
    SpeedRow row{count,
                 m.wall_s,
                 m.cpu_s,
                 static_cast<double>(m.requests) / m.wall_s,
                 static_cast<double>(m.steps) / m.wall_s,
                 static_cast<double>(m.events) / m.wall_s,
                 m.simulated_s / 3600,
                 rss};
    speed_rows.push_back(row);
    runs.add_row({std::to_string(count), data_number(row.wall_s), data_number(row.cpu_s), data_number(row.requests_per_s), data_number(row.steps_per_s),
                  data_number(row.events_per_s), data_number(row.simulated_h), data_number(rss)});
    table.add_row({std::to_string(count), fmt::format("{:.3f}", row.wall_s), fmt::format("{:.3f}", row.cpu_s),
                   fmt::format("{:.0f}", row.requests_per_s),
                   fmt::format("{:.0f}", row.steps_per_s), fmt::format("{:.0f}", row.events_per_s),
                   fmt::format("{:.2f}", row.simulated_h), fmt::format("{:.0f}", rss)});
  }
  if (format == TableFormat::table && !markdown) table.print(out);
  std::string markdown_lines;
  nlohmann::ordered_json scaling_json = nullptr;
  // Scaling in CPU time: one thread, so it is the work done, whatever else the machine runs.
  std::vector<std::pair<int64_t, double>> requests_cpu_s;
  for (const SpeedRow& row : speed_rows) requests_cpu_s.emplace_back(row.requests, row.cpu_s);
  std::sort(counts.begin(), counts.end());
  const bool all_timed = std::all_of(speed_rows.begin(), speed_rows.end(), [](const SpeedRow& row) { return row.cpu_s > 0; });
  if (std::unique(counts.begin(), counts.end()) - counts.begin() >= 2 && all_timed) {
    const ScalingFit fit = fit_scaling(requests_cpu_s);
    note << "\n" << scaling_line(fit) << "\n";
    markdown_lines += scaling_line(fit) + "\n\n";
    scaling_json = {{"reference_requests", fit.reference_requests}, {"exponent", fit.exponent}};
    for (const auto& [requests, ratio] : fit.relative_time_per_request)
      scaling_json["relative_time_per_request"].push_back({{"requests", requests}, {"ratio", ratio}});
  }

  // The same traffic with 100 hours of silence in the middle: the same work, 30x the simulated
  // time. Without polling, the wall time stays the same (the time series just gets more rows).
  const Measurement busy = measure(scenario_yaml(trace, 20'000, kPoisson, 1), libraries, 1);
  const Measurement idle = measure(scenario_yaml(trace, 20'000, kWithPause, 1), libraries, 1);
  const std::string idle_line =
      fmt::format("idle time: 20,000 requests over {:.1f} h took {:.3f} s; with a 100 h pause ({:.1f} h) {:.3f} s (ratio {:.2f})\n",
                  busy.simulated_s / 3600, busy.wall_s, idle.simulated_s / 3600, idle.wall_s, idle.wall_s / busy.wall_s);
  note << "\n" << idle_line;
  markdown_lines += idle_line + "\n";
  nlohmann::ordered_json startup_json = nullptr;
  if (startup_runs > 0 && !std::filesystem::exists(quickstart)) {
    spdlog::warn("perf: no start-up figure: {} is missing (an installation without the example experiments?)", quickstart);
  } else if (startup_runs > 0) {
    const StartupFigure startup = measure_startup(current_executable(), quickstart, static_cast<int>(startup_runs));
    const std::string startup_line = fmt::format(
        "start-up: a 1,000-request run (`run experiments/quickstart.yaml --set workload.num_requests=1000 --quiet`, "
        "a child process) took {:.1f} ms wall at best, {:.1f} ms median of {} ({:.1f} ms CPU at best)\n",
        startup.best_wall_s * 1e3, startup.median_wall_s * 1e3, startup.runs, startup.best_cpu_s * 1e3);
    note << startup_line;
    markdown_lines += startup_line + "\n";
    startup_json = {{"runs", startup.runs}, {"best_wall_s", startup.best_wall_s}, {"median_wall_s", startup.median_wall_s},
                    {"best_cpu_s", startup.best_cpu_s}};
  }
  nlohmann::ordered_json sweep_json = nullptr;

  const int64_t points = p.get_int("sweep-points", 0, 0, static_cast<int64_t>(kMaxSweepPoints));
  if (points > 0) {
    const int jobs = static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024));
    const Measurement sweep = measure(scenario_yaml(trace, 10'000, kPoisson, points), libraries, jobs);
    const std::string sweep_line = fmt::format("sweep: {} runs of 10,000 requests on {} thread(s): {:.2f} s ({:.0f} requests/s)\n",
                                               points, jobs, sweep.wall_s, static_cast<double>(sweep.requests) / sweep.wall_s);
    note << sweep_line;
    markdown_lines += sweep_line + "\n";
    sweep_json = {{"runs", points}, {"requests_per_run", 10'000}, {"jobs", jobs}, {"wall_s", sweep.wall_s},
                  {"requests_per_s", static_cast<double>(sweep.requests) / sweep.wall_s}};
  }
  nlohmann::ordered_json prefix_json = nullptr;
  if (prefix_sessions > 0) {
    PrefixBenchmarkSizes sizes;
    sizes.sessions = prefix_sessions;
    const PrefixBenchmark bench = run_prefix_benchmark(sizes, libraries);
    note << prefix_benchmark_text(sizes, bench);
    markdown_lines += prefix_benchmark_text(sizes, bench) + "\n";
    prefix_json = prefix_benchmark_json(sizes, bench);
  }
  note << fmt::format("peak memory of this process: {:.0f} MiB\n", peak_rss_mib());
  if (markdown) {
    std::string command_line = "llmperforacle perf";
    for (const auto& arg : args) command_line += " " + arg;
    out << speed_markdown(command_line, speed_rows, today_utc()) << "\n" << markdown_lines;
  }
  if (format == TableFormat::csv) out << runs.csv();
  if (format == TableFormat::json) {
    nlohmann::ordered_json j;
    j["runs"] = runs.json();
    j["idle"] = {{"requests", 20'000},
                 {"busy_simulated_h", busy.simulated_s / 3600},
                 {"busy_wall_s", busy.wall_s},
                 {"paused_simulated_h", idle.simulated_s / 3600},
                 {"paused_wall_s", idle.wall_s},
                 {"ratio", idle.wall_s / busy.wall_s}};
    j["sweep"] = sweep_json;
    j["prefix"] = prefix_json;
    j["startup"] = startup_json;
    j["scaling"] = scaling_json;
    j["peak_rss_MiB"] = peak_rss_mib();
    out << j.dump(2) << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
