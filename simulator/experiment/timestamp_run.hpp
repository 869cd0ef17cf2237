#pragma once
// A real serving run recorded per request with engine timestamps (JSONL), as LLMServingSim's
// vLLM benchmark harness writes it: one object per line with input_toks, output_toks,
// arrival_time (client clock, s) and the engine-clock instants queued_ts, scheduled_ts,
// first_token_ts, last_token_ts (s); a meta.json beside it gives the engine's arguments and what
// it resolved (KV blocks). Example: hardware/profiles/measured/serving-runs/vllm-0.19.0/.
//
// Measured metrics, as the run's README defines them and vLLM's benchmark names them:
//   TTFT = first_token_ts - queued_ts (queueing included), TPOT = (last - first) / (output - 1)
//   for outputs of more than one token, E2E = last_token_ts - queued_ts, ITL mean = pooled over
//   every gap = sum(last - first) / sum(output - 1) (per-token gaps are not recorded, so only its
//   mean is known), duration = last last_token_ts - first queued_ts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

struct TimestampRequest {
  int64_t input_tokens = 0, output_tokens = 0;
  double arrival_s = 0;  // client clock
  double queued_s = 0, scheduled_s = 0, first_token_s = 0, last_token_s = 0;  // engine clock
};

struct TimestampRunMeta {
  std::string model;           // Hugging Face id
  std::string device_name;     // e.g. "NVIDIA GeForce RTX 4090"
  std::string vllm_version;
  int64_t tensor_parallel = 1, pipeline_parallel = 1;
  std::optional<int64_t> max_num_seqs, max_num_batched_tokens, max_model_len, block_size;
  std::optional<double> gpu_memory_utilization;
  std::optional<int64_t> num_gpu_blocks;  // what the engine resolved at start-up
  std::optional<bool> enable_prefix_caching, async_scheduling;
};

struct TimestampRun {
  std::string path;
  std::vector<TimestampRequest> requests;  // file order
  std::optional<TimestampRunMeta> meta;    // meta.json beside the file, when present
};

// Throws InputError naming file:line and the key for a malformed line, a missing key, a
// non-finite or negative time, times out of order within a request, or an empty file.
TimestampRun read_timestamp_run(const std::string& path);
TimestampRun parse_timestamp_run(const std::string& text, const std::string& path);
TimestampRunMeta parse_timestamp_meta(const std::string& text, const std::string& path);

// The measured side of a replay.
struct TimestampRunMetrics {
  std::vector<double> ttft_s, tpot_s, e2e_s;  // per request (tpot: outputs > 1 token)
  double itl_mean_s = 0;
  double duration_s = 0;
  double request_throughput = 0, output_throughput = 0;  // per second
};
TimestampRunMetrics measured_metrics(const TimestampRun& run);

// True when `path` holds per-request timestamp lines (a .jsonl name, or a first line that is an
// object with queued_ts).
bool looks_like_timestamp_run(const std::string& path);

}  // namespace llmpo
