#include "timestamp_run.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

using nlohmann::json;

std::string slurp(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({}, path, fmt::format("cannot open the file ({})", what));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double time_of(const json& object, const char* key, const SourcePos& pos) {
  const auto it = object.find(key);
  if (it == object.end()) throw InputError(pos, key, "missing (every line needs input_toks, output_toks, arrival_time, queued_ts, scheduled_ts, first_token_ts, last_token_ts)");
  if (!it->is_number()) throw InputError(pos, key, fmt::format("expected a number of seconds, got {}", it->dump()));
  const double value = it->get<double>();
  if (!std::isfinite(value) || value < 0) throw InputError(pos, key, fmt::format("expected a finite time >= 0 s, got {}", value));
  return value;
}

int64_t tokens_of(const json& object, const char* key, const SourcePos& pos) {
  const auto it = object.find(key);
  if (it == object.end()) throw InputError(pos, key, "missing");
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > (1 << 24))
    throw InputError(pos, key, fmt::format("expected a whole number of tokens from 1 to 16,777,216, got {}", it->dump()));
  return it->get<int64_t>();
}

template <typename T>
std::optional<T> optional_of(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

TimestampRun parse_timestamp_run(const std::string& text, const std::string& path) {
  TimestampRun run;
  run.path = path;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const SourcePos pos{path, number, 0};
    json object;
    try {
      object = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, or out_of_range: a number past double
      throw InputError(pos, "", fmt::format("not a JSON object ({})", e.what()));
    }
    if (!object.is_object()) throw InputError(pos, "", "expected one JSON object per line");
    TimestampRequest r;
    r.input_tokens = tokens_of(object, "input_toks", pos);
    r.output_tokens = tokens_of(object, "output_toks", pos);
    r.arrival_s = time_of(object, "arrival_time", pos);
    r.queued_s = time_of(object, "queued_ts", pos);
    r.scheduled_s = time_of(object, "scheduled_ts", pos);
    r.first_token_s = time_of(object, "first_token_ts", pos);
    r.last_token_s = time_of(object, "last_token_ts", pos);
    if (!(r.queued_s <= r.scheduled_s && r.scheduled_s <= r.first_token_s && r.first_token_s <= r.last_token_s))
      throw InputError(pos, "",
                       fmt::format("timestamps out of order: queued {} <= scheduled {} <= first token {} <= last token {} must hold",
                                   r.queued_s, r.scheduled_s, r.first_token_s, r.last_token_s));
    run.requests.push_back(r);
  }
  if (run.requests.empty()) throw InputError({path, 0, 0}, "", "no requests: the file has no JSON lines");
  return run;
}

TimestampRunMeta parse_timestamp_meta(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range: a number past double
    throw InputError({path, 0, 0}, "", fmt::format("not JSON ({})", e.what()));
  }
  if (!j.is_object()) throw InputError({path, 0, 0}, "", "expected a JSON object");
  TimestampRunMeta m;
  m.model = optional_of<std::string>(j, "model").value_or("");
  m.vllm_version = optional_of<std::string>(j, "vllm_version").value_or("");
  if (const auto hw = j.find("hardware"); hw != j.end() && hw->is_object())
    m.device_name = optional_of<std::string>(*hw, "device_name").value_or("");
  if (const auto kw = j.find("engine_kwargs"); kw != j.end() && kw->is_object()) {
    m.tensor_parallel = optional_of<int64_t>(*kw, "tensor_parallel_size").value_or(1);
    m.pipeline_parallel = optional_of<int64_t>(*kw, "pipeline_parallel_size").value_or(1);
    m.max_num_seqs = optional_of<int64_t>(*kw, "max_num_seqs");
    m.max_num_batched_tokens = optional_of<int64_t>(*kw, "max_num_batched_tokens");
    m.max_model_len = optional_of<int64_t>(*kw, "max_model_len");
  }
  if (const auto kv = j.find("kv_cache"); kv != j.end() && kv->is_object()) {
    m.num_gpu_blocks = optional_of<int64_t>(*kv, "num_gpu_blocks");
    m.block_size = optional_of<int64_t>(*kv, "block_size");
    m.gpu_memory_utilization = optional_of<double>(*kv, "gpu_memory_utilization");
    m.enable_prefix_caching = optional_of<bool>(*kv, "enable_prefix_caching");
  }
  if (const auto rc = j.find("resolved_config"); rc != j.end() && rc->is_object())
    if (const auto sc = rc->find("scheduler_config"); sc != rc->end() && sc->is_object())
      m.async_scheduling = optional_of<bool>(*sc, "async_scheduling");
  return m;
}

TimestampRun read_timestamp_run(const std::string& path) {
  TimestampRun run = parse_timestamp_run(slurp(path, "per-request timestamps, one JSON object per line"), path);
  const std::filesystem::path meta = std::filesystem::path(path).parent_path() / "meta.json";
  std::error_code error;
  if (std::filesystem::exists(meta, error)) run.meta = parse_timestamp_meta(slurp(meta.string(), "the run's meta.json"), meta.string());
  return run;
}

TimestampRunMetrics measured_metrics(const TimestampRun& run) {
  TimestampRunMetrics m;
  double first_queued = run.requests.front().queued_s, last_done = 0, gaps_s = 0, gaps = 0, output = 0;
  for (const TimestampRequest& r : run.requests) {
    m.ttft_s.push_back(r.first_token_s - r.queued_s);
    m.e2e_s.push_back(r.last_token_s - r.queued_s);
    if (r.output_tokens > 1) {
      m.tpot_s.push_back((r.last_token_s - r.first_token_s) / static_cast<double>(r.output_tokens - 1));
      gaps_s += r.last_token_s - r.first_token_s;
      gaps += static_cast<double>(r.output_tokens - 1);
    }
    first_queued = std::min(first_queued, r.queued_s);
    last_done = std::max(last_done, r.last_token_s);
    output += static_cast<double>(r.output_tokens);
  }
  m.itl_mean_s = gaps > 0 ? gaps_s / gaps : 0;
  m.duration_s = last_done - first_queued;
  if (m.duration_s > 0) {
    m.request_throughput = static_cast<double>(run.requests.size()) / m.duration_s;
    m.output_throughput = output / m.duration_s;
  }
  return m;
}

bool looks_like_timestamp_run(const std::string& path) {
  if (path.ends_with(".jsonl")) return true;
  std::ifstream in(path, std::ios::binary);
  std::string first;
  if (!in || !std::getline(in, first)) return false;
  return first.find("\"queued_ts\"") != std::string::npos && first.find("\"first_token_ts\"") != std::string::npos;
}

}  // namespace llmpo
