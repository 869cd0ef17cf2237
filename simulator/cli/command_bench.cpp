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
#include <filesystem>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "frameworks/framework_config.hpp"
#include "output_format.hpp"
#include "simulator/report/bench_report.hpp"
#include "single_deployment.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string bench_yaml(const SingleDeployment& d, int64_t clients, int64_t rounds, int64_t prompt, int64_t gen) {
  return single_deployment_yaml(
      d, "{seed: 1, percentiles: [50, 99]}",
      fmt::format("{{arrival: {{process: closed_loop, clients: {}, think_time_s: 0}}, num_requests: {}, "
                  "prompt_tokens: {{distribution: fixed, value: {}}}, output_tokens: {{distribution: fixed, value: {}}}}}",
                  clients, clients * rounds, prompt, gen),
      "bench");
}

// --verbose: what a level's run did beyond the summary line, and its first requests' timings
// (arrival = the time its client sent it; TTFT includes queueing, as vLLM's benchmark measures).
void print_level_details(const RunOutcome& outcome, std::ostream& note) {
  constexpr std::size_t kShownRequests = 16;
  const RunMetrics& m = outcome.metrics;
  note << fmt::format("  TTFT mean {:.1f} ms, p99 {:.1f} ms; TPOT mean {:.2f} ms, p99 {:.2f} ms\n", m.ttft_ms.mean,
                      m.ttft_ms.percentiles.at(1), m.tpot_ms.mean, m.tpot_ms.percentiles.at(1));
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
          fmt::format("{:.6f}", m.e2el_ms.mean / 1000), fmt::format("{:.6f}", m.e2el_ms.percentiles.at(1) / 1000),
          fmt::format("{:.6f}", m.output_throughput), std::to_string(peak_blocks), fmt::format("{:.6f}", peak_kv_gib),
          fmt::format("{:.6f}", peak_gib), status};
}

}  // namespace

