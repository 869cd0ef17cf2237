// `llmperforacle replay RUN/requests.jsonl`: a real run recorded with per-request engine
// timestamps (simulator/experiment/timestamp_run.hpp) simulated with its exact arrivals and
// lengths, on the deployment its meta.json describes (or --model/--gpu/--tp and engine flags),
// and compared metric by metric: mean, p50, p90 and p99 of TTFT, TPOT and E2E, the mean ITL,
// duration and throughput, and the KV cache the engine resolved at start-up.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output_format.hpp"
#include "replay_comparison.hpp"
#include "replay_timestamp_run.hpp"
#include "single_deployment.hpp"
#include "frameworks/framework_config.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/experiment/timestamp_run.hpp"
#include "simulator/metrics/run_metrics.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

// The deployment: command-line values first, then the run's meta.json, else an input error.
SingleDeployment deployment_for(const ArgParser& p, const TimestampRun& run, const Libraries& libraries) {
  const TimestampRunMeta meta = run.meta.value_or(TimestampRunMeta{});
  const auto need = [&](const char* option, const std::string& from_meta, const char* what) {
    if (p.has(option)) return p.get(option);
    if (!from_meta.empty()) return from_meta;
    throw InputError({}, fmt::format("--{}", option),
                     fmt::format("give the {} (the run has no meta.json naming it)", what));
  };
  const std::string model = need("model", meta.model, "model");  // in this order: the model is asked first
  const std::string gpu = need("gpu", meta.device_name, "GPU");
  SingleDeployment d = deployment_from(p, libraries, model, gpu);
  if (!p.has("tp")) d.tp = meta.tensor_parallel;
  if (!p.has("pp")) d.pp = meta.pipeline_parallel;
  const auto set_default = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    for (const auto& [k, v] : d.config)
      if (k == key) return;
    d.config.emplace_back(key, *value);
  };
  const auto text = [](const auto& v) { return v ? std::optional<std::string>(fmt::format("{}", *v)) : std::nullopt; };
  set_default("max_num_seqs", text(meta.max_num_seqs));
  set_default("max_num_batched_tokens", text(meta.max_num_batched_tokens));
  set_default("max_model_len", text(meta.max_model_len));
  set_default("block_size", text(meta.block_size));
  set_default("gpu_memory_utilization", text(meta.gpu_memory_utilization));
  return d;
}

void add_distribution(std::vector<MetricComparison>& rows, const char* name, std::vector<double> measured_s, const Stat& simulated_ms) {
  std::sort(measured_s.begin(), measured_s.end());
  double sum = 0;
  for (double v : measured_s) sum += v;
  const double mean_ms = measured_s.empty() ? 0 : 1e3 * sum / static_cast<double>(measured_s.size());
  rows.push_back({fmt::format("mean_{}_ms", name), mean_ms, simulated_ms.mean});
  const double qs[] = {50, 90, 99};
  for (std::size_t i = 0; i < 3; ++i)
    rows.push_back({fmt::format("p{}_{}_ms", qs[i], name), 1e3 * percentile_linear(measured_s, qs[i]), simulated_ms.percentiles.at(i)});
}

}  // namespace

int replay_timestamp_run(const ArgParser& p, const std::string& path, std::ostream& out) {
  const TableFormat format = format_from(p);
  const TimestampRun run = read_timestamp_run(path);
  const Libraries libraries = Libraries::load();
  const SingleDeployment deployment = deployment_for(p, run, libraries);
  const auto n = static_cast<int64_t>(run.requests.size());
  const int64_t seed = p.get_int("seed", 0, 0, INT64_MAX);
  const std::string yaml = single_deployment_yaml(
      deployment, fmt::format("{{seed: {}, percentiles: [50, 90, 99]}}", seed),
      fmt::format("{{arrival: {{process: poisson, rate_per_s: 1}}, num_requests: {}, prompt_tokens: {{distribution: fixed, "
                  "value: 1}}, output_tokens: {{distribution: fixed, value: 1}}, over_max_model_len: reject}}",
                  n),
      "replay");
  const ExperimentPlan plan = plan_single(yaml, "replay of " + path, libraries);
  const RunSpec& spec = plan.runs.front();
  RunExecutor executor(plan, libraries);
  Workload workload = executor.workload(spec.workload_index);
  // The exact arrivals (client clock, shifted to start at 0, in arrival order) and lengths.
  std::vector<std::size_t> order(run.requests.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return run.requests[a].arrival_s < run.requests[b].arrival_s; });
  const double t0 = run.requests[order.front()].arrival_s;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const TimestampRequest& real = run.requests[order[k]];
    Request& r = workload.requests[k];
    r.arrival_ns = static_cast<SimTime>(std::llround((real.arrival_s - t0) * 1e9));
    r.prompt_tokens = static_cast<int32_t>(real.input_tokens);
    r.output_tokens = static_cast<int32_t>(real.output_tokens);
  }
  const RunOutcome outcome = executor.execute_with(spec, workload, plan.points.front().simulation.metrics);
  const RunMetrics& m = outcome.metrics;
  const TimestampRunMetrics real = measured_metrics(run);

  std::vector<MetricComparison> rows;
  add_distribution(rows, "ttft", real.ttft_s, m.ttft_ms);
  add_distribution(rows, "tpot", real.tpot_s, m.tpot_ms);
  add_distribution(rows, "e2el", real.e2e_s, m.e2el_ms);
  rows.push_back({"mean_itl_ms", 1e3 * real.itl_mean_s, m.itl_ms.mean});
  rows.push_back({"duration_s", real.duration_s, m.duration_s});
  rows.push_back({"request_throughput", real.request_throughput, m.request_throughput});
  rows.push_back({"output_throughput", real.output_throughput, m.output_throughput});
  if (run.meta && run.meta->num_gpu_blocks)
    rows.push_back({"kv_cache_blocks", static_cast<double>(*run.meta->num_gpu_blocks), static_cast<double>(spec.kv.num_gpu_blocks)});
  const std::string heading = fmt::format("replay of {}: {} requests with their recorded arrivals and lengths\n", path, n);
  if (format != TableFormat::table) {
    print_comparison(out, format, heading,
                     {{"run", path}, {"requests", n}, {"rejected_in_simulation", m.rejected},
                      {"simulated_preemptions", m.preemptions}},
                     rows);
    return kExitOk;
  }
  const TextTable table = comparison_display(rows);
  out << heading;
  out << fmt::format("simulated: {} on {} x {} TP {} PP {}, KV {} blocks x {} tokens\n", run.meta ? run.meta->model : spec.model.id,
                     spec.parallel.gpus(), spec.hardware.gpu.id, spec.parallel.tensor_parallel, spec.parallel.pipeline_parallel,
                     spec.kv.num_gpu_blocks, spec.kv.block_size);
  if (m.rejected > 0) out << fmt::format("note: the simulated engine refused {} request(s)\n", m.rejected);
  out << fmt::format("simulated preemptions: {}; mean batch {:.1f} sequences\n", m.preemptions, m.mean_batch_sequences);
  out << "\n";
  table.print(out);
  out << "\nerror = (simulated - measured) / measured; ITL: mean only (the run records first and last token times)\n";
  return kExitOk;
}

}  // namespace llmpo
