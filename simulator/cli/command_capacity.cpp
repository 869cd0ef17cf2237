// `llmperforacle capacity FILE`: per deployment (and sweep point) of an experiment file, the
// highest request rate or concurrency that meets the file's `capacity:` SLOs without
// saturating; writes capacity.csv (one row per deployment), capacity_log.csv (every probe
// of every bisection) and capacity_spec.csv (the SLOs and search range the probes were judged by).
// With capacity.pd_splits, a disaggregated deployment is searched at every split of its GPUs
// between prefill and decode instances, and the best split is marked.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "progress.hpp"
#include "simulator/experiment/capacity_search.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/experiment/pd_deployment.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/report/results_report.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_lock.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

std::string load_name(const CapacityResult& r) { return r.closed_loop ? "concurrency" : "request_rate_req_per_s"; }

// A disaggregated deployment's instance counts, "3P+1D"; "" for an aggregated one.
std::string pd_split(const RunSpec& run) {
  return run.pd ? fmt::format("{}P+{}D", run.replicas, run.pd->decode.replicas) : std::string();
}

// The deployments searched: the plan's, each disaggregated one (with capacity.pd_splits) replaced
// by every split of its GPUs at the same total, its own among them. `storage` keeps the splits.
std::vector<const RunSpec*> searched_deployments(const ExperimentPlan& plan, std::deque<RunSpec>& storage) {
  std::vector<const RunSpec*> out;
  for (const RunSpec& run : plan.runs) {
    if (!plan.capacity->pd_splits || !run.pd) {
      out.push_back(&run);
      continue;
    }
    for (const auto& [prefill, decode] : pd_splits_at_equal_gpus(run)) {
      if (prefill == run.replicas && decode == run.pd->decode.replicas) {
        out.push_back(&run);
        continue;
      }
      storage.push_back(with_pool_replicas(run, prefill, decode));
      out.push_back(&storage.back());
    }
  }
  return out;
}

// With capacity.pd_splits, per run: the result of its best split (highest capacity, the fewer
// prefill instances on a tie); none for runs searched as written.
std::map<int64_t, const CapacityResult*> best_splits(const CapacitySpec& spec, const std::vector<CapacityResult>& results) {
  std::map<int64_t, const CapacityResult*> best;
  if (!spec.pd_splits) return best;
  for (const auto& r : results) {
    if (!r.run->pd) continue;
    auto [found, fresh] = best.try_emplace(r.run->index, &r);
    if (!fresh && r.capacity > found->second->capacity) found->second = &r;
  }
  return best;
}

