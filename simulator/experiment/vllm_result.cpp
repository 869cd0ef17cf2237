#include "vllm_result.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "frameworks/framework_config.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/input_limits.hpp"

namespace llmpo {

namespace {

const char* const kStatMetrics[] = {"ttft", "tpot", "itl", "e2el"};
const char* const kDetailedKeys[] = {"input_lens",  "output_lens", "ttfts",           "itls",
                                     "latencies",   "start_times", "generated_texts", "errors"};

const Stat& stat_of(const RunMetrics& m, const std::string& name) {
  if (name == "ttft") return m.ttft_ms;
  if (name == "tpot") return m.tpot_ms;
  if (name == "itl") return m.itl_ms;
  return m.e2el_ms;
}

double seconds(SimTime ns) { return static_cast<double>(ns) * 1e-9; }

}  // namespace

std::string vllm_percentile_word(double p) {
  if (std::floor(p) == p) return fmt::format("{}", static_cast<int64_t>(p));
  return fmt::format("{}", p);  // shortest round-trip, as Python's str(float)
}

std::vector<std::string> vllm_result_keys(const std::vector<double>& percentiles, bool detailed) {
  std::vector<std::string> keys = {"date",           "endpoint_type",      "backend",           "label",
                                   "model_id",       "tokenizer_id",       "num_prompts",       "request_rate",
                                   "burstiness",     "max_concurrency",    "duration",          "completed",
                                   "failed",         "total_input_tokens", "total_output_tokens",
                                   "request_throughput", "request_goodput", "output_throughput",
                                   "total_token_throughput"};
  if (detailed)
    for (const char* key : kDetailedKeys) keys.emplace_back(key);
  for (const char* metric : kStatMetrics) {
    for (const char* stat : {"mean", "median", "std"}) keys.push_back(fmt::format("{}_{}_ms", stat, metric));
    for (double p : percentiles) keys.push_back(fmt::format("p{}_{}_ms", vllm_percentile_word(p), metric));
  }
  return keys;
}

std::string vllm_date_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &local);
  return text;
}

