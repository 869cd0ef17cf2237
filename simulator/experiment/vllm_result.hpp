#pragma once
// vLLM's benchmark result file, both ways: a run's results written as `vllm bench serve
// --save-result [--save-detailed]` writes them (`run --vllm-json`), and a real one read back
// (`replay`).
//
// Matched against vllm/benchmarks/serve.py of vllm-project/vllm at commit 009e6d4a1cd6 (main
// after the v0.18.0 release, as held by the public code index). Releases up to 0.18.0 write the
// same keys less latencies and queue_times (tests/data/vllm_results/ holds a 0.18.0 file); the
// older benchmarks/benchmark_serving.py also lacks endpoint_type, label, failed, start_times,
// max_output_tokens_per_s, max_concurrent_requests and rtfx.
// Keys, in vLLM's order (main_async's result_json, then benchmark()'s result, then
// process_one_metric's statistics):
//   date ("%Y%m%d-%H%M%S"), endpoint_type, backend, label, model_id, tokenizer_id, num_prompts,
//   request_rate (number, or the string "inf"), burstiness, max_concurrency (int or null),
//   duration (s), completed, failed, total_input_tokens, total_output_tokens,
//   request_throughput, request_goodput (null without an SLO, as vLLM without --goodput),
//   output_throughput, total_token_throughput,
//   [detailed: input_lens, output_lens, ttfts, itls (per request, s)], latencies (s),
//   [detailed: start_times (s)], queue_times (s), [detailed: generated_texts (""), errors ("" when
//   it succeeded)], max_output_tokens_per_s, max_concurrent_requests, rtfx,
//   then mean_/median_/std_/pNN_ X _ms for X in ttft, tpot, itl, e2el (as with
//   --percentile-metrics ttft,tpot,itl,e2el; pNN as vLLM names them: p99, p99.9).
// vLLM drops input_lens, output_lens, start_times, ttfts, itls, generated_texts and errors
// without --save-detailed and keeps latencies and queue_times. Not written: the keys vLLM adds
// only for features not simulated here (--metadata, ramp-up, probe requests, speculative and
// diffusion decoding statistics, client_queue_time percentiles unless asked for).
// The file name is vLLM's compute_result_filename:
//   {label}-{request_rate}qps[-concurrency{max_concurrency}]-{model id after its last '/'}-{date}.json
// with Python's str() of the float rate ("4.0", "inf").
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_executor.hpp"

namespace llmpo {

// The keys of a result, in order, for percentiles `percentiles`.
std::vector<std::string> vllm_result_keys(const std::vector<double>& percentiles, bool detailed);
// "p99", "p99.9": vLLM's str(int(p)) if int(p) == p else str(p).
std::string vllm_percentile_word(double p);
// Python's str(float): "4.0", "0.25", "1e-05", "1e+16", "inf".
std::string python_float_text(double value);

// The traffic as `vllm bench serve` would have been told to send it: request_rate (a number or
// "inf"), burstiness and max_concurrency (null or a whole number), as JSON values.
struct VllmTraffic {
  nlohmann::ordered_json request_rate = "inf", burstiness = 1.0, max_concurrency = nullptr;
};
VllmTraffic vllm_traffic(const WorkloadSpec& spec, const Workload& workload);

// The run's `--label`: its framework entry's name, with "-point<N>" when the experiment sweeps
// (a name alone repeats at every sweep point; vLLM users give each run its own label).
std::string vllm_label(const ExperimentPlan& plan, const RunSpec& run);

// One run as vLLM's result JSON. Aggregates are the run's RunMetrics (the measured requests,
// as in summary.csv); the per-request lists cover every request that was sent, in id order (itls
// only hold the gaps the run recorded: see RunExecutor::record_itl_samples).
// Which per-request lists a result holds: none (the figures only, for the printed block: a
// million-request run would otherwise build and drop two million-element arrays), vLLM's default
// ones (latencies, queue_times), or --save-detailed's.
enum class VllmLists { none, standard, detailed };
nlohmann::ordered_json vllm_result_json(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                                        VllmLists lists, const std::string& date);
// "vllm/<vLLM's file name>": where a result goes, relative to OUT.
std::string vllm_result_name(const nlohmann::ordered_json& result);
// Writes OUT/vllm/<vLLM's file name> atomically; returns its name relative to OUT.
std::string write_vllm_result(const std::string& out_dir, const nlohmann::ordered_json& result);
// Among OUT/vllm's files, the one a run wrote (an earlier command, for a resumed run): its label,
// model and date, any rate and concurrency; "" when there is none.
std::string find_vllm_result(const std::string& out_dir, const std::string& label, const std::string& model_id,
                             const std::string& date);
// The "date" of simulated results: a simulation has no wall-clock date, and outputs must be the
// same bytes run to run (the file name holds it, so resumed runs find their files), so it is the
// Unix epoch, "19700101-000000", or the UTC time of $SOURCE_DATE_EPOCH (the reproducible-builds
// convention) when that is set; InputError when it is not a whole number of seconds.
std::string vllm_result_date();

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
