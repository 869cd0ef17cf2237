// `llmperforacle bench --model M [--gpu G] --concurrency 1 2 4 8 --prompt-toks 128 --gen-toks 32`:
// the Llama profiler seed's `profiler/cli.py bench` / exp1_concurrency.py, simulated. Per
// concurrency level N, N clients each send --rounds requests of fixed lengths back to back
// (closed loop, no think time; the seed sends one each); printed per level: completed requests,
// mean latency (E2EL), total throughput (output tokens per second of the run) and peak GPU memory
// per GPU = weights + activation peak + runtime overhead (the memory plan) + the KV blocks in use
// at the run's peak. --check-oom reports, before running, the highest concurrency whose KV fits
// and skips the levels that would not; --verbose adds per level TTFT/TPOT, steps and batch size
// and the first requests' timings. Writes OUT/bench.csv and OUT/bench.html (peak memory and
// throughput vs concurrency, simulator/report/bench_report.hpp; --export-svg saves their SVGs).
//
// `bench --request-rate R [R...] [--burstiness B] --num-prompts N [--max-concurrency C]`: open
// loop as `vllm bench serve` sends (vllm/benchmarks/serve.py get_request): N requests whose gaps
// are exponential (B = 1, a Poisson process) or gamma with shape B and mean 1/R, from the
// workload's own arrival processes; `inf` sends all N at t = 0, and with --max-concurrency C at
// most C are in flight (vLLM's semaphore: a closed loop of C clients). One row per rate.
// Every level and rate also prints vLLM's "Serving Benchmark Result" block (vllm_block.hpp).
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "frameworks/framework_config.hpp"
#include "output_format.hpp"
#include "bench_load.hpp"
#include "simulator/report/bench_report.hpp"
#include "single_deployment.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/experiment/vllm_block.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// vLLM's default --metric-percentiles: "99" (bench.csv's p99 columns read it).
constexpr double kBenchPercentile = 99;

std::string bench_yaml(const SingleDeployment& d, const std::string& workload, int64_t seed) {
  return single_deployment_yaml(d, fmt::format("{{seed: {}, percentiles: [{}]}}", seed, kBenchPercentile), workload,
                                "bench");
}


