// How results look in the output files: the summary row, request and time-series rows, the
// manifest entry and the terminal table row of one run. No file handling here.
#include "results_rows.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "pd_deployment.hpp"
#include "simulator/metrics/pd_metrics.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// Fixed decimals with trailing zeros trimmed: exact to the nanosecond for times in seconds
// (9 decimals) and to the nanosecond for milliseconds (6), readable, and stable run to run.
std::string trimmed(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

}  // namespace

// fmt's "{:.6f}", trimmed. Most values take the integer path (round_to_decimals_exactly decides
// when that is sure to round as fmt does); timeseries.csv writes five per second simulated.
void append_number(std::string& out, double value) {
  if (const auto micro_units = round_to_decimals_exactly(value, 6)) append_exact_decimal(out, *micro_units, 6);
  else out += trimmed(fmt::format(FMT_COMPILE("{:.6f}"), value));
}

std::string number(double value) {
  std::string text;
  append_number(text, value);
  return text;
}

std::string csv_cell(const std::string& text) { return csv_quoted(text); }

namespace {

std::string percentile_name(double p) { return fmt::format("p{}", p); }

void add_stat(CsvRow& row, const std::string& name, const Stat& stat, const std::vector<double>& percentiles) {
  row.emplace_back("mean_" + name + "_ms", number(stat.mean));
  row.emplace_back("median_" + name + "_ms", number(stat.median));
  row.emplace_back("std_" + name + "_ms", number(stat.std));
  for (std::size_t i = 0; i < percentiles.size(); ++i)
    row.emplace_back(percentile_name(percentiles[i]) + "_" + name + "_ms", number(stat.percentiles[i]));
}

// Below this many nanoseconds (11.6 days) a time printed through its double (ns * 1e-9 to 9
// decimals, ns * 1e-6 to 6) is exactly its integer nanoseconds: the double is off by at most
// 2.3e-16 relative, under half a unit in the last place printed up to 2.2e15 ns. There the
// digits come from the integer, the same text at a tenth of the cost (requests.csv has 7 per row).
constexpr SimTime kExactPrintBelowNs = 1'000'000'000'000'000;

// The rows' cells are appended to the row's text in place: a string per cell (and fmt's
// zero-filled growth of the text) was most of the cost of writing requests.csv.
void append_time_s(std::string& out, SimTime ns) {
  if (ns == kNeverNs) return;
  if (ns >= 0 && ns < kExactPrintBelowNs) append_exact_decimal(out, ns, 9);
  else out += trimmed(fmt::format(FMT_COMPILE("{:.9f}"), ns_to_s(ns)));
}

// The milliseconds from `from_ns` to `to_ns`, as number((to - from) * 1e-6) writes them.
void append_elapsed_ms(std::string& out, SimTime from_ns, SimTime to_ns) {
  const SimTime ns = to_ns - from_ns;
  if (ns >= 0 && ns < kExactPrintBelowNs) append_exact_decimal(out, ns, 6);
  else append_number(out, (static_cast<double>(to_ns) - static_cast<double>(from_ns)) * 1e-6);
}

void append_integer(std::string& out, int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// Each request's 0-based turn within its session (-1 outside sessions; empty when the workload
// has none): the number of turns before it along previous_turn. Walked from each session's
// first turn along next_turn, so a session costs its length once.
std::vector<int64_t> session_turns(const Workload& workload) {
  const std::vector<SessionTurn>& links = workload.turns;
  std::vector<int64_t> turns(links.size(), -1);
  for (std::size_t first = 0; first < links.size(); ++first) {
    const SessionTurn& t = links[first];
    if (t.previous_turn >= 0 || (t.session_id < 0 && t.next_turn < 0)) continue;
    int64_t turn = 0;
    for (int64_t i = static_cast<int64_t>(first);
         i >= 0 && static_cast<std::size_t>(i) < links.size() && turns[static_cast<std::size_t>(i)] < 0;
         i = links[static_cast<std::size_t>(i)].next_turn)
      turns[static_cast<std::size_t>(i)] = turn++;
  }
  return turns;
}

// The optional count `value` as a cell: empty when not applicable.
std::string count_cell(bool applicable, int64_t value) { return applicable ? std::to_string(value) : std::string(); }
std::string rate_cell(const std::optional<double>& value) { return value ? number(*value) : std::string(); }
void append_count(std::string& out, bool applicable, int64_t value) {
  if (applicable) append_integer(out, value);
}

}  // namespace

void requests_rows(const RunOutcome& outcome, const Workload& workload, ChunkedText& out) {
  const auto index = outcome.run->index;
  const std::vector<int64_t> turns = session_turns(workload);
  const bool prefix_lookups = outcome.metrics.prefix_cache.has_value();
  // Each class's cell once (quoted where its name needs it), not once per row.
  std::vector<std::string> class_cells;
  for (const auto& c : workload.classes) class_cells.push_back(csv_cell(c.name));
  std::string& text = out.text();  // one buffer, handed on (and cleared) each chunk
  const auto comma = [&] { text += ','; };
  for (const auto& r : outcome.result.requests) {
    if (r.outcome == RequestOutcome::pending) continue;  // closed loop: never sent
    const bool done = r.outcome == RequestOutcome::completed;
    // Milliseconds since arrival; empty for what never happened (or, with `shown` false, a
    // request that did not complete).
    const auto ms = [&](SimTime t, bool shown) {
      if (shown && t != kNeverNs) append_elapsed_ms(text, r.request.arrival_ns, t);
    };
    const auto c = static_cast<std::size_t>(r.request.class_id);
    const auto id = static_cast<std::size_t>(r.request.id);
    const int64_t turn = id < turns.size() ? turns[id] : -1;
    const int64_t session_id = workload.turn(r.request.id).session_id;
    // A request's prefix was looked up at its first scheduling: a rejected one has no figures.
    const bool looked_up = prefix_lookups && r.first_scheduled_ns != kNeverNs;
    append_integer(text, index), comma(), append_integer(text, r.request.id), comma();
    if (c < class_cells.size()) text += class_cells[c];
    comma(), append_integer(text, r.instance), comma();
    append_time_s(text, r.request.arrival_ns), comma(), append_time_s(text, r.first_scheduled_ns), comma();
    append_time_s(text, r.first_token_ns), comma(), append_time_s(text, r.completion_ns), comma();
    append_integer(text, r.request.prompt_tokens), comma(), append_integer(text, r.request.output_tokens), comma();
    append_integer(text, r.generated_tokens), comma(), append_integer(text, r.preemptions), comma();
    ms(r.first_scheduled_ns, true), comma(), ms(r.first_token_ns, done), comma();
    if (done && r.generated_tokens > 1)  // TPOT
      append_number(text, static_cast<double>(r.completion_ns - r.first_token_ns) * 1e-6 /
                              static_cast<double>(r.generated_tokens - 1));
    comma(), ms(r.completion_ns, done), comma();
    text += to_string(r.outcome), comma();
    if (r.outcome == RequestOutcome::rejected) text += to_string(r.reject_reason);
    comma();
    if (session_id >= 0) append_integer(text, session_id);
    comma();
    if (turn >= 0) append_integer(text, turn);
    comma(), append_count(text, looked_up, r.cached_prompt_tokens), comma();
    append_count(text, looked_up, r.host_loaded_tokens), comma();
    // Disaggregated runs: the prefill replica and the TTFT's stages; empty cells otherwise.
    if (!outcome.result.pd.empty()) {
      const PdTiming& timing = outcome.result.pd[static_cast<std::size_t>(r.request.id)];
      if (timing.prefill_replica >= 0) append_integer(text, timing.prefill_replica);
      for (std::size_t stage = 0; stage < kPdStageCount; ++stage) {
        comma();
        if (const auto value = pd_stage_ms(r, timing, static_cast<PdStage>(stage))) append_number(text, *value);
      }
    } else {
      text += ",,,,,";
    }
    text += '\n';
    out.end_row();
  }
  out.flush();
}

std::string requests_rows(const RunOutcome& outcome, const Workload& workload) {
  ChunkedText whole;
  requests_rows(outcome, workload, whole);
  return whole.take();
}

void timeseries_rows(const RunOutcome& outcome, ChunkedText& out) {
  const auto& points = outcome.result.timeseries;
  // Prefix-cache columns only where the run looked prefixes up; binned after the run.
  const bool prefix_lookups = outcome.metrics.prefix_cache.has_value();
  const std::vector<PrefixCacheTotals> prefix =
      prefix_lookups ? prefix_cache_per_point(outcome.result) : std::vector<PrefixCacheTotals>(points.size());
  std::string& text = out.text();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const TimeseriesPoint& p = points[i];
    append_integer(text, outcome.run->index), text += ',', append_number(text, p.start_s), text += ',';
    append_number(text, p.running), text += ',', append_number(text, p.waiting), text += ',';
    append_number(text, p.kv_utilization), text += ',';
    append_number(text, p.span_s() > 0 ? static_cast<double>(p.output_tokens) / p.span_s() : 0.0), text += ',';
    append_count(text, prefix_lookups, prefix[i].query_tokens), text += ',';
    append_count(text, prefix_lookups, prefix[i].hit_tokens), text += ',';
    if (const auto rate = prefix[i].hit_rate()) append_number(text, *rate);
    text += '\n';
    out.end_row();
  }
  out.flush();
}

