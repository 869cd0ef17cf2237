// `llmperforacle replay RESULT.json --model M --gpu G ...`: simulates the requests of a real
// `vllm bench serve --save-result --save-detailed` run - its exact prompt and output lengths, in
// its order - on the deployment given, and prints simulated against measured metrics with the
// relative error of each.
//
// Arrivals: vLLM's detailed results keep the lengths but (before start_times was added) not when
// each request was sent, so the send pattern is rebuilt from the file's traffic settings:
//   - start_times present (newer vLLM)          -> those times, shifted to start at 0;
//   - request_rate "inf" and max_concurrency N  -> a closed loop of N clients, no think time
//                                                  (vLLM's semaphore: a request starts when one ends);
//   - request_rate "inf", no max_concurrency     -> every request at t = 0;
//   - a finite request_rate                      -> Poisson (burstiness 1) or gamma arrivals at that
//                                                  rate from --seed: the same process, not the
//                                                  same draws (vLLM's numpy stream is not reproduced).
// --request-rate / --max-concurrency override the file's. Requests that failed in the measurement
// (non-empty `errors`) are not replayed.
#include <algorithm>
#include <cstdint>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "replay_comparison.hpp"
#include "replay_timestamp_run.hpp"
#include "single_deployment.hpp"
#include "frameworks/framework_config.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/experiment/timestamp_run.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