int command_bench(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle bench",
              "Closed-loop concurrency sweep of one deployment (the Llama profiler seed's bench): per level,\n"
              "completed requests, mean latency, total throughput and peak GPU memory; writes OUT/bench.csv and\n"
              "OUT/bench.html (charts of peak memory and throughput vs concurrency).");
  declare_deployment_options(p, "H100-SXM");
  p.multi("concurrency", "N...", "concurrency levels (clients sending at once)");
  p.option("prompt-toks", "N", "prompt tokens of every request", "128");
  p.option("gen-toks", "N", "output tokens of every request", "32");
  p.option("rounds", "R", "requests each client sends back to back", "1");
  p.flag("check-oom", "report the highest concurrency whose KV cache fits and skip the levels above it");
  p.flag("verbose", "also print per level TTFT, TPOT, engine steps and batch size, and each request's timings "
                    "(the first 16 of a level)");
  p.option("out", "DIR", "folder for bench.csv and bench.html (memory and throughput vs concurrency)", "results/bench");
  p.option("export-svg", "DIR", "also save the charts of bench.html as DIR/memory.svg and DIR/throughput.svg (headless Chromium)");
  p.option("chromium", "PATH", "browser for --export-svg", "$LLMPO_CHROMIUM, else chromium on PATH");
  declare_format_option(p, "csv and json: bench.csv's rows, one per level; the per-level blocks go to stderr");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  // The heading and the per-level blocks repeat the summary table: stderr under csv|json.
  std::ostream& note = narrative_stream(format, out);
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
  if (levels.empty()) levels = {1, 2, 4, 8};
  const int64_t prompt = p.get_int("prompt-toks", 128, 1, 10'000'000);
  const int64_t gen = p.get_int("gen-toks", 32, 1, 10'000'000);
  const int64_t rounds = p.get_int("rounds", 1, 1, 100000);
  const bool check_oom = p.has("check-oom");
  const bool verbose = p.has("verbose");
  const std::string out_dir = p.get_or("out", "results/bench");
  const Libraries libraries = Libraries::load();
  const SingleDeployment deployment = deployment_from(p, libraries);

  // The deployment's memory plan does not depend on the load: plan it once.
  const ExperimentPlan first = plan_single(bench_yaml(deployment, levels.front(), rounds, prompt, gen), "bench", libraries);
  const RunSpec& spec = first.runs.front();
  const StageMemory& stage = spec.memory.limiting();
  const int64_t block_size = spec.kv.block_size;
  const int64_t blocks_per_seq = (prompt + gen + block_size - 1) / block_size;
  const int64_t kv_fit = spec.kv.num_gpu_blocks / blocks_per_seq;
  const double fixed_bytes = stage.weight_bytes + stage.activation_peak_bytes + spec.memory.runtime_overhead_bytes;
  const double block_bytes = static_cast<double>(block_size) * stage.kv_bytes_per_token;

  // The figures of bench.html: one entry per level, filled as the levels run.
  BenchReport report{fmt::format("{} on {} x {} (TP {}, PP {}), {}, {} prompt + {} output tokens, {} request(s) per client",
                                 spec.model.id, spec.parallel.gpus(), spec.hardware.gpu.id, spec.parallel.tensor_parallel,
                                 spec.parallel.pipeline_parallel, framework_type_name(spec.settings), prompt, gen, rounds),
                     spec.hardware.gpu.memory_bytes / kGiB, check_oom ? std::optional<int64_t>(kv_fit) : std::nullopt, {}};
  note << "bench: " << report.setup << "\n";
  note << fmt::format("memory per GPU: weights {:.2f} GiB + activation peak {:.2f} GiB + overhead {:.2f} GiB; KV cache {} blocks "
                      "x {} tokens ({:.2f} GiB)\n",
                      stage.weight_bytes / kGiB, stage.activation_peak_bytes / kGiB,
                      spec.memory.runtime_overhead_bytes / kGiB, spec.kv.num_gpu_blocks, block_size,
                      static_cast<double>(spec.kv.num_gpu_blocks) * block_bytes / kGiB);
  if (check_oom)
    note << fmt::format("check-oom: highest concurrency whose KV fits: {} ({} KV blocks, {} per sequence of {} tokens)\n",
                        kv_fit, spec.kv.num_gpu_blocks, blocks_per_seq, prompt + gen);

  TextTable table({"concurrency", "completed", "avg_latency_s", "total_throughput_tok_per_s", "peak_kv_blocks",
                   "peak_memory_GiB_per_gpu", "status"});
  DataTable rows(kBenchColumns);
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
    const ExperimentPlan plan = plan_single(bench_yaml(deployment, level, rounds, prompt, gen), "bench", libraries);
    RunExecutor executor(plan, libraries);
    const RunOutcome outcome = executor.execute(plan.runs.front());
    const RunMetrics& m = outcome.metrics;
    const int64_t peak_blocks = outcome.result.peak_kv_blocks;
    const double kv_bytes = static_cast<double>(peak_blocks) * block_bytes;
    const double peak = (fixed_bytes + kv_bytes) / kGiB;
    const std::string status = m.completed == level * rounds ? "ok" : fmt::format("{} rejected", m.rejected);
    note << fmt::format("  completed {}/{} requests\n  avg latency: {:.3f} s\n  total throughput: {:.1f} tok/s\n"
                        "  peak memory: {:.2f} GiB per GPU (KV in use at peak: {} blocks, {:.3f} GiB)\n",
                        m.completed, level * rounds, m.e2el_ms.mean / 1000, m.output_throughput, peak, peak_blocks,
                        kv_bytes / kGiB);
    if (verbose) print_level_details(outcome, note);
    table.add_row({std::to_string(level), fmt::format("{}/{}", m.completed, level * rounds),
                   fmt::format("{:.3f}", m.e2el_ms.mean / 1000), fmt::format("{:.1f}", m.output_throughput),
                   std::to_string(peak_blocks), fmt::format("{:.2f}", peak), status});
    rows.add_row(level_row(level, level * rounds, m, peak_blocks, kv_bytes / kGiB, peak, status));
    report.levels.push_back({level, level * rounds, false, m.completed, m.e2el_ms.mean / 1000, m.output_throughput,
                             peak_blocks, kv_bytes / kGiB, peak, status});
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