std::string timeseries_rows(const RunOutcome& outcome) {
  ChunkedText whole;
  timeseries_rows(outcome, whole);
  return whole.take();
}

nlohmann::json run_json(const RunSpec& run, const ExperimentPlan& plan) {
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  nlohmann::json sweep = nlohmann::json::object();
  for (const auto& [key, value] : point.point.values) sweep[key] = value;
  nlohmann::json out = {{"run", run.index},
          {"name", run.name},
          {"point", point.point.label()},
          {"sweep", sweep},
          {"model", {{"id", run.model.id}, {"source", run.model.source_file}}},
          {"gpu", {{"group", run.hardware.key}, {"id", run.hardware.gpu.id}, {"source", run.hardware.gpu.source_file},
                   {"fidelity", {{"basis", run.hardware.gpu.fidelity.basis},
                                 {"step_error_pct", run.hardware.gpu.fidelity.step_error_pct},
                                 {"evidence", run.hardware.gpu.fidelity.evidence}}},
                   {"memory_bytes", run.hardware.gpu.memory_bytes},
                   {"memory_bandwidth_bytes_per_s", run.hardware.gpu.memory_bandwidth_bytes_per_s},
                   {"interconnect", run.hardware.interconnect}, {"inter_node", run.hardware.inter_node}}},
          {"tensor_parallel_degree", run.parallel.tensor_parallel},
          {"pipeline_parallel_degree", run.parallel.pipeline_parallel},
          {"num_replicas", run.replicas},
          {"router", to_string(run.router)},
          {"framework", settings_to_json(run.settings)},
          {"kv_cache", {{"num_gpu_blocks", run.kv.num_gpu_blocks}, {"block_size", run.kv.block_size},
                        {"capacity_tokens", run.kv.num_gpu_blocks * run.kv.block_size},
                        {"max_model_len", run.kv.max_model_len},
                        {"planned_num_gpu_blocks", run.memory.num_gpu_blocks},
                        {"weight_bytes_per_gpu", run.memory.limiting().weight_bytes},
                        {"activation_peak_bytes", run.memory.limiting().activation_peak_bytes},
                        {"kv_bytes_per_token_per_gpu", run.memory.limiting().kv_bytes_per_token}}},
          {"seed", point.simulation.seed},
          {"workload", run.workload_index}};
  if (run.pd) {
    // Disaggregated: the fields above are the prefill pool's.
    const RunSpec& decode = run.pd->decode;
    const KvTransferLink& link = run.pd->link;
    out["prefill_decode"] = {
        {"decode", {{"gpu", {{"group", decode.hardware.key}, {"id", decode.hardware.gpu.id}}},
                    {"tensor_parallel_degree", decode.parallel.tensor_parallel},
                    {"pipeline_parallel_degree", decode.parallel.pipeline_parallel},
                    {"num_replicas", decode.replicas},
                    {"router", to_string(decode.router)},
                    {"framework", settings_to_json(decode.settings)},
                    {"kv_cache", {{"num_gpu_blocks", decode.kv.num_gpu_blocks}, {"block_size", decode.kv.block_size},
                                  {"max_model_len", decode.kv.max_model_len}}}}},
        {"kv_transfer", {{"connector", run.pd->connector}, {"link", link.preset}, {"lanes", run.pd->link_lanes},
                         {"latency_s", link.latency_s}, {"bandwidth_bytes_per_s", link.bandwidth_bytes_per_s},
                         {"kv_bytes_per_token", link.kv_bytes_per_token}}}};
  }
  // Only deployments that use data / expert parallelism carry the block (older manifests stay as
  // they were). num_replicas above counts every DP rank (one simulated engine each).
  const ParallelConfig& p = run.parallel;
  if (p.data_parallel > 1 || p.expert_parallel) {
    nlohmann::json ep = {{"data_parallel_size", p.data_parallel}, {"enable_expert_parallel", p.expert_parallel}};
    if (p.expert_parallel) {
      ep["expert_parallel_size"] = p.expert_parallel_size();
      ep["all2all_backend"] = to_string(p.all2all_backend);
      ep["expert_load"] = p.expert_load.distribution == ExpertLoadDistribution::zipf
                              ? nlohmann::json{{"distribution", "zipf"}, {"exponent", p.expert_load.zipf_exponent}}
                              : nlohmann::json{{"distribution", "uniform"}};
    }
    out["parallelism"] = ep;
  }
  return out;
}

