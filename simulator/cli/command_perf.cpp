// `llmperforacle perf`: the speed benchmark. It simulates the reference scenario - Llama-3-70B
// on four H100s (TP 4), vLLM with chunked prefill, ShareGPT request lengths, Poisson arrivals at
// 2.6 req/s (about 90% of what this deployment sustains) - at several request counts, and prints
// wall time, requests/s, engine steps/s, events/s and peak memory. It also checks that time
// does not grow with idle simulated time, and times a sweep of many small runs on all threads.
// Last, the prefix-reuse benchmark (perf_prefix.hpp): multi-turn chat with content identity
// against the same requests sharing nothing.
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "perf_prefix.hpp"
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

struct Measurement {
  double wall_s = 0;
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
  execute_runs(plan, executor, jobs, [&](RunOutcome& outcome, const Workload&) {
    m.requests += outcome.metrics.arrived;
    m.steps += outcome.metrics.steps;
    m.events += outcome.metrics.events;
    m.simulated_s = std::max(m.simulated_s, ns_to_s(outcome.result.end_ns));
  });
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace

int command_perf(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle perf", "Speed benchmark: the reference 1M-request scenario and friends.");
  p.multi("requests", "N", "request counts to simulate, one run each");
  p.option("trace", "CSV", "ShareGPT lengths file", "<repo>/experiments/traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv");
  p.option("sweep-points", "N", "also time a sweep of N runs of 10,000 requests on --jobs threads (0 = skip)", "0");
  p.option("jobs", "N", "threads for the sweep", "all hardware threads");
  p.option("prefix-sessions", "N",
           "prefix benchmark: N multi-turn chat sessions of 5 turns (a shared 1000-token system prompt, then per turn "
           "the whole history + a new 100-300-token message, replies of 100-300 tokens, think time exponential with "
           "mean 10 s, sessions Poisson at 0.5/s) on Llama3-8B / 1 x H100-SXM vLLM, simulated with content identity "
           "and again with every request's content cleared (no reuse possible); prints both wall (and CPU) times, "
           "their ratio (the goal: within 3x), events/s and the prefix cache hit rate (0 = skip)",
           "20000 (100,000 requests)");
  declare_format_option(p, "csv: one row per request count, full precision; json: {runs (the csv's rows), idle, "
                           "sweep, prefix, peak_rss_MiB}");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  std::ostream& note = narrative_stream(format, out);
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
  const Libraries libraries = Libraries::load();

  note << "reference scenario: Llama3-70B, 4 x H100-SXM (TP 4), vLLM defaults, ShareGPT lengths, Poisson 2.6 req/s (~90% of capacity)\n\n";
  // Per request count: full precision for scripts (the rows), rounded for people (the table).
  DataTable runs({"requests", "wall_s", "requests_per_s", "steps_per_s", "events_per_s", "simulated_h", "peak_rss_MiB"});
  TextTable table(runs.columns());
  for (int64_t count : counts) {
    const Measurement m = measure(scenario_yaml(trace, count, kPoisson, 1), libraries, 1);
    const double rss = peak_rss_mib();
    runs.add_row({std::to_string(count), data_number(m.wall_s), data_number(static_cast<double>(m.requests) / m.wall_s),
                  data_number(static_cast<double>(m.steps) / m.wall_s), data_number(static_cast<double>(m.events) / m.wall_s),
                  data_number(m.simulated_s / 3600), data_number(rss)});
    table.add_row({std::to_string(count), fmt::format("{:.3f}", m.wall_s),
                   fmt::format("{:.0f}", static_cast<double>(m.requests) / m.wall_s),
                   fmt::format("{:.0f}", static_cast<double>(m.steps) / m.wall_s),
                   fmt::format("{:.0f}", static_cast<double>(m.events) / m.wall_s), fmt::format("{:.2f}", m.simulated_s / 3600),
                   fmt::format("{:.0f}", rss)});
  }
  if (format == TableFormat::table) table.print(out);

  // The same traffic with 100 hours of silence in the middle: the same work, 30x the simulated
  // time. Without polling, the wall time stays the same (the time series just gets more rows).
  const Measurement busy = measure(scenario_yaml(trace, 20'000, kPoisson, 1), libraries, 1);
  const Measurement idle = measure(scenario_yaml(trace, 20'000, kWithPause, 1), libraries, 1);
  note << fmt::format("\nidle time: 20,000 requests over {:.1f} h took {:.3f} s; with a 100 h pause ({:.1f} h) {:.3f} s (ratio {:.2f})\n",
                      busy.simulated_s / 3600, busy.wall_s, idle.simulated_s / 3600, idle.wall_s, idle.wall_s / busy.wall_s);
  nlohmann::ordered_json sweep_json = nullptr;

  const int64_t points = p.get_int("sweep-points", 0, 0, static_cast<int64_t>(kMaxSweepPoints));
  if (points > 0) {
    const int jobs = static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024));
    const Measurement sweep = measure(scenario_yaml(trace, 10'000, kPoisson, points), libraries, jobs);
    note << fmt::format("sweep: {} runs of 10,000 requests on {} thread(s): {:.2f} s ({:.0f} requests/s)\n", points, jobs,
                        sweep.wall_s, static_cast<double>(sweep.requests) / sweep.wall_s);
    sweep_json = {{"runs", points}, {"requests_per_run", 10'000}, {"jobs", jobs}, {"wall_s", sweep.wall_s},
                  {"requests_per_s", static_cast<double>(sweep.requests) / sweep.wall_s}};
  }
  nlohmann::ordered_json prefix_json = nullptr;
  const int64_t prefix_sessions = p.get_int("prefix-sessions", 20'000, 0, 10'000'000);
  if (prefix_sessions > 0) {
    PrefixBenchmarkSizes sizes;
    sizes.sessions = prefix_sessions;
    const PrefixBenchmark bench = run_prefix_benchmark(sizes, libraries);
    note << prefix_benchmark_text(sizes, bench);
    prefix_json = prefix_benchmark_json(sizes, bench);
  }
  note << fmt::format("peak memory of this process: {:.0f} MiB\n", peak_rss_mib());
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
    j["peak_rss_MiB"] = peak_rss_mib();
    out << j.dump(2) << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