std::vector<OpenLoad> open_loads_from(const ArgParser& p) {
  const double burstiness = p.get_double("burstiness", 1.0, 1e-3, 1e3);
  std::optional<int64_t> max_concurrency;
  if (p.has("max-concurrency")) max_concurrency = p.get_int("max-concurrency", 1, 1, 100000);
  std::vector<OpenLoad> loads;
  for (const auto& text : p.get_all("request-rate")) {
    double rate = 0;
    std::size_t used = 0;
    if (text == "inf") {
      rate = std::numeric_limits<double>::infinity();
      used = text.size();
    } else {
      try {
        rate = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
    }
    if (used != text.size() || !(rate > 0) || (std::isfinite(rate) && rate > 1e6) || std::isnan(rate))
      throw InputError({}, "--request-rate",
                       fmt::format("'{}' is not a request rate (requests per second, > 0 and at most 1e6, or inf: all "
                                   "at once)", text));
    if (std::isfinite(rate) && max_concurrency)
      throw InputError({}, "--max-concurrency",
                       "with a finite --request-rate is not simulated (arrivals waiting for a client-side slot); "
                       "use it with --request-rate inf (a closed loop of that many clients), or drop it");
    loads.push_back({rate, burstiness, max_concurrency});
  }
  return loads;
}

// --verbose: what a level's run did beyond the summary line, and its first requests' timings
// (arrival = the time its client sent it; TTFT includes queueing, as vLLM's benchmark measures).
void print_level_details(const RunOutcome& outcome, std::ostream& note) {
  constexpr std::size_t kShownRequests = 16;
  const RunMetrics& m = outcome.metrics;
  note << fmt::format("  TTFT mean {:.1f} ms, p99 {:.1f} ms; TPOT mean {:.2f} ms, p99 {:.2f} ms\n", m.ttft_ms.mean,
                      m.ttft_ms.percentiles.at(0), m.tpot_ms.mean, m.tpot_ms.percentiles.at(0));
  note << fmt::format("  engine steps {}, mean batch {:.2f} sequences (peak {}), preemptions {}\n", m.steps,
                      m.mean_batch_sequences, m.peak_batch_sequences, m.preemptions);
  note << "  request  sent_s  prompt  output  ttft_ms  tpot_ms  latency_s\n";
  std::size_t shown = 0;
  for (const auto& r : outcome.result.requests) {
    if (r.outcome != RequestOutcome::completed) continue;
    if (shown++ == kShownRequests) break;
    const double ttft_ms = static_cast<double>(r.first_token_ns - r.request.arrival_ns) * 1e-6;
    const double decode_ms = static_cast<double>(r.completion_ns - r.first_token_ns) * 1e-6;
    const double tpot_ms = r.generated_tokens > 1 ? decode_ms / (r.generated_tokens - 1) : 0.0;
    note << fmt::format("  {:>7}  {:>6.3f}  {:>6}  {:>6}  {:>7.1f}  {:>7.2f}  {:>9.3f}\n", r.request.id,
                        static_cast<double>(r.request.arrival_ns) * 1e-9, r.request.prompt_tokens, r.generated_tokens,
                        ttft_ms, tpot_ms, static_cast<double>(r.completion_ns - r.request.arrival_ns) * 1e-9);
  }
  if (m.completed > static_cast<int64_t>(kShownRequests))
    note << fmt::format("  ... {} more (run's requests.csv: `llmperforacle run` with a closed_loop workload)\n",
                        m.completed - static_cast<int64_t>(kShownRequests));
}

// bench.csv's columns: what the file holds and what --format csv|json print (six decimals,
// GiB as binary gigabytes, empty cells for a level that did not run).
const std::vector<std::string> kBenchColumns = {"concurrency", "requests", "completed", "avg_latency_s", "p99_latency_s",
                                                "total_throughput_tok_per_s", "peak_kv_blocks", "peak_kv_GiB_per_gpu",
                                                "peak_memory_GiB_per_gpu", "status"};

std::vector<std::string> skipped_row(int64_t level, int64_t requests, const std::string& status) {
  return {std::to_string(level), std::to_string(requests), "", "", "", "", "", "", "", status};
}

std::vector<std::string> level_row(int64_t level, int64_t requests, const RunMetrics& m, int64_t peak_blocks,
                                   double peak_kv_gib, double peak_gib, const std::string& status) {
  return {std::to_string(level), std::to_string(requests), std::to_string(m.completed),
          fmt::format("{:.6f}", m.e2el_ms.mean / 1000), fmt::format("{:.6f}", m.e2el_ms.percentiles.at(0) / 1000),
          fmt::format("{:.6f}", m.output_throughput), std::to_string(peak_blocks), fmt::format("{:.6f}", peak_kv_gib),
          fmt::format("{:.6f}", peak_gib), status};
}

}  // namespace