namespace {

const SpeculativeSettings* speculative_of(const RunSpec& run) {
  // A disaggregated deployment speculates in its decode pool (its prefill pool emits one token).
  const RunSpec& pool = run.pd ? run.pd->decode : run;
  const auto* vllm = std::get_if<VllmSettings>(&pool.settings);
  return vllm != nullptr && vllm->speculative.enabled() ? &vllm->speculative : nullptr;
}

// Speculative-decoding columns (vLLM's spec-decode metrics, spec_decode_metrics.hpp): present in
// every row of a plan where any run speculates, so its summaries concatenate; absent otherwise,
// so that plans without speculation write what they always wrote.
void add_spec_decode_columns(CsvRow& row, const ExperimentPlan& plan, const RunSpec& run, const RunMetrics& m) {
  if (std::none_of(plan.runs.begin(), plan.runs.end(), [](const RunSpec& r) { return speculative_of(r) != nullptr; }))
    return;
  const SpeculativeSettings* spec = speculative_of(run);
  const std::optional<SpecDecodeTotals>& totals = m.spec_decode;
  row.emplace_back("spec_method", spec ? spec->method : "none");
  row.emplace_back("num_speculative_tokens", std::to_string(spec ? spec->num_speculative_tokens : 0));
  row.emplace_back("spec_num_drafts", count_cell(totals.has_value(), totals ? totals->drafts : 0));
  row.emplace_back("spec_draft_tokens", count_cell(totals.has_value(), totals ? totals->draft_tokens : 0));
  row.emplace_back("spec_accepted_tokens", count_cell(totals.has_value(), totals ? totals->accepted_tokens : 0));
  row.emplace_back("spec_acceptance_rate", totals ? rate_cell(totals->acceptance_rate()) : "");
  row.emplace_back("mean_acceptance_length", totals ? rate_cell(totals->mean_acceptance_length()) : "");
  row.emplace_back("acceptance_length_histogram", totals ? totals->histogram_cell() : "");
}

}  // namespace