nlohmann::ordered_json vllm_result_json(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                                        bool detailed, const std::string& date) {
  const RunSpec& run = *outcome.run;
  const RunMetrics& m = outcome.metrics;
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  const WorkloadSpec& spec = plan.workloads[static_cast<std::size_t>(run.workload_index)].spec;
  const std::string backend = framework_type_name(run.settings) == "VLLM" ? "vllm" : "static";

  nlohmann::ordered_json j;
  j["date"] = date;
  j["endpoint_type"] = backend;
  j["backend"] = backend;
  j["label"] = run.name;
  j["model_id"] = run.model.hf_id.empty() ? run.model.id : run.model.hf_id;
  j["tokenizer_id"] = j["model_id"];
  j["num_prompts"] = static_cast<int64_t>(workload.requests.size());
  // Traffic, as the vLLM client would have been told to send it. A closed loop of N clients
  // without think time is `--request-rate inf --max-concurrency N`; poisson is burstiness 1,
  // gamma its burstiness; a constant rate (vLLM: burstiness inf, which JSON cannot hold) has
  // null; steps, ramps and traces give their offered rate (requests / last arrival) and null.
  nlohmann::ordered_json rate = "inf", burstiness = 1.0, max_concurrency = nullptr;
  if (workload.closed_loop) {
    max_concurrency = workload.clients;
  } else if (spec.arrival && !(spec.trace && spec.trace->has_arrivals()) &&
             (spec.arrival->process == ArrivalProcess::poisson || spec.arrival->process == ArrivalProcess::gamma ||
              spec.arrival->process == ArrivalProcess::constant)) {
    rate = spec.arrival->rate_per_s;
    burstiness = spec.arrival->process == ArrivalProcess::constant ? nlohmann::ordered_json(nullptr)
                                                                  : nlohmann::ordered_json(spec.arrival->burstiness);
  } else {
    const double span = workload.requests.empty() ? 0.0 : seconds(workload.requests.back().arrival_ns);
    rate = span > 0 ? static_cast<double>(workload.requests.size()) / span : 0.0;
    burstiness = nullptr;
  }
  j["request_rate"] = rate;
  j["burstiness"] = burstiness;
  j["max_concurrency"] = max_concurrency;

  j["duration"] = m.duration_s;
  j["completed"] = m.measured;
  j["failed"] = m.rejected;
  j["total_input_tokens"] = m.total_input_tokens;
  j["total_output_tokens"] = m.total_output_tokens;
  j["request_throughput"] = m.request_throughput;
  bool any_slo = has_any_bound(point.simulation.metrics.slo);
  for (const auto& c : workload.classes) any_slo = any_slo || has_any_bound(c.slo);
  j["request_goodput"] = any_slo ? nlohmann::ordered_json(m.goodput) : nlohmann::ordered_json(nullptr);
  j["output_throughput"] = m.output_throughput;
  j["total_token_throughput"] = m.total_token_throughput;

  if (detailed) {
    std::vector<std::vector<double>> itls(outcome.result.requests.size());
    for (const auto& sample : outcome.result.itl)
      itls[static_cast<std::size_t>(sample.request)].push_back(seconds(sample.gap_ns));
    auto input_lens = nlohmann::ordered_json::array(), output_lens = nlohmann::ordered_json::array(),
         ttfts = nlohmann::ordered_json::array(), itl_lists = nlohmann::ordered_json::array(),
         latencies = nlohmann::ordered_json::array(), start_times = nlohmann::ordered_json::array(),
         texts = nlohmann::ordered_json::array(), errors = nlohmann::ordered_json::array();
    for (const auto& r : outcome.result.requests) {
      if (r.outcome == RequestOutcome::pending) continue;  // closed loop: never sent
      const bool done = r.outcome == RequestOutcome::completed;
      input_lens.push_back(r.request.prompt_tokens);
      output_lens.push_back(done ? r.generated_tokens : 0);
      ttfts.push_back(done ? seconds(r.first_token_ns - r.request.arrival_ns) : 0.0);
      itl_lists.push_back(done ? itls[static_cast<std::size_t>(r.request.id)] : std::vector<double>{});
      latencies.push_back(done ? seconds(r.completion_ns - r.request.arrival_ns) : 0.0);
      start_times.push_back(seconds(r.request.arrival_ns));
      texts.push_back("");
      errors.push_back(done ? std::string() : std::string("rejected: ") + to_string(r.reject_reason));
    }
    j["input_lens"] = input_lens;
    j["output_lens"] = output_lens;
    j["ttfts"] = ttfts;
    j["itls"] = itl_lists;
    j["latencies"] = latencies;
    j["start_times"] = start_times;
    j["generated_texts"] = texts;
    j["errors"] = errors;
  }
  const std::vector<double>& percentiles = point.simulation.metrics.percentiles;
  for (const char* metric : kStatMetrics) {
    const Stat& s = stat_of(m, metric);
    j[fmt::format("mean_{}_ms", metric)] = s.mean;
    j[fmt::format("median_{}_ms", metric)] = s.median;
    j[fmt::format("std_{}_ms", metric)] = s.std;
    for (std::size_t i = 0; i < percentiles.size(); ++i)
      j[fmt::format("p{}_{}_ms", vllm_percentile_word(percentiles[i]), metric)] = s.percentiles.at(i);
  }
  return j;
}

std::string vllm_result_name(const RunSpec& run) {
  std::string name = run.name;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return fmt::format("vllm/{:06}-{}.json", run.index, name);
}

std::string write_vllm_result(const std::string& out_dir, const ExperimentPlan& plan, const RunOutcome& outcome,
                              const Workload& workload, bool detailed, const std::string& date) {
  const std::string path = (std::filesystem::path(out_dir) / vllm_result_name(*outcome.run)).string();
  ensure_directory((std::filesystem::path(out_dir) / "vllm").string());
  write_file_atomically(path, vllm_result_json(plan, outcome, workload, detailed, date).dump() + "\n");
  return path;
}

namespace {

// Unix times (1.7e9 today) and times since the start both fit well inside this.
constexpr double kMaxStartTimeSeconds = 1e10;

[[noreturn]] void bad(const std::string& path, const std::string& key, const std::string& what) {
  throw InputError({}, key.empty() ? path : path + ": " + key, what);
}

std::vector<int64_t> int_list(const nlohmann::json& j, const std::string& path, const std::string& key) {
  if (!j.contains(key))
    bad(path, key, "missing; `replay` needs a result saved with `vllm bench serve --save-result --save-detailed`");
  if (!j[key].is_array()) bad(path, key, "expected a list of token counts");
  std::vector<int64_t> out;
  for (const auto& v : j[key]) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      bad(path, fmt::format("{}[{}]", key, out.size()),
          fmt::format("expected non-negative whole token counts, found {}", v.dump()));
    // Token counts are int32 in the simulator: 1e12 wrapped to a negative prompt.
    if (v.get<int64_t>() > kMaxTokenCount)
      bad(path, fmt::format("{}[{}]", key, out.size()),
          fmt::format("token count {} is out of range (must be at most {})", v.dump(), kMaxTokenCount));
    out.push_back(v.get<int64_t>());
  }
  return out;
}

}  // namespace

