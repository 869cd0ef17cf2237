// `llmperforacle recommend`: per GPU, the smallest GPU memory and TP that start a model, vLLM's
// maximum concurrency at the context length, and the max_num_seqs of the highest throughput
// within a latency SLO (simulator/experiment/recommend.hpp does the work; this file parses
// and prints).
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "simulator/experiment/recommend.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Memory in GiB rounded up to the hundredth, so that the printed minimum does fit.
std::string gib_up(double bytes) { return fmt::format("{:.2f}", std::ceil(bytes / kGiB * 100) / 100); }

std::string note(const Recommendation& rec, const GpuRecommendation& g) {
  if (!g.smallest_tp) return fmt::format("no TP up to {} fits at context {}", kRecommendMaxTp, rec.context_tokens);
  if (g.probes.empty()) return "no candidate";
  if (!g.best) return "no max_num_seqs meets the SLO (at " + std::to_string(g.probes.front().max_num_seqs) +
                      ": " + g.probes.front().reason + ")";
  const std::size_t next = *g.best + 1;
  if (next < g.probes.size())
    return fmt::format("{}: {}", g.probes[next].max_num_seqs,
                       g.probes[next].passed ? "passes, lower throughput" : g.probes[next].reason);
  return fmt::format("capped at max concurrency {}", g.probes.back().max_num_seqs);
}

TextTable table_of(const Recommendation& rec) {
  TextTable table({"gpu", "gpu_GiB", "min_GiB_TP1", "TP", "kv_tokens", "max_concurrency_x", "best_max_num_seqs",
                   "output_tok_per_s", "output_tok_per_s_per_gpu", "tpot_p99_ms", "ttft_p99_ms", "seed_batch_AI-Flux",
                   "next_larger_or_why_none"});
  for (const auto& g : rec.gpus) {
    std::vector<std::string> row{g.gpu.id, fmt::format("{:.1f}", g.gpu.memory_bytes / kGiB), gib_up(g.minimum.memory_bytes)};
    if (!g.smallest_tp) {
      row.insert(row.end(), {"-", "-", "-", "-", "-", "-", "-", "-"});
    } else {
      row.push_back(std::to_string(*g.smallest_tp));
      row.push_back(std::to_string(g.kv_capacity_tokens));
      row.push_back(fmt::format("{:.2f}", g.max_concurrency));
      if (g.best) {
        const MaxNumSeqsProbe& b = g.probes[*g.best];
        row.insert(row.end(), {std::to_string(b.max_num_seqs), fmt::format("{:.0f}", b.output_throughput),
                               fmt::format("{:.0f}", b.output_throughput / static_cast<double>(*g.smallest_tp)),
                               fmt::format("{:.1f}", b.tpot_p99_ms), fmt::format("{:.1f}", b.ttft_p99_ms)});
      } else {
        row.insert(row.end(), {"none", "-", "-", "-", "-"});
      }
    }
    row.push_back(g.seed_batch.empty() ? "-" : g.seed_batch);
    row.push_back(note(rec, g));
    table.add_row(std::move(row));
  }
  return table;
}

nlohmann::json json_of(const Recommendation& rec) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : rec.gpus) {
    nlohmann::json probes = nlohmann::json::array();
    for (const auto& p : g.probes)
      probes.push_back({{"max_num_seqs", p.max_num_seqs}, {"num_requests", p.num_requests}, {"started", p.started},
                        {"passed", p.passed}, {"reason", p.reason}, {"output_throughput_tok_per_s", p.output_throughput},
                        {"tpot_p99_ms", p.tpot_p99_ms}, {"ttft_p99_ms", p.ttft_p99_ms},
                        {"mean_batch_size_seqs", p.mean_batch}});
    nlohmann::json row = {
        {"gpu", g.gpu.id},
        {"gpu_memory_bytes", g.gpu.memory_bytes},
        {"min_memory_tp1", {{"memory_bytes", g.minimum.memory_bytes}, {"weight_bytes", g.minimum.weight_bytes},
                            {"activation_peak_bytes", g.minimum.activation_bytes},
                            {"runtime_overhead_bytes", g.minimum.overhead_bytes}, {"kv_bytes_one_context", g.minimum.kv_bytes}}},
        {"smallest_tp", g.smallest_tp ? nlohmann::json(*g.smallest_tp) : nlohmann::json(nullptr)},
        {"kv_capacity_tokens", g.kv_capacity_tokens},
        {"max_concurrency", g.max_concurrency},
        {"best_max_num_seqs", g.best ? nlohmann::json(g.probes[*g.best].max_num_seqs) : nlohmann::json(nullptr)},
        {"seed_batch_ai_flux", g.seed_batch},
        {"note", note(rec, g)},
        {"probes", probes}};
    if (g.best) {
      const MaxNumSeqsProbe& b = g.probes[*g.best];
      row["output_throughput_tok_per_s"] = b.output_throughput;
      row["output_throughput_tok_per_s_per_gpu"] = b.output_throughput / static_cast<double>(*g.smallest_tp);
      row["tpot_p99_ms"] = b.tpot_p99_ms;
      row["ttft_p99_ms"] = b.ttft_p99_ms;
    }
    gpus.push_back(row);
  }
  return {{"model", rec.model.id},
          {"context_tokens", rec.context_tokens},
          {"prompt_tokens", rec.options.prompt_tokens},
          {"output_tokens", rec.options.output_tokens},
          {"slo", {{"tpot_p99_ms", rec.options.tpot_p99_ms}, {"ttft_p99_ms", rec.options.ttft_p99_ms}}},
          {"gpu_memory_utilization", kRecommendMemoryUtilization},
          {"gpus", gpus}};
}

}  // namespace