CsvRow summary_row(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload) {
  const RunSpec& run = *outcome.run;
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  const RunMetrics& m = outcome.metrics;
  CsvRow row = {{"run", std::to_string(run.index)},
                {"point", point.point.label()},
                {"framework", run.name},
                {"type", framework_type_name(run.settings)},
                {"model", run.model.id},
                {"gpu", run.hardware.gpu.id},
                {"gpu_profile_basis", run.hardware.gpu.fidelity.basis},
                {"gpu_profile_step_error_pct", number(run.hardware.gpu.fidelity.step_error_pct)},
                {"num_gpus", std::to_string(deployment_gpus(run))},
                {"tensor_parallel_degree", std::to_string(run.parallel.tensor_parallel)},
                {"pipeline_parallel_degree", std::to_string(run.parallel.pipeline_parallel)},
                {"num_replicas", std::to_string(run.replicas)}};
  for (const auto& column : workload.columns) row.push_back(column);
  row.emplace_back("seed", std::to_string(point.simulation.seed));
  row.emplace_back("clipped_requests", std::to_string(workload.clipped_requests));
  row.emplace_back("kv_num_gpu_blocks", std::to_string(run.kv.num_gpu_blocks));
  row.emplace_back("kv_capacity_tokens", std::to_string(run.kv.num_gpu_blocks * run.kv.block_size));
  row.emplace_back("arrived_requests", std::to_string(m.arrived));
  row.emplace_back("completed_requests", std::to_string(m.completed));
  row.emplace_back("rejected_requests", std::to_string(m.rejected));
  std::string reasons;  // "exceeds_max_model_len:3;exceeds_kv_capacity:1"
  for (std::size_t reason = 1; reason < m.rejected_by_reason.size(); ++reason)
    if (m.rejected_by_reason[reason] > 0)
      reasons += fmt::format("{}{}:{}", reasons.empty() ? "" : ";", to_string(static_cast<RejectReason>(reason)),
                             m.rejected_by_reason[reason]);
  row.emplace_back("rejected_by_reason", reasons);
  row.emplace_back("measured_requests", std::to_string(m.measured));
  row.emplace_back("duration_s", number(m.duration_s));
  row.emplace_back("total_input_tokens", std::to_string(m.total_input_tokens));
  row.emplace_back("total_output_tokens", std::to_string(m.total_output_tokens));
  row.emplace_back("request_throughput_req_per_s", number(m.request_throughput));
  row.emplace_back("output_throughput_tok_per_s", number(m.output_throughput));
  row.emplace_back("total_token_throughput_tok_per_s", number(m.total_token_throughput));
  row.emplace_back("goodput_req_per_s", number(m.goodput));
  row.emplace_back("slo_attainment", number(m.slo_attainment));
  const auto& percentiles = point.simulation.metrics.percentiles;
  add_stat(row, "ttft", m.ttft_ms, percentiles);
  add_stat(row, "tpot", m.tpot_ms, percentiles);
  add_stat(row, "itl", m.itl_ms, percentiles);
  add_stat(row, "e2el", m.e2el_ms, percentiles);
  add_stat(row, "queueing", m.queueing_ms, percentiles);
  row.emplace_back("mean_batch_size_seqs", number(m.mean_batch_sequences));
  row.emplace_back("peak_batch_size_seqs", std::to_string(m.peak_batch_sequences));
  row.emplace_back("mean_kv_utilization", number(m.mean_kv_utilization));
  row.emplace_back("preemptions", std::to_string(m.preemptions));
  row.emplace_back("engine_steps", std::to_string(m.steps));
  row.emplace_back("events", std::to_string(m.events));
  row.emplace_back("littles_mean_in_system", number(m.littles_mean_in_system));
  row.emplace_back("littles_throughput_x_e2el", number(m.littles_throughput_times_e2el));
  // Prefix caching (vLLM's PrefixCacheStats over the measured requests): always these keys, so
  // summaries of different runs concatenate; empty where the run looked no prefix up.
  const std::optional<PrefixCacheTotals>& prefix = m.prefix_cache;
  row.emplace_back("prefix_cache_hit_rate", prefix ? rate_cell(prefix->hit_rate()) : "");
  row.emplace_back("cached_prompt_tokens", count_cell(prefix.has_value(), prefix ? prefix->hit_tokens : 0));
  row.emplace_back("prefix_query_tokens", count_cell(prefix.has_value(), prefix ? prefix->query_tokens : 0));
  row.emplace_back("host_loaded_tokens", count_cell(prefix.has_value(), prefix ? prefix->host_loaded_tokens : 0));
  row.emplace_back("mean_cached_tokens_per_request", prefix ? rate_cell(prefix->mean_hit_tokens_per_request()) : "");
  // Prefill/decode disaggregation: the decode pool and each TTFT stage's mean and p99 (empty for
  // aggregated runs); before the saturation verdict, which stays last.
  row.emplace_back("pd_decode_replicas", run.pd ? std::to_string(run.pd->decode.replicas) : "");
  row.emplace_back("pd_decode_tensor_parallel_degree", run.pd ? std::to_string(run.pd->decode.parallel.tensor_parallel) : "");
  const auto stages = pd_stage_stats(outcome.result, point.simulation.metrics);
  for (std::size_t stage = 0; stage < kPdStageCount; ++stage) {
    const std::string name = to_string(static_cast<PdStage>(stage));
    const Stat* stat = stages ? &(*stages)[stage] : nullptr;
    row.emplace_back("mean_" + name + "_ms", stat && stat->count > 0 ? number(stat->mean) : "");
    row.emplace_back("p99_" + name + "_ms", stat && stat->count > 0 ? number(stat->percentiles[0]) : "");
  }
  add_spec_decode_columns(row, plan, run, m);
  // Last, so that readers matching columns by position up to here still work.
  row.emplace_back("overloaded", m.saturation.overloaded ? "true" : "false");
  row.emplace_back("overload_reason", m.saturation.reason);
  return row;
}