VllmResultFile parse_vllm_result(const std::string& text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, nullptr, true, false);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number past double
    bad(path, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) bad(path, "", "expected a JSON object (a `vllm bench serve --save-result` file)");
  VllmResultFile f;
  f.path = path;
  for (const auto& [key, value] : j.items())
    if (value.is_number()) f.numbers[key] = value.get<double>();
  if (j.contains("model_id") && j["model_id"].is_string()) f.model_id = j["model_id"].get<std::string>();
  if (j.contains("backend") && j["backend"].is_string()) f.backend = j["backend"].get<std::string>();
  if (j.contains("num_prompts") && j["num_prompts"].is_number_integer()) f.num_prompts = j["num_prompts"].get<int64_t>();
  if (j.contains("request_rate")) {
    const auto& r = j["request_rate"];
    if (r.is_string() && r.get<std::string>() == "inf") f.request_rate.reset();
    else if (r.is_number() && r.get<double>() > 0) f.request_rate = r.get<double>();
    else bad(path, "request_rate", fmt::format("expected a positive number or \"inf\", found {}", r.dump()));
  }
  if (j.contains("burstiness") && !j["burstiness"].is_null()) {
    if (!j["burstiness"].is_number() || !(j["burstiness"].get<double>() > 0))
      bad(path, "burstiness", fmt::format("expected a positive number, found {}", j["burstiness"].dump()));
    f.burstiness = j["burstiness"].get<double>();
  }
  if (j.contains("max_concurrency") && !j["max_concurrency"].is_null()) {
    if (!j["max_concurrency"].is_number_integer() || j["max_concurrency"].get<int64_t>() < 1)
      bad(path, "max_concurrency", fmt::format("expected a positive whole number or null, found {}", j["max_concurrency"].dump()));
    f.max_concurrency = j["max_concurrency"].get<int64_t>();
  }
  f.input_lens = int_list(j, path, "input_lens");
  f.output_lens = int_list(j, path, "output_lens");
  if (f.input_lens.size() != f.output_lens.size())
    bad(path, "output_lens", fmt::format("has {} entries but input_lens has {}", f.output_lens.size(), f.input_lens.size()));
  if (f.input_lens.empty()) bad(path, "input_lens", "is empty: no requests to replay");
  f.succeeded.assign(f.input_lens.size(), true);
  if (j.contains("errors") && j["errors"].is_array()) {
    if (j["errors"].size() != f.input_lens.size())
      bad(path, "errors", fmt::format("has {} entries but input_lens has {}", j["errors"].size(), f.input_lens.size()));
    for (std::size_t i = 0; i < f.input_lens.size(); ++i) {
      const auto& e = j["errors"][i];
      f.succeeded[i] = e.is_null() || (e.is_string() && e.get<std::string>().empty());
    }
  }
  if (j.contains("start_times") && j["start_times"].is_array()) {
    if (j["start_times"].size() != f.input_lens.size())
      bad(path, "start_times", fmt::format("has {} entries but input_lens has {}", j["start_times"].size(), f.input_lens.size()));
    for (const auto& v : j["start_times"]) {
      const std::string entry = fmt::format("start_times[{}]", f.start_times.size());
      if (!v.is_number()) bad(path, entry, fmt::format("expected times in seconds, found {}", v.dump()));
      // Within kMaxInputSeconds of 0 either way (they are Unix times or times since the start), so
      // that their differences, the replayed arrival times, fit the simulated clock.
      const double t = v.get<double>();
      if (!std::isfinite(t) || std::fabs(t) > kMaxStartTimeSeconds)
        bad(path, entry, fmt::format("{} is out of range (must be between -{:g} and {:g} seconds)", v.dump(),
                                     kMaxStartTimeSeconds, kMaxStartTimeSeconds));
      f.start_times.push_back(t);
    }
    if (!f.start_times.empty()) {
      const auto [first, last] = std::minmax_element(f.start_times.begin(), f.start_times.end());
      if (*last - *first > kMaxInputSeconds)
        bad(path, "start_times", fmt::format("span {:g} seconds, more than the {:g} a replay may simulate",
                                             *last - *first, kMaxInputSeconds));
    }
  }
  return f;
}

VllmResultFile read_vllm_result(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({}, path, "cannot open the file (a `vllm bench serve --save-result --save-detailed` JSON)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_vllm_result(text.str(), path);
}

}  // namespace llmpo
