#pragma once
// vLLM's benchmark result file, both ways: a run's results written as `vllm bench serve
// --save-result [--save-detailed]` writes them (`run --vllm-json`), and a real one read back
// (`replay`).
//
// Matched against vllm/benchmarks/serve.py of vllm-project/vllm at commit 009e6d4a1cd6 (main, as
// held by the public code index; the `vllm bench serve` of 2025-26). The older
// benchmarks/benchmark_serving.py writes the same keys less endpoint_type, label, failed,
// latencies and start_times. Left out: max_output_tokens_per_s, max_concurrent_requests, rtfx,
// queue_times and the client-queue statistics (no client-side semaphore is modelled).
// Keys, in vLLM's order:
//   date ("%Y%m%d-%H%M%S"), endpoint_type, backend, label, model_id, tokenizer_id, num_prompts,
//   request_rate (number, or the string "inf"), burstiness, max_concurrency (int or null),
//   duration (s), completed, failed, total_input_tokens, total_output_tokens,
//   request_throughput, request_goodput (null without an SLO, as vLLM without --goodput),
//   output_throughput, total_token_throughput,
//   detailed only: input_lens, output_lens, ttfts (s), itls (per request, s), latencies (s),
//   start_times (s), generated_texts (""), errors ("" when it succeeded),
//   then mean_/median_/std_/pNN_ X _ms for X in ttft, tpot, itl, e2el (as with
//   --percentile-metrics ttft,tpot,itl,e2el; pNN as vLLM names them: p99, p99.9).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_executor.hpp"

namespace llmpo {

// The keys of a non-detailed result, in order, for percentiles `percentiles`.
std::vector<std::string> vllm_result_keys(const std::vector<double>& percentiles, bool detailed);
// "p99", "p99.9": vLLM's str(int(p)) if int(p) == p else str(p).
std::string vllm_percentile_word(double p);

// One run as vLLM's result JSON. Aggregates are the run's RunMetrics (the measured requests,
// as in summary.csv); the detailed per-request lists cover every request that was sent, in id
// order (itls only hold the gaps the run recorded: see RunExecutor::record_itl_samples).
nlohmann::ordered_json vllm_result_json(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                                        bool detailed, const std::string& date);
// "vllm/<run index, 6 digits>-<framework name>.json": where a run's file goes, relative to OUT.
std::string vllm_result_name(const RunSpec& run);
// Writes OUT/vllm/<run index, 6 digits>-<framework name>.json atomically; returns its path.
std::string write_vllm_result(const std::string& out_dir, const ExperimentPlan& plan, const RunOutcome& outcome,
                              const Workload& workload, bool detailed, const std::string& date);
// The current local time as vLLM's "date" field.
std::string vllm_date_now();

// A saved `vllm bench serve --save-result --save-detailed` file, as `replay` needs it.
struct VllmResultFile {
  std::string path;
  std::string model_id, backend;
  int64_t num_prompts = 0;
  std::optional<double> request_rate;  // nullopt: "inf"
  double burstiness = 1.0;
  std::optional<int64_t> max_concurrency;
  std::vector<int64_t> input_lens, output_lens;  // per request, in the file's order
  std::vector<bool> succeeded;                   // errors[i] empty (all true without "errors")
  std::vector<double> start_times;               // per request (newer vLLM); empty when absent
  std::map<std::string, double> numbers;         // every numeric top-level field
};

// Throws InputError (the path, the key, what was expected) for a file that is not such a result.
VllmResultFile read_vllm_result(const std::string& path);
VllmResultFile parse_vllm_result(const std::string& text, const std::string& path);

}  // namespace llmpo
