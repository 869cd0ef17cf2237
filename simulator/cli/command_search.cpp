// `llmperforacle search FILE`: the cheapest configuration that carries the file's target rate
// within its capacity SLOs, the cost-latency Pareto frontier and the top N by cost; writes
// search.csv with every candidate (pruned and infeasible ones with their reason).
#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "experiment_args.hpp"
#include "output_format.hpp"
#include "progress.hpp"
#include "simulator/experiment/config_search.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/report/results_report.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_lock.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

// search.csv's rows, in the order given: the file holds every candidate, and --format csv|json
// print subsets of the same rows, so a script sees the file's columns and values.
DataTable candidates_table(const CapacitySpec& slo, const std::vector<const SearchCandidate*>& candidates) {
  std::vector<std::string> columns{"framework", "gpu", "tensor_parallel_degree", "pipeline_parallel_degree", "knobs",
                                   "status", "reason", "capacity_per_replica_req_per_s", "replicas", "num_gpus",
                                   "price_per_gpu_hour_usd", "cost_per_hour_usd", "capacity_req_per_s",
                                   "req_per_s_per_usd_per_hour", "pareto"};
  for (const auto& bound : slo.bounds) columns.push_back(bound.key + "_at_target");
  columns.emplace_back("overloaded_probes");
  // A disaggregated candidate's decode pool (gpu, tensor_parallel_degree and replicas are then
  // the prefill pool's); empty for an aggregated one.
  for (const char* name : {"decode_gpu", "decode_tensor_parallel_degree", "decode_replicas", "decode_price_per_gpu_hour_usd"})
    columns.emplace_back(name);
  DataTable table(std::move(columns));
  for (const SearchCandidate* c : candidates) {
    const bool ok = c->status == "ok";  // pruned and infeasible candidates have no cost
    const bool pd = c->disaggregated;   // no per-replica capacity: the search sizes both pools at once
    std::vector<std::string> row{c->framework, c->gpu, std::to_string(c->tensor_parallel),
                                 std::to_string(c->pipeline_parallel), c->knobs, c->status, c->reason,
                                 pd ? "" : number(c->capacity_per_replica), ok ? std::to_string(c->replicas) : "",
                                 ok ? std::to_string(c->num_gpus) : "",
                                 number(c->price_per_gpu_hour), ok ? number(c->cost_per_hour) : "",
                                 ok ? number(c->capacity_total) : "", ok ? number(c->requests_per_dollar) : "",
                                 data_bool(c->pareto)};
    for (std::size_t b = 0; b < slo.bounds.size(); ++b)
      row.push_back(ok && b < c->bound_values.size() ? number(c->bound_values[b]) : "");
    row.push_back(std::to_string(c->overloaded_probes));
    row.insert(row.end(), {c->decode_gpu, pd ? std::to_string(c->decode_tensor_parallel) : "",
                           pd && ok ? std::to_string(c->decode_replicas) : "",
                           pd && c->decode_price_per_gpu_hour > 0 ? number(c->decode_price_per_gpu_hour) : ""});
    table.add_row(std::move(row));
  }
  return table;
}

DataTable candidates_table(const CapacitySpec& slo, const std::vector<SearchCandidate>& candidates) {
  std::vector<const SearchCandidate*> all;
  for (const auto& c : candidates) all.push_back(&c);
  return candidates_table(slo, all);
}

// --format csv|json: the answer in search.csv's columns. csv: the top N by cost (the terminal's
// main table); json: the cheapest (null when nothing is feasible), the frontier, the top N and
// every candidate.
void print_machine_output(std::ostream& out, TableFormat format, const CapacitySpec& slo,
                          const std::vector<SearchCandidate>& candidates,
                          const std::vector<const SearchCandidate*>& frontier,
                          const std::vector<const SearchCandidate*>& top_rows) {
  const DataTable top = candidates_table(slo, top_rows);
  if (format == TableFormat::csv) {
    out << top.csv();
    return;
  }
  nlohmann::ordered_json j;
  j["cheapest"] = top.rows().empty() ? nlohmann::ordered_json(nullptr) : top.row_json(0);
  j["frontier"] = candidates_table(slo, frontier).json();
  j["top"] = top.json();
  j["candidates"] = candidates_table(slo, candidates).json();
  out << j.dump(2) << "\n";
}