std::string overload_warning(const std::vector<CsvRow>& summary_rows) {
  std::string runs;
  int64_t count = 0;
  for (const auto& row : summary_rows) {
    std::string run, framework, point, overloaded;
    for (const auto& [column, value] : row) {
      if (column == "run") run = value;
      else if (column == "framework") framework = value;
      else if (column == "point") point = value;
      else if (column == "overloaded") overloaded = value;
    }
    if (overloaded != "true") continue;
    runs += fmt::format("{}{} ({}{})", count++ ? ", " : "", run, framework, point.empty() ? "" : " @ " + point);
  }
  if (count == 0) return "";
  return fmt::format(
      "{} of {} run(s) past saturation: {}. Arrivals outpaced completions and the waiting queue grew over the "
      "measured window, so their latencies measure the queue's length, not the engine (summary.csv: overloaded, "
      "overload_reason). Lower the request rate, add replicas or GPUs (num_replicas, tensor_parallel_degree), or "
      "raise max_num_seqs (batch_size for STATIC) where the KV cache has room; `llmperforacle capacity` finds the "
      "highest stable rate",
      count, summary_rows.size(), runs);
}

const std::vector<std::string>& table_headers() {
  static const std::vector<std::string> headers = {
      "run", "framework", "point", "model", "gpu", "TPxPPxR", "done/rej", "req/s", "out tok/s", "TTFT mean ms",
      "TTFT p99 ms", "TPOT mean ms", "TPOT p99 ms", "E2EL mean ms", "goodput req/s", "preempt", "KV tokens",
      "prefix hit", "load"};
  return headers;
}