int command_recommend(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle recommend",
              "Per GPU: the smallest GPU memory and TP at which vLLM starts the model, its maximum concurrency\n"
              "at the context length, and the max_num_seqs of the highest output throughput whose TPOT p99\n"
              "and TTFT p99 meet the SLO (closed-loop simulations with clients = max_num_seqs = 1, 2, 4, ...\n"
              "up to the maximum concurrency, at most 1024).");
  p.option("model", "NAME|config.json", "model library name, HF id, family:size tag, or a HF config.json", "", true);
  p.multi("gpu", "NAME", "GPUs, library names or GPU .yaml files (default: every GPU of the library)");
  p.option("context", "TOKENS", "max_model_len: the context every admitted sequence must be able to reach",
           "the model's max_position_embeddings");
  p.option("prompt-toks", "N", "prompt tokens of each simulated request", "512");
  p.option("gen-toks", "N", "output tokens of each simulated request (>= 2)", "128");
  p.option("slo-tpot-ms", "MS", "TPOT p99 bound", "100");
  p.option("slo-ttft-ms", "MS", "TTFT p99 bound", "2000");
  declare_format_option(p, "json: per GPU with every max_num_seqs probe");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  RecommendOptions options;
  options.context_tokens = p.get_int("context", 0, 1, int64_t{1} << 40);
  options.prompt_tokens = p.get_int("prompt-toks", 512, 1, 1'000'000'000);
  options.output_tokens = p.get_int("gen-toks", 128, 2, 1'000'000'000);
  options.tpot_p99_ms = p.get_double("slo-tpot-ms", 100, 1e-9, 1e12);
  options.ttft_p99_ms = p.get_double("slo-ttft-ms", 2000, 1e-9, 1e12);
  const Libraries libraries = Libraries::load();
  const Recommendation rec = recommend(p.get("model"), p.get_all("gpu"), options, libraries);

  if (format == TableFormat::json) {
    out << json_of(rec).dump(2) << "\n";
    return kExitOk;
  }
  const TextTable table = table_of(rec);
  if (format == TableFormat::csv) {
    table.print_csv(out);
    return kExitOk;
  }
  out << fmt::format("{}, context {} tokens, requests of {} prompt + {} output tokens, SLO TPOT p99 <= {:g} ms and "
                     "TTFT p99 <= {:g} ms, gpu_memory_utilization {}\n\n",
                     rec.model.id, rec.context_tokens, options.prompt_tokens, options.output_tokens,
                     options.tpot_p99_ms, options.ttft_p99_ms, kRecommendMemoryUtilization);
  table.print(out);
  out << "\nmin_GiB_TP1: (weights + activation peak + overhead + KV of one context) / 0.9 at TP 1; TP: the smallest "
         "that starts on this GPU;\nmax_concurrency_x: KV tokens / context at that TP; best_max_num_seqs: highest "
         "output throughput of a closed loop\nof max_num_seqs clients meeting the SLO (its p99s include the first wave, all clients arriving at once, as "
         "`vllm bench serve\n--max-concurrency N` measures them); seed_batch_AI-Flux: the AI-Flux seed's rule-of-thumb "
         "batch size.\n";
  return kExitOk;
}

}  // namespace llmpo