TextTable ranking_table(const std::vector<const SearchCandidate*>& rows, const std::string& latency_name) {
  TextTable table({"framework", "gpu", "TPxPP", "knobs", "replicas", "GPUs", "$/h", "capacity req/s",
                   "req/s per $/h", latency_name, "pareto"});
  // A disaggregated candidate: prefill pool + decode pool, e.g. "H100-SXM+H200", "8x1+4x1", "3P+1D".
  for (const auto* c : rows)
    table.add_row({c->framework, c->disaggregated && c->decode_gpu != c->gpu ? c->gpu + "+" + c->decode_gpu : c->gpu,
                   fmt::format("{}x{}", c->tensor_parallel, c->pipeline_parallel) +
                       (c->disaggregated ? fmt::format("+{}x{}", c->decode_tensor_parallel, c->pipeline_parallel) : ""),
                   c->knobs.empty() ? "-" : c->knobs,
                   c->disaggregated ? fmt::format("{}P+{}D", c->replicas, c->decode_replicas) : std::to_string(c->replicas),
                   std::to_string(c->num_gpus),
                   fmt::format("{:.2f}", c->cost_per_hour), fmt::format("{:.3g}", c->capacity_total),
                   fmt::format("{:.3g}", c->requests_per_dollar), fmt::format("{:.1f}", c->latency_ms),
                   c->pareto ? "yes" : ""});
  return table;
}

std::string ranking(const std::vector<const SearchCandidate*>& rows, const std::string& latency_name) {
  std::ostringstream text;
  ranking_table(rows, latency_name).print(text);
  return text.str();
}

}  // namespace