int command_replay(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle replay",
              "Replay a real `vllm bench serve --save-result --save-detailed` result (its exact request\n"
              "lengths) through the simulator and print simulated vs measured metrics with relative errors.\n"
              "Arrivals: the file's start_times when present; else request_rate \"inf\" with max_concurrency N\n"
              "is a closed loop of N clients, \"inf\" alone sends everything at t = 0, and a finite rate gives\n"
              "Poisson/gamma arrivals at that rate from --seed (vLLM does not save its send times).\n"
              "A per-request timestamp run (JSONL: input_toks, output_toks, arrival_time, queued_ts, scheduled_ts,\n"
              "first_token_ts, last_token_ts; meta.json beside it) replays its exact arrivals on its own engine\n"
              "settings and prints mean, p50, p90, p99 of TTFT, TPOT, E2E, mean ITL and throughput.");
  p.positional("result", "the vLLM result JSON, or a per-request timestamp run (JSONL with meta.json beside it)");
  declare_deployment_options(p, "", false);
  p.option("request-rate", "R", "override the file's request_rate (req/s; 'inf' for all at once)");
  p.option("max-concurrency", "N", "override the file's max_concurrency: a closed loop of N clients");
  p.option("seed", "S", "seed of the regenerated arrivals", "0");
  declare_format_option(p, "csv: one row per metric (metric, measured, simulated, relative_error as a fraction, "
                           "empty where there is no value); json: the same keyed by metric, with the run's counts");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const auto path = p.positional_value("result");
  if (!path) throw InputError({}, "RESULT", "give the vLLM result JSON to replay (vllm bench serve --save-result --save-detailed)");
  // A run recorded per request with engine timestamps: its own arrivals, lengths and engine.
  if (looks_like_timestamp_run(*path)) return replay_timestamp_run(p, *path, out);
  if (!p.has("model")) throw InputError({}, "--model", "give the model the result was measured on");
  if (!p.has("gpu")) throw InputError({}, "--gpu", "give the GPU the result was measured on");
  const TableFormat format = format_from(p);
  VllmResultFile real = read_vllm_result(*path);
  if (p.has("request-rate")) {
    const std::string text = p.get("request-rate");
    if (text == "inf") real.request_rate.reset();
    else real.request_rate = p.get_double("request-rate", 1, 1e-9, 1e9);
  }
  if (p.has("max-concurrency")) real.max_concurrency = p.get_int("max-concurrency", 1, 1, 1 << 20);
  const int64_t seed = p.get_int("seed", 0, 0, INT64_MAX);
  const Libraries libraries = Libraries::load();
  const SingleDeployment deployment = deployment_from(p, libraries);

  // The requests to replay: those that succeeded, in the file's order.
  std::vector<std::size_t> replayed;
  for (std::size_t i = 0; i < real.input_lens.size(); ++i)
    if (real.succeeded[i]) replayed.push_back(i);
  if (replayed.empty()) throw InputError({}, *path + ": errors", "every request failed in the measurement: nothing to replay");
  const auto n = static_cast<int64_t>(replayed.size());

  std::string arrival, arrivals_text;
  const bool use_start_times = !real.start_times.empty() && !p.has("request-rate") && !p.has("max-concurrency");
  if (use_start_times) {
    arrival = "{process: poisson, rate_per_s: 1}";  // placeholder: the times are the file's
    arrivals_text = "the file's start_times (shifted to start at 0)";
  } else if (!real.request_rate) {
    const int64_t clients = real.max_concurrency ? std::min<int64_t>(*real.max_concurrency, n) : n;
    arrival = fmt::format("{{process: closed_loop, clients: {}, think_time_s: 0}}", clients);
    arrivals_text = real.max_concurrency
                        ? fmt::format("closed loop of {} clients (request_rate inf, max_concurrency {})", clients, *real.max_concurrency)
                        : "every request at t = 0 (request_rate inf, no max_concurrency)";
  } else {
    arrival = real.burstiness == 1.0
                  ? fmt::format("{{process: poisson, rate_per_s: {}}}", *real.request_rate)
                  : fmt::format("{{process: gamma, rate_per_s: {}, burstiness: {}}}", *real.request_rate, real.burstiness);
    arrivals_text = fmt::format("{} {:g} req/s from seed {} (vLLM does not save send times){}",
                                real.burstiness == 1.0 ? "Poisson" : fmt::format("gamma (burstiness {:g})", real.burstiness),
                                *real.request_rate, seed,
                                real.max_concurrency ? fmt::format("; its max_concurrency {} is not modelled on top of a rate", *real.max_concurrency) : "");
  }
  std::vector<double> percentiles = {99};
  for (const auto& [key, value] : real.numbers)
    if (key.size() >= 10 && key[0] == 'p' && key.ends_with("_ttft_ms")) {
      try {
        const double q = std::stod(key.substr(1, key.size() - 9));
        if (q > 0 && q < 100 && std::find(percentiles.begin(), percentiles.end(), q) == percentiles.end()) percentiles.push_back(q);
      } catch (const std::exception&) {
      }
    }
  std::sort(percentiles.begin(), percentiles.end());
  std::string percentile_list;
  for (double q : percentiles) percentile_list += (percentile_list.empty() ? "" : ", ") + fmt::format("{}", q);
  const std::string yaml = single_deployment_yaml(
      deployment, fmt::format("{{seed: {}, percentiles: [{}]}}", seed, percentile_list),
      fmt::format("{{arrival: {}, num_requests: {}, prompt_tokens: {{distribution: fixed, value: 1}}, "
                  "output_tokens: {{distribution: fixed, value: 1}}, over_max_model_len: reject}}",
                  arrival, n),
      "replay");
  const ExperimentPlan plan = plan_single(yaml, "replay of " + *path, libraries);
  const RunSpec& run = plan.runs.front();
  RunExecutor executor(plan, libraries);
  Workload workload = executor.workload(run.workload_index);
  if (static_cast<int64_t>(workload.requests.size()) != n)
    throw InternalError(fmt::format("replay: generated {} requests for {}", workload.requests.size(), n));
  std::vector<std::size_t> order = replayed;  // file index of request k
  if (use_start_times) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return real.start_times[a] < real.start_times[b]; });
    const double t0 = real.start_times[order.front()];
    for (std::size_t k = 0; k < order.size(); ++k)
      workload.requests[k].arrival_ns = static_cast<SimTime>(std::llround((real.start_times[order[k]] - t0) * 1e9));
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    Request& r = workload.requests[k];
    r.prompt_tokens = static_cast<int32_t>(std::max<int64_t>(1, real.input_lens[order[k]]));
    r.output_tokens = static_cast<int32_t>(std::max<int64_t>(1, real.output_lens[order[k]]));
  }
  const PointPlan& point = plan.points.front();
  const RunOutcome outcome = executor.execute_with(run, workload, point.simulation.metrics);
  const RunMetrics& m = outcome.metrics;

  const auto measured = [&](const std::string& key) -> std::optional<double> {
    const auto it = real.numbers.find(key);
    return it == real.numbers.end() ? std::nullopt : std::optional<double>(it->second);
  };
  std::vector<MetricComparison> rows = {
      {"completed", measured("completed"), static_cast<double>(m.measured)},
      {"total_input_tokens", measured("total_input_tokens"), static_cast<double>(m.total_input_tokens)},
      {"total_output_tokens", measured("total_output_tokens"), static_cast<double>(m.total_output_tokens)},
      {"duration", measured("duration"), m.duration_s},
      {"request_throughput", measured("request_throughput"), m.request_throughput},
      {"output_throughput", measured("output_throughput"), m.output_throughput},
      {"total_token_throughput", measured("total_token_throughput"), m.total_token_throughput},
  };
  const std::pair<const char*, const Stat*> stats[] = {
      {"ttft", &m.ttft_ms}, {"tpot", &m.tpot_ms}, {"itl", &m.itl_ms}, {"e2el", &m.e2el_ms}};
  for (const auto& [name, stat] : stats) {
    rows.push_back({fmt::format("mean_{}_ms", name), measured(fmt::format("mean_{}_ms", name)), stat->mean});
    rows.push_back({fmt::format("median_{}_ms", name), measured(fmt::format("median_{}_ms", name)), stat->median});
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
      const std::string key = fmt::format("p{}_{}_ms", vllm_percentile_word(percentiles[i]), name);
      rows.push_back({key, measured(key), stat->percentiles.at(i)});
    }
  }

  const std::string heading =
      fmt::format("replay of {}: {} requests ({} failed in the measurement, not replayed); measured model {}\n", *path, n,
                  real.input_lens.size() - replayed.size(), real.model_id.empty() ? "?" : real.model_id) +
      "arrivals: " + arrivals_text + "\n";
  if (format != TableFormat::table) {
    print_comparison(out, format, heading,
                     {{"result", *path}, {"replayed_requests", n}, {"arrivals", arrivals_text},
                      {"rejected_in_simulation", m.rejected}},
                     rows);
    return kExitOk;
  }
  const TextTable table = comparison_display(rows);
  out << heading;
  out << fmt::format("simulated: {} ({}) {} on {} x {} TP {} PP {}, KV {} blocks x {} tokens\n", run.name,
                     framework_type_name(run.settings), run.model.id, run.parallel.gpus(), run.hardware.gpu.id,
                     run.parallel.tensor_parallel, run.parallel.pipeline_parallel, run.kv.num_gpu_blocks, run.kv.block_size);
  if (m.rejected > 0)
    out << fmt::format("note: the simulated engine refused {} request(s) (longer than max_model_len {} or the KV cache)\n",
                       m.rejected, run.kv.max_model_len);
  out << "\n";
  table.print(out);
  out << "\nerror = (simulated - measured) / measured\n";
  return kExitOk;
}

}  // namespace llmpo