// capacity.csv: one row per deployment. Also what --format csv prints and json's "capacity".
DataTable capacity_table(const ExperimentPlan& plan, const CapacitySpec& spec, const std::vector<CapacityResult>& results) {
  std::vector<std::string> columns{"run", "point", "framework", "type", "model", "gpu", "num_gpus",
                                   "tensor_parallel_degree", "pipeline_parallel_degree", "num_replicas", "load",
                                   "capacity", "capacity_per_gpu", "verdict", "probes"};
  for (const auto& bound : spec.bounds) columns.push_back(bound.key + "_at_capacity");
  for (const char* name : {"slo_attainment_at_capacity", "goodput_req_per_s_at_capacity",
                           "output_throughput_tok_per_s_at_capacity", "first_failing_load", "first_failing_reason",
                           // A disaggregated deployment: gpu, the parallel degrees and num_replicas are its
                           // prefill pool's; these its decode pool's, its split, and (capacity.pd_splits)
                           // whether this split carries the most of all splits of its GPUs.
                           "decode_gpu", "decode_tensor_parallel_degree", "decode_pipeline_parallel_degree",
                           "decode_num_replicas", "pd_split", "best_pd_split"})
    columns.emplace_back(name);
  DataTable table(std::move(columns));
  const auto best = best_splits(spec, results);
  for (const auto& r : results) {
    const RunSpec& run = *r.run;
    const int64_t gpus = deployment_gpus(run);  // both pools when disaggregated
    const CapacityProbe* at = nullptr;     // the passing probe at the capacity
    const CapacityProbe* above = nullptr;  // the lowest failing probe
    for (const auto& p : r.probes) {
      if (p.passed && p.load == r.capacity) at = &p;
      if (!p.passed && (above == nullptr || p.load < above->load)) above = &p;
    }
    std::vector<std::string> row{std::to_string(run.index),
                                 plan.points[static_cast<std::size_t>(run.point_index)].point.label(),
                                 run.name,
                                 framework_type_name(run.settings),
                                 run.model.id,
                                 run.hardware.gpu.id,
                                 std::to_string(gpus),
                                 std::to_string(run.parallel.tensor_parallel),
                                 std::to_string(run.parallel.pipeline_parallel),
                                 std::to_string(run.replicas),
                                 load_name(r),
                                 number(r.capacity),
                                 number(r.capacity / static_cast<double>(gpus)),
                                 r.verdict,
                                 std::to_string(r.probes.size())};
    for (std::size_t b = 0; b < spec.bounds.size(); ++b) row.push_back(at ? number(at->bound_values[b]) : "");
    row.insert(row.end(), {at ? number(at->metrics.slo_attainment) : "", at ? number(at->metrics.goodput) : "",
                           at ? number(at->metrics.output_throughput) : "", above ? number(above->load) : "",
                           above ? above->reason : ""});
    const PdDeployment* pd = run.pd.get();
    const auto best_of_run = best.find(run.index);
    row.insert(row.end(), {pd ? pd->decode.hardware.gpu.id : "", pd ? std::to_string(pd->decode.parallel.tensor_parallel) : "",
                           pd ? std::to_string(pd->decode.parallel.pipeline_parallel) : "",
                           pd ? std::to_string(pd->decode.replicas) : "", pd_split(run),
                           best_of_run == best.end() ? "" : data_bool(best_of_run->second == &r)});
    table.add_row(std::move(row));
  }
  return table;
}

// capacity_log.csv: every probe of every bisection. Also json's "probes".
DataTable log_table(const CapacitySpec& spec, const std::vector<CapacityResult>& results) {
  std::vector<std::string> columns{"run", "framework", "step", "load", "state", "passed", "reason",
                                   "request_throughput_req_per_s", "goodput_req_per_s", "slo_attainment"};
  for (const auto& bound : spec.bounds) columns.push_back(bound.key);
  // The disaggregated deployment's split, as in capacity.csv; last, the saturation verdict in
  // summary.csv's column names (state says `overloaded` too).
  columns.insert(columns.end(), {"pd_split", "overloaded", "overload_reason"});
  DataTable table(std::move(columns));
  for (const auto& r : results)
    for (const auto& p : r.probes) {
      std::vector<std::string> row{std::to_string(r.run->index), r.run->name, std::to_string(p.step), number(p.load),
                                   to_string(p.state), data_bool(p.passed), p.reason,
                                   number(p.metrics.request_throughput), number(p.metrics.goodput),
                                   number(p.metrics.slo_attainment)};
      for (double v : p.bound_values) row.push_back(number(v));
      row.insert(row.end(), {pd_split(*r.run), data_bool(p.metrics.saturation.overloaded), p.metrics.saturation.reason});
      table.add_row(std::move(row));
    }
  return table;
}

// capacity_spec.csv: the capacity: section as searched, one setting per row, keyed as written
// under capacity: (slo.ttft_p90_ms, min_attainment, low, high, tolerance). The folder's report
// states these SLOs and draws them on the probe charts.
DataTable spec_table(const CapacitySpec& spec) {
  DataTable table({"key", "value"});
  for (const auto& bound : spec.bounds) table.add_row({"slo." + bound.key, data_number(bound.max_ms)});
  if (spec.min_attainment) table.add_row({"min_attainment", data_number(*spec.min_attainment)});
  table.add_row({"low", data_number(spec.low)});
  table.add_row({"high", data_number(spec.high)});
  table.add_row({"tolerance", data_number(spec.tolerance)});
  return table;
}

