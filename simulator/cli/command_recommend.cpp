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
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Memory in GiB rounded up to the hundredth, so that the printed minimum does fit.
std::string gib_up(double bytes) { return fmt::format("{:.2f}", std::ceil(bytes / kGiB * 100) / 100); }

std::string note(const Recommendation& rec, const GpuRecommendation& g) {
  if (!g.smallest_tp) {
    const std::string none = fmt::format("no TP up to {} fits at context {}", kRecommendMaxTp, rec.context_tokens);
    if (!g.shorter_context) return none;
    return fmt::format("{}; --context {} fits at TP {}", none, g.shorter_context->max_model_len,
                       g.shorter_context->tensor_parallel);
  }
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

// Per GPU as data: bytes, token counts, full-precision rates; no value (null) where no TP fits
// or no max_num_seqs meets the SLO. csv's rows and json's "gpus".
DataTable gpus_table(const Recommendation& rec) {
  DataTable table({"gpu", "gpu_memory_bytes", "min_memory_bytes_tp1", "min_tp1_weight_bytes",
                   "min_tp1_activation_peak_bytes", "min_tp1_runtime_overhead_bytes", "min_tp1_kv_bytes_one_context",
                   "smallest_tp", "kv_capacity_tokens", "max_concurrency", "best_max_num_seqs",
                   "output_throughput_tok_per_s", "output_throughput_tok_per_s_per_gpu", "tpot_p99_ms", "ttft_p99_ms",
                   "seed_batch_ai_flux", "note"});
  for (const auto& g : rec.gpus) {
    std::vector<std::string> row{g.gpu.id, data_number(g.gpu.memory_bytes), data_number(g.minimum.memory_bytes),
                                 data_number(g.minimum.weight_bytes), data_number(g.minimum.activation_bytes),
                                 data_number(g.minimum.overhead_bytes), data_number(g.minimum.kv_bytes)};
    if (g.smallest_tp) {
      row.insert(row.end(), {std::to_string(*g.smallest_tp), std::to_string(g.kv_capacity_tokens),
                             data_number(g.max_concurrency)});
    } else {
      row.insert(row.end(), {"", "", ""});
    }
    if (g.best) {
      const MaxNumSeqsProbe& b = g.probes[*g.best];
      row.insert(row.end(), {std::to_string(b.max_num_seqs), data_number(b.output_throughput),
                             data_number(b.output_throughput / static_cast<double>(*g.smallest_tp)),
                             data_number(b.tpot_p99_ms), data_number(b.ttft_p99_ms)});
    } else {
      row.insert(row.end(), {"", "", "", "", ""});
    }
    row.insert(row.end(), {g.seed_batch, note(rec, g)});
    table.add_row(std::move(row));
  }
  return table;
}

// Every simulated max_num_seqs of every GPU: json's "probes".
DataTable probes_table(const Recommendation& rec) {
  DataTable table({"gpu", "max_num_seqs", "num_requests", "started", "passed", "reason", "output_throughput_tok_per_s",
                   "tpot_p99_ms", "ttft_p99_ms", "mean_batch_size_seqs"});
  for (const auto& g : rec.gpus)
    for (const auto& p : g.probes)
      table.add_row({g.gpu.id, std::to_string(p.max_num_seqs), std::to_string(p.num_requests), data_bool(p.started),
                     data_bool(p.passed), p.reason, data_number(p.output_throughput), data_number(p.tpot_p99_ms),
                     data_number(p.ttft_p99_ms), data_number(p.mean_batch)});
  return table;
}

// The settings the figures hold for (json's top-level keys; stderr under csv).
nlohmann::ordered_json settings_json(const Recommendation& rec) {
  return {{"model", rec.model.id},
          {"context_tokens", rec.context_tokens},
          {"prompt_tokens", rec.options.prompt_tokens},
          {"output_tokens", rec.options.output_tokens},
          {"slo_tpot_p99_ms", rec.options.tpot_p99_ms},
          {"slo_ttft_p99_ms", rec.options.ttft_p99_ms},
          {"gpu_memory_utilization", kRecommendMemoryUtilization}};
}

std::string settings_line(const Recommendation& rec) {
  // A tag's quantization sizes every figure below: say which (llama3.1:8b-instruct-q4_K_M).
  const std::string model =
      rec.model.typed_tag.empty()
          ? rec.model.id
          : fmt::format("{} ({}, weights {})", rec.model.id, rec.model.typed_tag,
                        rec.model.tag_quantization == "none" ? rec.model.dtype : rec.model.tag_quantization);
  return fmt::format("{}, context {} tokens, requests of {} prompt + {} output tokens, SLO TPOT p99 <= {:g} ms and "
                     "TTFT p99 <= {:g} ms, gpu_memory_utilization {}\n",
                     model, rec.context_tokens, rec.options.prompt_tokens, rec.options.output_tokens,
                     rec.options.tpot_p99_ms, rec.options.ttft_p99_ms, kRecommendMemoryUtilization);
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
  declare_format_option(p, "csv: one row per GPU, bytes and tokens, empty where nothing fits; json: the settings, "
                           "{gpus} (the csv's rows) and {probes}, every max_num_seqs simulated");
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
    nlohmann::ordered_json j = settings_json(rec);
    j["gpus"] = gpus_table(rec).json();
    j["probes"] = probes_table(rec).json();
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  if (format == TableFormat::csv) {
    narrative_stream(format, out) << settings_line(rec);
    out << gpus_table(rec).csv();
    return kExitOk;
  }
  const TextTable table = table_of(rec);
  out << settings_line(rec) << "\n";
  table.print(out);
  out << "\nmin_GiB_TP1: (weights + activation peak + overhead + KV of one context) / 0.9 at TP 1; TP: the smallest "
         "that starts on this GPU;\nmax_concurrency_x: KV tokens / context at that TP; best_max_num_seqs: highest "
         "output throughput of a closed loop\nof max_num_seqs clients meeting the SLO (its p99s include the first wave, all clients arriving at once, as "
         "`vllm bench serve\n--max-concurrency N` measures them); seed_batch_AI-Flux: the AI-Flux seed's rule-of-thumb "
         "batch size.\n";
  return kExitOk;
}

}  // namespace llmpo