int command_search(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle search",
              "Find the cheapest deployment that carries the `search:` section's target rate within the\n"
              "`capacity:` SLOs, over GPU types, TP, PP, replicas and vLLM knobs (a disaggregated deployment:\n"
              "each pool's TP and the prefill and decode instance counts); print the cost-latency Pareto\n"
              "frontier and the top N; write search.csv with every candidate.");
  declare_common(p);
  p.option("out", "DIR", "output folder for search.csv", "results/<experiment name>");
  p.option("jobs", "N", "candidates evaluated in parallel", "all hardware threads");
  p.flag("quiet", "print nothing but errors");
  p.flag("report", "also write OUT/report.html: cost vs latency with the Pareto frontier (`llmperforacle report OUT`)");
  declare_format_option(p, "search.csv's columns; csv: the top N by cost, cheapest first; json: {cheapest, "
                           "frontier, top, candidates}, candidates being every row of search.csv; the counts go to "
                           "stderr");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  std::ostream& note = narrative_stream(format, out);
  const Libraries libraries = Libraries::load();
  const ExperimentFile file = read_from(p);
  const ExperimentPlan plan = plan_from(p, libraries);
  if (!plan.search)
    throw InputError({plan.path, 0, 0}, "search",
                     "missing: give the space, e.g. search: {target_rate_per_s: 3, gpus: [H100-SXM, A100-80GB-SXM], "
                     "tensor_parallel_degree: [1, 2, 4, 8]}, next to a capacity: section");
  for (const auto& w : plan.workloads) check_capacity_workload(w);
  const std::string out_dir = p.get_or("out", (std::filesystem::path("results") / plan.name).string());
  // Held for the whole command: the folder is claimed before minutes of simulation, not after.
  const OutputLock lock(out_dir);
  RunControl control;
  std::vector<SearchCandidate> candidates;
  {
    const StopOnSignals stop_on_signals(control);
    const ProgressLine progress(control, !p.has("quiet") && ProgressLine::stderr_is_terminal(), "candidates");
    try {
      candidates = search_configurations(file, libraries, *plan.search, static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024)),
                                         &control);
    } catch (const Interrupted&) {
      throw StoppedBySignal("the search was stopped; nothing was written", stop_exit_code(control));
    }
  }
  ensure_directory(out_dir);
  const std::string csv_path = (std::filesystem::path(out_dir) / "search.csv").string();
  write_file_atomically(csv_path, candidates_table(*plan.capacity, candidates).csv());
  if (p.has("report")) write_folder_report(out_dir, p.has("quiet") ? nullptr : &note);
  if (p.has("quiet")) return kExitOk;

  std::vector<const SearchCandidate*> feasible;
  int64_t pruned = 0, infeasible = 0;
  for (const auto& c : candidates) {
    if (c.status == "ok") feasible.push_back(&c);
    pruned += c.status == "pruned";
    infeasible += c.status == "infeasible";
  }
  std::stable_sort(feasible.begin(), feasible.end(), [](const SearchCandidate* a, const SearchCandidate* b) {
    return a->cost_per_hour != b->cost_per_hour ? a->cost_per_hour < b->cost_per_hour : a->latency_ms < b->latency_ms;
  });
  const std::string latency_name =
      plan.capacity->bounds.empty() ? "E2EL mean ms" : plan.capacity->bounds.front().key + " at target";
  note << fmt::format("{} candidates: {} carry {} req/s within the SLOs, {} cannot, {} pruned before simulating "
                      "(memory, TP vs heads, no price)\n",
                      candidates.size(), feasible.size(), plan.search->target_rate_per_s, infeasible, pruned);
  int64_t overloaded_probes = 0, overloaded_candidates = 0;
  for (const auto& c : candidates) {
    overloaded_probes += c.overloaded_probes;
    overloaded_candidates += c.overloaded_probes > 0;
  }
  if (overloaded_probes > 0)
    note << fmt::format("note: {} probe(s) of {} candidate(s) ran past saturation (arrivals outpaced completions, the "
                        "queue grew): capacities stop below them; search.csv's overloaded_probes counts them and a "
                        "reason starting `overloaded:` gives the rates\n",
                        overloaded_probes, overloaded_candidates);
  const auto top = std::min<std::size_t>(feasible.size(), static_cast<std::size_t>(plan.search->top));
  std::vector<const SearchCandidate*> frontier;
  for (const auto* c : feasible)
    if (c->pareto) frontier.push_back(c);
  const std::vector<const SearchCandidate*> top_rows(feasible.begin(), feasible.begin() + static_cast<std::ptrdiff_t>(top));
  if (format != TableFormat::table) {
    print_machine_output(out, format, *plan.capacity, candidates, frontier, top_rows);
    if (feasible.empty()) note << "no configuration in the space meets the SLOs at the target rate; see " << csv_path << " for why\n";
    note << "wrote " << csv_path << "\n";
    return kExitOk;
  }
  if (feasible.empty()) {
    out << "no configuration in the space meets the SLOs at the target rate; see " << csv_path << " for why\n";
    return kExitOk;
  }
  const SearchCandidate& best = *feasible.front();
  const std::string knobs = best.knobs.empty() ? "" : ", " + best.knobs;
  if (best.disaggregated)
    out << fmt::format("cheapest: {} on {} GPUs: {} prefill x {} (TP {} x PP {}) + {} decode x {} (TP {} x PP {}){}, "
                       "${:.2f}/h, {:.3g} req/s capacity\n\n",
                       best.framework, best.num_gpus, best.replicas, best.gpu, best.tensor_parallel,
                       best.pipeline_parallel, best.decode_replicas, best.decode_gpu, best.decode_tensor_parallel,
                       best.pipeline_parallel, knobs, best.cost_per_hour, best.capacity_total);
  else
    out << fmt::format("cheapest: {} on {} x {} (TP {} x PP {} x {} replicas{}), ${:.2f}/h, {:.3g} req/s capacity\n\n",
                       best.framework, best.num_gpus, best.gpu, best.tensor_parallel, best.pipeline_parallel,
                       best.replicas, knobs, best.cost_per_hour, best.capacity_total);
  out << "cost-latency Pareto frontier:\n" << ranking(frontier, latency_name);
  out << fmt::format("\ntop {} by cost:\n", top) << ranking(top_rows, latency_name);
  out << "wrote " << csv_path << "\n";
  return kExitOk;
}

}  // namespace llmpo