// The run table's prefix-cache hit rate: "-" where the run looked no prefix up (or nothing was
// queried), else a percentage.
std::string prefix_hit_cell(const std::optional<PrefixCacheTotals>& prefix) {
  const std::optional<double> rate = prefix ? prefix->hit_rate() : std::nullopt;
  return rate ? fmt::format("{:.1f}%", 100 * *rate) : "-";
}

std::vector<std::string> table_cells(const ExperimentPlan& plan, const RunSpec& run, const RunMetrics& m) {
  const auto p99 = [](const Stat& s, const std::vector<double>& ps) {
    for (std::size_t k = 0; k < ps.size(); ++k)
      if (ps[k] == 99) return fmt::format("{:.1f}", s.percentiles[k]);
    return std::string("-");
  };
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  const auto& ps = point.simulation.metrics.percentiles;
  return {std::to_string(run.index), run.name, point.point.label(), run.model.id, run.hardware.gpu.id,
          // Disaggregated: the prefill pool's, then the decode pool's.
          fmt::format("{}x{}x{}", run.parallel.tensor_parallel, run.parallel.pipeline_parallel, run.replicas) +
              (run.pd ? fmt::format("+{}x{}x{}", run.pd->decode.parallel.tensor_parallel,
                                    run.pd->decode.parallel.pipeline_parallel, run.pd->decode.replicas)
                      : std::string()),
          fmt::format("{}/{}", m.completed, m.rejected), fmt::format("{:.2f}", m.request_throughput),
          fmt::format("{:.0f}", m.output_throughput), fmt::format("{:.1f}", m.ttft_ms.mean), p99(m.ttft_ms, ps),
          fmt::format("{:.2f}", m.tpot_ms.mean), p99(m.tpot_ms, ps), fmt::format("{:.1f}", m.e2el_ms.mean),
          fmt::format("{:.2f}", m.goodput), std::to_string(m.preemptions),
          std::to_string(run.kv.num_gpu_blocks * run.kv.block_size), prefix_hit_cell(m.prefix_cache),
          m.saturation.overloaded ? "OVERLOADED" : "ok"};
}

}  // namespace llmpo