int command_bench(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle bench",
              "Closed-loop concurrency sweep of one deployment (the Llama profiler seed's bench): per level,\n"
              "completed requests, mean latency, total throughput and peak GPU memory; or, with --request-rate,\n"
              "open-loop traffic as `vllm bench serve` sends it, one run per rate. Each run also prints vLLM's\n"
              "\"Serving Benchmark Result\" block. Writes OUT/bench.csv and OUT/bench.html (charts of peak memory\n"
              "and throughput vs concurrency or rate).");
  declare_deployment_options(p, "H100-SXM");
  p.multi("concurrency", "N...", "concurrency levels (clients sending at once)");
  p.multi("request-rate", "R...", "open loop instead, as `vllm bench serve --request-rate`: requests per second, one "
          "run per rate (inf: all --num-prompts at t = 0)");
  p.option("burstiness", "B", "--request-rate: gaps are gamma with shape B and mean 1/R (1: Poisson; < 1 burstier)", "1");
  p.option("num-prompts", "N", "--request-rate: requests per run", "1000");
  p.option("max-concurrency", "C", "--request-rate inf: at most C requests in flight (vLLM's client-side cap: a closed "
           "loop of C clients)", "no cap");
  p.option("seed", "S", "workload seed (--request-rate: the arrival times)", "1");
  p.option("prompt-toks", "N", "prompt tokens of every request", "128");
  p.option("gen-toks", "N", "output tokens of every request", "32");
  p.option("rounds", "R", "requests each client sends back to back", "1");
  p.flag("check-oom", "report the highest concurrency whose KV cache fits and skip the levels above it");
  p.flag("verbose", "also print per level TTFT, TPOT, engine steps and batch size, and each request's timings "
                    "(the first 16 of a level)");
  p.option("out", "DIR", "folder for bench.csv and bench.html (memory and throughput vs concurrency)", "results/bench");
  p.option("export-svg", "DIR", "also save the charts of bench.html as DIR/memory.svg and DIR/throughput.svg (headless Chromium)");
  p.option("chromium", "PATH", "browser for --export-svg", "$LLMPO_CHROMIUM, else chromium on PATH");
  declare_format_option(p, "csv and json: bench.csv's rows, one per level or rate; the per-run blocks go to stderr");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  // The heading and the per-level blocks repeat the summary table: stderr under csv|json.
  std::ostream& note = narrative_stream(format, out);
  const bool open_loop = p.has("request-rate");
  if (open_loop && p.has("concurrency"))
    throw InputError({}, "--request-rate", "and --concurrency exclude each other (open loop or closed loop): give one");
  if (open_loop && p.has("rounds"))
    throw InputError({}, "--rounds", "applies to --concurrency; with --request-rate, --num-prompts sets the requests");
  if (!open_loop)
    for (const char* flag : {"burstiness", "num-prompts", "max-concurrency"})
      if (p.has(flag)) throw InputError({}, std::string("--") + flag, "applies to --request-rate (open loop) only");
  const std::vector<OpenLoad> loads = open_loop ? open_loads_from(p) : std::vector<OpenLoad>{};
  std::vector<int64_t> levels;
  for (const auto& text : p.get_all("concurrency")) {
    std::size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || value < 1 || value > 100000)
      throw InputError({}, "--concurrency", fmt::format("'{}' is not a concurrency level (whole numbers 1 .. 100000)", text));
    levels.push_back(value);
  }
  if (levels.empty() && !open_loop) levels = {1, 2, 4, 8};
  const int64_t prompt = p.get_int("prompt-toks", 128, 1, 10'000'000);
  const int64_t gen = p.get_int("gen-toks", 32, 1, 10'000'000);
  const int64_t rounds = p.get_int("rounds", 1, 1, 100000);
  const int64_t num_prompts = p.get_int("num-prompts", 1000, 1, 10'000'000);
  const int64_t seed = p.get_int("seed", 1, 0, std::numeric_limits<int64_t>::max());
  const bool check_oom = p.has("check-oom");
  const bool verbose = p.has("verbose");
  const std::string out_dir = p.get_or("out", "results/bench");
  const Libraries libraries = Libraries::load();
  const SingleDeployment deployment = deployment_from(p, libraries);
  const auto level_yaml = [&](int64_t level) {
    return bench_yaml(deployment, closed_loop_yaml(level, level * rounds, prompt, gen), seed);
  };
  const auto load_yaml = [&](const OpenLoad& load) {
    return bench_yaml(deployment, open_loop_yaml(load, num_prompts, prompt, gen), seed);
  };

  // The deployment's memory plan does not depend on the load: plan it once.
  const ExperimentPlan first =
      plan_single(open_loop ? load_yaml(loads.front()) : level_yaml(levels.front()), "bench", libraries);
  const RunSpec& spec = first.runs.front();
  const StageMemory& stage = spec.memory.limiting();
  const int64_t block_size = spec.kv.block_size;
  const int64_t blocks_per_seq = (prompt + gen + block_size - 1) / block_size;
  const int64_t kv_fit = spec.kv.num_gpu_blocks / blocks_per_seq;
  const double fixed_bytes = stage.weight_bytes + stage.activation_peak_bytes + spec.memory.runtime_overhead_bytes;
  const double block_bytes = static_cast<double>(block_size) * stage.kv_bytes_per_token;

  // The figures of bench.html: one entry per level, filled as the levels run.
  const std::string load_words =
      open_loop ? fmt::format("{} requests per rate, burstiness {:g}{}", num_prompts, loads.front().burstiness,
                              loads.front().max_concurrency
                                  ? fmt::format(", max concurrency {}", *loads.front().max_concurrency)
                                  : std::string())
                : fmt::format("{} request(s) per client", rounds);
  BenchReport report{fmt::format("{} on {} x {} (TP {}, PP {}), {}, {} prompt + {} output tokens, {}", spec.model.id,
                                 spec.parallel.gpus(), spec.hardware.gpu.id, spec.parallel.tensor_parallel,
                                 spec.parallel.pipeline_parallel, framework_type_name(spec.settings), prompt, gen,
                                 load_words),
                     spec.hardware.gpu.memory_bytes / kGiB, check_oom ? std::optional<int64_t>(kv_fit) : std::nullopt, {}};
  report.open_loop = open_loop;
  note << "bench: " << report.setup << "\n";
  note << fmt::format("memory per GPU: weights {:.2f} GiB + activation peak {:.2f} GiB + overhead {:.2f} GiB; KV cache {} blocks "
                      "x {} tokens ({:.2f} GiB)\n",
                      stage.weight_bytes / kGiB, stage.activation_peak_bytes / kGiB,
                      spec.memory.runtime_overhead_bytes / kGiB, spec.kv.num_gpu_blocks, block_size,
                      static_cast<double>(spec.kv.num_gpu_blocks) * block_bytes / kGiB);
  if (check_oom)
    note << fmt::format("check-oom: highest concurrency whose KV fits: {} ({} KV blocks, {} per sequence of {} tokens)\n",
                        kv_fit, spec.kv.num_gpu_blocks, blocks_per_seq, prompt + gen);

  // One run: its figures, the narrative lines and vLLM's block.
  struct Measured {
    RunMetrics metrics;
    int64_t peak_blocks = 0;
    double kv_gib = 0, peak_gib = 0;
  };
  const std::string vllm_date = vllm_result_date();
  // `uncapped`: --request-rate inf without --max-concurrency, simulated as a closed loop of one
  // client per request; vLLM's result says max_concurrency null (no "Maximum request
  // concurrency" line) for it.
  const auto simulate = [&](const std::string& yaml, int64_t requests, bool uncapped) {
    const ExperimentPlan plan = plan_single(yaml, "bench", libraries);
    RunExecutor executor(plan, libraries);
    const RunOutcome outcome = executor.execute(plan.runs.front());
    Measured r{outcome.metrics, outcome.result.peak_kv_blocks, 0, 0};
    const double kv_bytes = static_cast<double>(r.peak_blocks) * block_bytes;
    r.kv_gib = kv_bytes / kGiB;
    r.peak_gib = (fixed_bytes + kv_bytes) / kGiB;
    const RunMetrics& m = r.metrics;
    note << fmt::format("  completed {}/{} requests\n  avg latency: {:.3f} s\n  total throughput: {:.1f} tok/s\n"
                        "  peak memory: {:.2f} GiB per GPU (KV in use at peak: {} blocks, {:.3f} GiB)\n",
                        m.completed, requests, m.e2el_ms.mean / 1000, m.output_throughput, r.peak_gib, r.peak_blocks,
                        r.kv_gib);
    if (verbose) print_level_details(outcome, note);
    auto result = vllm_result_json(plan, outcome, executor.workload(outcome.run->workload_index), VllmLists::none,
                                   vllm_date);
    if (uncapped) result["max_concurrency"] = nullptr;
    note << serving_benchmark_block(result, {kBenchPercentile});
    return r;
  };

  const std::string first_column = open_loop ? "request_rate" : "concurrency";
  TextTable table({first_column, "completed", "avg_latency_s", "total_throughput_tok_per_s", "peak_kv_blocks",
                   "peak_memory_GiB_per_gpu", "status"});
  std::vector<std::string> columns = kBenchColumns;
  columns.front() = first_column;
  DataTable rows(columns);
  for (const OpenLoad& load : loads) {
    note << fmt::format("\nrequest rate {} req/s:\n", load.rate_text());
    const Measured r = simulate(load_yaml(load), num_prompts, std::isinf(load.rate_per_s) && !load.max_concurrency);
    const RunMetrics& m = r.metrics;
    const std::string status = m.completed == num_prompts ? "ok" : fmt::format("{} rejected", m.rejected);
    table.add_row({load.rate_text(), fmt::format("{}/{}", m.completed, num_prompts), fmt::format("{:.3f}", m.e2el_ms.mean / 1000),
                   fmt::format("{:.1f}", m.output_throughput), std::to_string(r.peak_blocks), fmt::format("{:.2f}", r.peak_gib),
                   status});
    std::vector<std::string> row = level_row(0, num_prompts, m, r.peak_blocks, r.kv_gib, r.peak_gib, status);
    row.front() = load.rate_text();
    rows.add_row(row);
    report.levels.push_back({.concurrency = load.max_concurrency.value_or(0), .requests = num_prompts, .skipped = false,
                             .completed = m.completed, .avg_latency_s = m.e2el_ms.mean / 1000,
                             .total_throughput_tok_per_s = m.output_throughput, .peak_kv_blocks = r.peak_blocks,
                             .peak_kv_gib_per_gpu = r.kv_gib, .peak_memory_gib_per_gpu = r.peak_gib, .status = status,
                             .request_rate = load.rate_per_s});
  }
  for (int64_t level : levels) {
    note << fmt::format("\nconcurrency {}:\n", level);
    if (check_oom && level > kv_fit) {
      const std::string why = fmt::format("skipped: {} sequences need {} KV blocks > {}", level, level * blocks_per_seq,
                                          spec.kv.num_gpu_blocks);
      note << "  " << why << "\n";
      table.add_row({std::to_string(level), "-", "-", "-", "-", "-", why});
      rows.add_row(skipped_row(level, level * rounds, "skipped (KV does not fit)"));
      report.levels.push_back({.concurrency = level, .requests = level * rounds, .skipped = true, .status = "skipped (KV does not fit)"});
      continue;
    }
    const Measured r = simulate(level_yaml(level), level * rounds, false);
    const RunMetrics& m = r.metrics;
    const std::string status = m.completed == level * rounds ? "ok" : fmt::format("{} rejected", m.rejected);
    table.add_row({std::to_string(level), fmt::format("{}/{}", m.completed, level * rounds),
                   fmt::format("{:.3f}", m.e2el_ms.mean / 1000), fmt::format("{:.1f}", m.output_throughput),
                   std::to_string(r.peak_blocks), fmt::format("{:.2f}", r.peak_gib), status});
    rows.add_row(level_row(level, level * rounds, m, r.peak_blocks, r.kv_gib, r.peak_gib, status));
    report.levels.push_back({level, level * rounds, false, m.completed, m.e2el_ms.mean / 1000, m.output_throughput,
                             r.peak_blocks, r.kv_gib, r.peak_gib, status});
  }
  note << "\n";
  // The display table for people; bench.csv's own rows for scripts.
  if (format == TableFormat::table) table.print(out);
  else print_data_table(out, format, rows);
  const std::string path = (std::filesystem::path(out_dir) / "bench.csv").string();
  ensure_directory(out_dir);
  write_file_atomically(path, rows.csv());
  note << "total throughput = output tokens / run time; peak memory = weights + activation peak + overhead + KV in use\n"
          "at the peak (vLLM reserves the whole KV cache at start: `llmperforacle memory` shows that figure)\n"
       << "wrote " << path << "\n";
  write_bench_report(report, out_dir, {p.get_or("export-svg", ""), p.get_or("chromium", "")}, note);
  return kExitOk;
}

}  // namespace llmpo
