// `llmperforacle run FILE` and `llmperforacle validate FILE`: the main job. The experiment is
// planned (and so validated) whole before the first simulation starts.
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "args.hpp"
#include "progress.hpp"
#include "commands.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/experiment/results_writer.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

void declare_common(ArgParser& p) {
  p.positional("FILE", "experiment YAML (see experiments/README.md)");
  p.repeated("set", "KEY.PATH=VALUE", "override any field, e.g. --set workload.arrival.rate_per_s=8");
  p.flag("allow-large", "accept workloads of more than 10 million requests (otherwise an input error)");
}

ExperimentFile read_from(const ArgParser& p) {
  const auto file = p.positional_value("FILE");
  if (!file) throw InputError({}, "FILE", "name the experiment file, e.g. experiments/quickstart.yaml");
  return read_experiment(*file, p.get_all("set"));
}

ExperimentPlan plan_from(const ArgParser& p, const Libraries& libraries) {
  PlanOptions options;
  options.allow_large_workloads = p.has("allow-large");
  return plan_experiment(read_from(p), libraries, options);
}

std::string join_args(const Args& args) {
  std::string out = "llmperforacle run";
  for (const auto& arg : args) out += " " + arg;
  return out;
}

}  // namespace

int command_validate(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle validate", "Check an experiment file completely (every sweep point) without running it.");
  declare_common(p);
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_from(p, libraries);
  out << fmt::format("{}: valid - {} sweep point(s), {} run(s), {} distinct workload(s)\n", plan.path,
                     plan.points.size(), plan.runs.size(), plan.workloads.size());
  for (const auto& run : plan.runs)
    out << fmt::format("  run {}: {} ({}) {} on {} x {} TP {} PP {}, KV {} blocks x {} tokens\n", run.index, run.name,
                       framework_type_name(run.settings), run.model.id, run.parallel.gpus() * run.replicas,
                       run.hardware.gpu.id, run.parallel.tensor_parallel, run.parallel.pipeline_parallel,
                       run.kv.num_gpu_blocks, run.kv.block_size);
  return kExitOk;
}

int command_run(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle run",
              "Simulate every deployment of an experiment file on the same seeded workload and write\n"
              "summary.csv, requests.csv, timeseries.csv and manifest.json.");
  declare_common(p);
  p.option("out", "DIR", "output folder", "results/<experiment name>");
  p.flag("no-requests", "do not write requests.csv (large runs)");
  p.flag("quiet", "print nothing but errors");
  p.option("jobs", "N", "runs simulated in parallel (each run stays single-threaded)", "all hardware threads");
  p.flag("step-by-step", "simulate every decode step as its own event (same results, slower; for verification)");
  p.flag("resume", "keep the runs an interrupted command saved in DIR/partial (same configuration hash) and run the rest");
  p.flag("restart", "discard the runs an interrupted command saved in DIR/partial");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const bool quiet = p.has("quiet");
  if (p.has("resume") && p.has("restart")) throw InputError({}, "--resume", "--resume and --restart exclude each other");
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_from(p, libraries);
  const std::string out_dir = p.get_or("out", (std::filesystem::path("results") / plan.name).string());

  const PartialRuns partial = p.has("resume") ? PartialRuns::resume : p.has("restart") ? PartialRuns::restart
                                                                                       : PartialRuns::refuse;
  ResultsWriter writer(plan, out_dir, !p.has("no-requests"), partial);
  if (writer.already_complete()) {
    if (!quiet) out << fmt::format("{}: complete for this experiment ({} runs); nothing to do\n", out_dir, plan.runs.size());
    return kExitOk;
  }
  const int64_t resumed = writer.finished_count();
  if (!quiet && resumed > 0)
    out << fmt::format("resuming: {} of {} runs already finished in {}/partial\n", resumed, plan.runs.size(), out_dir);

  RunExecutor executor(plan, libraries, !p.has("step-by-step"));
  RunControl control;
  const auto started = std::chrono::steady_clock::now();
  int64_t simulated_requests = 0;
  const int jobs = static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024));
  std::vector<std::string> workload_summaries(plan.workloads.size());
  try {
    const StopOnSignals stop_on_signals(control);
    const ProgressLine progress(control, static_cast<int64_t>(plan.runs.size()) - resumed,
                                !quiet && ProgressLine::stderr_is_terminal());
    execute_runs(
        plan, executor, jobs,
        [&](RunOutcome& outcome, const Workload& workload) {
          workload_summaries[static_cast<std::size_t>(outcome.run->workload_index)] = workload.summary;
          writer.add(outcome, workload);
          simulated_requests += outcome.metrics.arrived;
        },
        [&](int64_t run) { return writer.finished(run); }, &control);
  } catch (const Interrupted&) {
    throw StoppedByUser(fmt::format(
        "{} of {} runs finished and are saved in {}/partial; the outputs of any earlier complete run are "
        "untouched. Run the same command with --resume to finish the other {}",
        writer.finished_count(), plan.runs.size(), out_dir, static_cast<int64_t>(plan.runs.size()) - writer.finished_count()));
  }
  if (!quiet)
    for (std::size_t w = 0; w < plan.workloads.size(); ++w)
      if (!workload_summaries[w].empty()) out << "workload " << w << ": " << workload_summaries[w] << "\n";
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto files = writer.finish(join_args(args));
  if (!quiet) {
    out << "\n" << writer.comparison_table();
    out << "KV tokens: per replica, computed as vLLM does (utilization x memory - weights - activation peak -\n"
           "overhead); `llmperforacle memory` explains one configuration line by line.\n";
    out << fmt::format("\n{} run(s) ({} resumed), {} simulated requests in {:.2f} s of wall time\n", plan.runs.size(),
                       resumed, simulated_requests, wall_s);
    for (const auto& file : files) out << "wrote " << file << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