std::string probe_lines(const CapacityResult& r) {
  const std::string split = pd_split(*r.run);
  std::string out = fmt::format("run {} {}{} ({}):\n", r.run->index, r.run->name, split.empty() ? "" : " " + split,
                                load_name(r));
  for (const auto& p : r.probes)
    out += fmt::format("  step {:2}  load {:10.4g}  {:10}  {}\n", p.step, p.load, to_string(p.state),
                       p.passed ? std::string("meets the SLOs") : fmt::format("fails: {}", p.reason));
  // The note: probes past saturation measured a growing queue, not the deployment.
  const CapacityProbe* lowest_overloaded = nullptr;
  int64_t overloaded = 0;
  for (const auto& p : r.probes)
    if (p.metrics.saturation.overloaded) {
      ++overloaded;
      if (lowest_overloaded == nullptr || p.load < lowest_overloaded->load) lowest_overloaded = &p;
    }
  if (overloaded > 0)
    out += fmt::format("  note: {} probe(s) ran past saturation (the lowest at load {:.4g}): their latencies measure a "
                       "growing queue, not the deployment\n",
                       overloaded, lowest_overloaded->load);
  return out;
}

}  // namespace

int command_capacity(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle capacity",
              "Find, for every deployment of an experiment file, the highest request rate (or closed-loop\n"
              "concurrency) that meets the file's `capacity:` SLOs without saturating, by bisection; with\n"
              "capacity.pd_splits, a disaggregated deployment at every split of its GPUs between its pools.");
  p.positional("FILE", "experiment YAML with a capacity: section (see experiments/README.md)");
  p.repeated("set", "KEY.PATH=VALUE", "override any field, e.g. --set capacity.high=32");
  p.option("out", "DIR", "output folder for capacity.csv, capacity_log.csv and capacity_spec.csv", "results/<experiment name>");
  p.option("jobs", "N", "deployments searched in parallel", "all hardware threads");
  p.flag("quiet", "print nothing but errors");
  p.flag("allow-large", "accept workloads of more than 10 million requests");
  p.flag("report", "also write OUT/report.html: the capacity of each deployment as a chart (`llmperforacle report OUT`)");
  declare_format_option(p, "csv: capacity.csv's rows; json: {capacity, probes}, the rows of capacity.csv and "
                           "capacity_log.csv; the bisection log goes to stderr");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  const auto file = p.positional_value("FILE");
  if (!file) throw InputError({}, "FILE", "name the experiment file, e.g. experiments/capacity_llama3_70b.yaml");
  const Libraries libraries = Libraries::load();
  PlanOptions options;
  options.allow_large_workloads = p.has("allow-large");
  const ExperimentPlan plan = plan_experiment(read_experiment(*file, p.get_all("set")), libraries, options);
  if (!plan.capacity)
    throw InputError({plan.path, 0, 0}, "capacity",
                     "missing: say what capacity means, e.g. capacity: {slo: {ttft_p90_ms: 2000, tpot_p99_ms: 100}, "
                     "min_attainment: 0.99, low: 0.5, high: 64}");
  for (const auto& w : plan.workloads) check_capacity_workload(w);
  const std::string out_dir = p.get_or("out", (std::filesystem::path("results") / plan.name).string());
  // Held for the whole command: the folder is claimed before minutes of simulation, not after.
  const OutputLock lock(out_dir);

  RunExecutor executor(plan, libraries);
  RunControl control;
  std::deque<RunSpec> split_storage;
  const std::vector<const RunSpec*> searched = searched_deployments(plan, split_storage);
  std::vector<CapacityResult> results(searched.size());
  control.runs_total = static_cast<int64_t>(searched.size());
  try {
    const StopOnSignals stop_on_signals(control);
    const ProgressLine progress(control, !p.has("quiet") && ProgressLine::stderr_is_terminal(), "deployments");
    for_each_index(searched.size(), static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024)), &control,
                   [&](std::size_t i) { results[i] = find_capacity(plan, *searched[i], *plan.capacity, executor, &control); });
  } catch (const Interrupted&) {
    throw StoppedBySignal("the capacity search was stopped; nothing was written", stop_exit_code(control));
  }

  ensure_directory(out_dir);
  const std::string csv_path = (std::filesystem::path(out_dir) / "capacity.csv").string();
  const std::string log_path = (std::filesystem::path(out_dir) / "capacity_log.csv").string();
  const DataTable capacity = capacity_table(plan, *plan.capacity, results);
  const DataTable log = log_table(*plan.capacity, results);
  write_file_atomically((std::filesystem::path(out_dir) / "capacity_spec.csv").string(), spec_table(*plan.capacity).csv());
  write_file_atomically(log_path, log.csv());
  write_file_atomically(csv_path, capacity.csv());
  if (p.has("report")) write_folder_report(out_dir, p.has("quiet") ? nullptr : &narrative_stream(format, out));
  if (p.has("quiet")) return kExitOk;
  if (format != TableFormat::table) {
    std::ostream& note = narrative_stream(format, out);
    for (const auto& r : results) note << probe_lines(r);
    // The files' own rows: capacity.csv (the main table) and capacity_log.csv.
    print_data_tables(out, format, {{"capacity", &capacity}, {"probes", &log}});
    note << "wrote " << csv_path << "\nwrote " << log_path << "\n";
    return kExitOk;
  }
  for (const auto& r : results) out << probe_lines(r);
  TextTable table({"run", "framework", "point", "model", "gpu", "TPxPPxR", "capacity", "per GPU", "verdict"});
  for (const auto& r : results) {
    const RunSpec& run = *r.run;
    table.add_row({std::to_string(run.index), run.name, plan.points[static_cast<std::size_t>(run.point_index)].point.label(),
                   run.model.id, run.hardware.gpu.id,
                   fmt::format("{}x{}x{}", run.parallel.tensor_parallel, run.parallel.pipeline_parallel, run.replicas) +
                       (run.pd ? fmt::format("+{}x{}x{}", run.pd->decode.parallel.tensor_parallel,
                                             run.pd->decode.parallel.pipeline_parallel, run.pd->decode.replicas)
                               : std::string()),  // disaggregated: prefill pool + decode pool
                   r.closed_loop ? fmt::format("{:.0f} clients", r.capacity) : fmt::format("{:.3g} req/s", r.capacity),
                   fmt::format("{:.3g}", r.capacity / static_cast<double>(deployment_gpus(run))), r.verdict});
  }
  std::ostringstream text;
  table.print(text);
  out << "\n" << text.str();
  for (const auto& [index, best] : best_splits(*plan.capacity, results)) {
    const RunSpec& written = plan.runs[static_cast<std::size_t>(index)];
    const auto as_written = std::find_if(results.begin(), results.end(), [&](const CapacityResult& r) { return r.run == &written; });
    out << fmt::format("best P:D split of run {} {}'s {} GPUs: {} prefill + {} decode instances, {:.3g} {} ({} as "
                       "written: {:.3g})\n",
                       index, written.name, deployment_gpus(written), best->run->replicas, best->run->pd->decode.replicas,
                       best->capacity, best->closed_loop ? "clients" : "req/s", pd_split(written),
                       as_written == results.end() ? 0.0 : as_written->capacity);
  }
  out << "wrote " << csv_path << "\nwrote " << log_path << "\n";
  return kExitOk;
}

}  // namespace llmpo
