#include "vllm_result.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "frameworks/framework_config.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/input_limits.hpp"

namespace llmpo {

namespace {

const char* const kStatMetrics[] = {"ttft", "tpot", "itl", "e2el"};

const Stat& stat_of(const RunMetrics& m, const std::string& name) {
  if (name == "ttft") return m.ttft_ms;
  if (name == "tpot") return m.tpot_ms;
  if (name == "itl") return m.itl_ms;
  return m.e2el_ms;
}

double seconds(SimTime ns) { return static_cast<double>(ns) * 1e-9; }

// A label or model as part of a file name: '/' and anything a shell or another filesystem
// would trip on become '_'.
std::string file_name_part(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return out;
}

std::string base_model_id(const std::string& model_id) {  // model_id.split("/")[-1]
  const auto slash = model_id.rfind('/');
  return slash == std::string::npos ? model_id : model_id.substr(slash + 1);
}

}  // namespace

std::string vllm_percentile_word(double p) {
  if (std::floor(p) == p) return fmt::format("{}", static_cast<int64_t>(p));
  return python_float_text(p);
}

std::string python_float_text(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // repr(float): the shortest digits that round-trip, positional for exponents -4 .. 15, else
  // d.ddde+XX (at least two exponent digits); a whole positional number keeps ".0".
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string sci(buffer, end);  // "-1.2345e+06"
  const bool negative = sci.front() == '-';
  if (negative) sci.erase(0, 1);
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  const int exponent = std::stoi(sci.substr(e + 1));
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out = digits + std::string(static_cast<std::size_t>(exponent + 1) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<std::size_t>(exponent + 1)) + "." +
            digits.substr(static_cast<std::size_t>(exponent + 1));
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02}", exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  return negative ? "-" + out : out;
}

std::vector<std::string> vllm_result_keys(const std::vector<double>& percentiles, bool detailed) {
  std::vector<std::string> keys = {"date",           "endpoint_type",      "backend",           "label",
                                   "model_id",       "tokenizer_id",       "num_prompts",       "request_rate",
                                   "burstiness",     "max_concurrency",    "duration",          "completed",
                                   "failed",         "total_input_tokens", "total_output_tokens",
                                   "request_throughput", "request_goodput", "output_throughput",
                                   "total_token_throughput"};
  if (detailed)
    for (const char* key : {"input_lens", "output_lens", "ttfts", "itls"}) keys.emplace_back(key);
  keys.emplace_back("latencies");
  if (detailed) keys.emplace_back("start_times");
  keys.emplace_back("queue_times");
  if (detailed)
    for (const char* key : {"generated_texts", "errors"}) keys.emplace_back(key);
  for (const char* key : {"max_output_tokens_per_s", "max_concurrent_requests", "rtfx"}) keys.emplace_back(key);
  for (const char* metric : kStatMetrics) {
    for (const char* stat : {"mean", "median", "std"}) keys.push_back(fmt::format("{}_{}_ms", stat, metric));
    for (double p : percentiles) keys.push_back(fmt::format("p{}_{}_ms", vllm_percentile_word(p), metric));
  }
  return keys;
}

std::string vllm_result_date() {
  std::time_t when = 0;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    const std::string text = epoch;
    std::size_t used = 0;
    long long seconds_since_epoch = -1;
    try {
      seconds_since_epoch = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    // Up to the year 9999, so that the date keeps its 15 characters.
    if (used != text.size() || seconds_since_epoch < 0 || seconds_since_epoch > 253402300799LL)
      throw InputError({}, "SOURCE_DATE_EPOCH",
                       fmt::format("'{}' is not a time for vLLM's result date (whole seconds since 1970-01-01 UTC, "
                                   "0 .. 253402300799)", text));
    when = static_cast<std::time_t>(seconds_since_epoch);
  }
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &utc);
  return text;
}

VllmTraffic vllm_traffic(const WorkloadSpec& spec, const Workload& workload) {
  // A closed loop of N clients without think time is `--request-rate inf --max-concurrency N`;
  // poisson is burstiness 1, gamma its burstiness; a constant rate (vLLM: burstiness inf, which
  // JSON cannot hold: Python's json.dump would write the non-JSON `Infinity`) has null; steps,
  // ramps and traces give their offered rate (requests / last arrival) and null.
  VllmTraffic traffic;
  if (workload.closed_loop) {
    traffic.max_concurrency = workload.clients;
  } else if (spec.arrival && !(spec.trace && spec.trace->has_arrivals()) &&
             (spec.arrival->process == ArrivalProcess::poisson || spec.arrival->process == ArrivalProcess::gamma ||
              spec.arrival->process == ArrivalProcess::constant)) {
    traffic.request_rate = spec.arrival->rate_per_s;
    traffic.burstiness = spec.arrival->process == ArrivalProcess::constant
                             ? nlohmann::ordered_json(nullptr)
                             : nlohmann::ordered_json(spec.arrival->burstiness);
  } else {
    const double span = workload.request_count() == 0 ? 0.0 : seconds(workload.last_fixed_arrival_ns());
    traffic.request_rate = span > 0 ? static_cast<double>(workload.request_count()) / span : 0.0;
    traffic.burstiness = nullptr;
  }
  return traffic;
}

std::string vllm_label(const ExperimentPlan& plan, const RunSpec& run) {
  return plan.points.size() > 1 ? fmt::format("{}-point{}", run.name, run.point_index) : run.name;
}

namespace {

// The per-request lists, in vLLM's key order (see the header).
void add_request_lists(nlohmann::ordered_json& j, const RunOutcome& outcome, const Workload& workload, bool detailed) {
  // Per request, over every request that was sent (vLLM: every output, failed ones with their
  // defaults: latency 0, no tokens).
  std::vector<std::vector<double>> itls(detailed ? outcome.result.requests.size() : 0);
  if (detailed)
    for (const auto& sample : outcome.result.itl)
      itls[static_cast<std::size_t>(sample.request)].push_back(seconds(sample.gap_ns));
  auto input_lens = nlohmann::ordered_json::array(), output_lens = nlohmann::ordered_json::array(),
       ttfts = nlohmann::ordered_json::array(), itl_lists = nlohmann::ordered_json::array(),
       latencies = nlohmann::ordered_json::array(), start_times = nlohmann::ordered_json::array(),
       queue_times = nlohmann::ordered_json::array(), texts = nlohmann::ordered_json::array(),
       errors = nlohmann::ordered_json::array();
  for (const auto& r : outcome.result.requests) {
    if (r.outcome == RequestOutcome::pending) continue;  // closed loop: never sent
    const bool done = r.outcome == RequestOutcome::completed;
    latencies.push_back(done ? seconds(r.completion_ns - r.request.arrival_ns) : 0.0);
    // queue_times: vLLM's client_queue_time, the wait between a request's turn in the traffic
    // and its send, for a --max-concurrency slot. A closed loop is `--request-rate inf`: every
    // request is due at 0 and waits until a client (a slot) is free, i.e. until it is sent.
    // Open-loop traffic has no client-side cap here: sent when due.
    queue_times.push_back(workload.closed_loop ? seconds(r.request.arrival_ns) : 0.0);
    if (!detailed) continue;
    input_lens.push_back(r.request.prompt_tokens);
    output_lens.push_back(done ? r.generated_tokens : 0);
    ttfts.push_back(done ? seconds(r.first_token_ns - r.request.arrival_ns) : 0.0);
    itl_lists.push_back(done ? itls[static_cast<std::size_t>(r.request.id)] : std::vector<double>{});
    start_times.push_back(seconds(r.request.arrival_ns));
    texts.push_back("");
    errors.push_back(done ? std::string() : std::string("rejected: ") + to_string(r.reject_reason));
  }
  if (detailed) {
    j["input_lens"] = std::move(input_lens);
    j["output_lens"] = std::move(output_lens);
    j["ttfts"] = std::move(ttfts);
    j["itls"] = std::move(itl_lists);
  }
  j["latencies"] = std::move(latencies);
  if (detailed) j["start_times"] = std::move(start_times);
  j["queue_times"] = std::move(queue_times);
  if (detailed) {
    j["generated_texts"] = std::move(texts);
    j["errors"] = std::move(errors);
  }
}

// The keys after the lists: peaks, rtfx and the statistics of each metric.
void add_statistics(nlohmann::ordered_json& j, const PointPlan& point, const RunMetrics& m) {
  j["max_output_tokens_per_s"] = m.max_output_tokens_per_s;
  j["max_concurrent_requests"] = m.max_concurrent_requests;
  // Inverse real-time factor: seconds of input audio per second of benchmark, for speech
  // models; text prompts have no audio, and vLLM writes 0.0 for them.
  j["rtfx"] = 0.0;
  const std::vector<double>& percentiles = point.simulation.metrics.percentiles;
  for (const char* metric : kStatMetrics) {
    const Stat& s = stat_of(m, metric);
    j[fmt::format("mean_{}_ms", metric)] = s.mean;
    j[fmt::format("median_{}_ms", metric)] = s.median;
    j[fmt::format("std_{}_ms", metric)] = s.std;
    for (std::size_t i = 0; i < percentiles.size(); ++i)
      j[fmt::format("p{}_{}_ms", vllm_percentile_word(percentiles[i]), metric)] = s.percentiles.at(i);
  }
}

}  // namespace

nlohmann::ordered_json vllm_result_json(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                                        VllmLists lists, const std::string& date) {
  const RunSpec& run = *outcome.run;
  const RunMetrics& m = outcome.metrics;
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  const WorkloadSpec& spec = plan.workloads[static_cast<std::size_t>(run.workload_index)].spec;
  // vllm bench serve's --backend names (it has an "sglang" backend too).
  const std::string& type = framework_type_name(run.settings);
  const std::string backend = type == "VLLM" ? "vllm" : type == "SGLANG" ? "sglang" : "static";

  nlohmann::ordered_json j;
  j["date"] = date;
  j["endpoint_type"] = backend;
  j["backend"] = backend;
  j["label"] = vllm_label(plan, run);
  j["model_id"] = run.model.hf_id.empty() ? run.model.id : run.model.hf_id;
  j["tokenizer_id"] = j["model_id"];
  j["num_prompts"] = static_cast<int64_t>(workload.request_count());
  const VllmTraffic traffic = vllm_traffic(spec, workload);
  j["request_rate"] = traffic.request_rate;
  j["burstiness"] = traffic.burstiness;
  j["max_concurrency"] = traffic.max_concurrency;

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

  if (lists != VllmLists::none) add_request_lists(j, outcome, workload, lists == VllmLists::detailed);
  add_statistics(j, point, m);
  return j;
}

std::string vllm_result_name(const nlohmann::ordered_json& result) {
  const auto& rate = result.at("request_rate");
  const std::string rate_text = rate.is_string() ? rate.get<std::string>() : python_float_text(rate.get<double>());
  const auto& concurrency = result.at("max_concurrency");
  const std::string concurrency_text =
      concurrency.is_null() ? "" : fmt::format("-concurrency{}", concurrency.get<int64_t>());
  return fmt::format("vllm/{}-{}qps{}-{}-{}.json", file_name_part(result.at("label").get<std::string>()), rate_text,
                     concurrency_text, file_name_part(base_model_id(result.at("model_id").get<std::string>())),
                     result.at("date").get<std::string>());
}

std::string write_vllm_result(const std::string& out_dir, const nlohmann::ordered_json& result) {
  const std::string name = vllm_result_name(result);
  ensure_directory((std::filesystem::path(out_dir) / "vllm").string());
  write_file_atomically((std::filesystem::path(out_dir) / name).string(), result.dump() + "\n");
  return name;
}

namespace {

// The number of digits at the front of `text`, consumed.
std::size_t eat_digits(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
  text.remove_prefix(n);
  return n;
}

// What lies between a result file's label and its model: the rate as Python's str(float) prints
// it ("4.0", "0.25", "1e-05", "2.5e+20", "inf"), "qps", and "-concurrency<N>" when one was set.
bool is_rate_part(std::string_view text) {
  const std::string_view concurrency = "-concurrency";
  if (const auto at = text.rfind(concurrency); at != std::string_view::npos) {
    std::string_view count = text.substr(at + concurrency.size());
    if (eat_digits(count) == 0 || !count.empty()) return false;
    text = text.substr(0, at);
  }
  if (!text.ends_with("qps")) return false;
  std::string_view rate = text.substr(0, text.size() - 3);
  if (rate == "inf") return true;
  const std::size_t whole_digits = eat_digits(rate);
  std::size_t fraction_digits = 0;
  if (rate.starts_with('.')) {
    rate.remove_prefix(1);
    fraction_digits = eat_digits(rate);
    if (fraction_digits == 0) return false;
  }
  if (rate.empty()) return whole_digits > 0 && fraction_digits > 0;  // "4.0"; never a bare "4"
  // Scientific: one digit before the point, then e+NN / e-NN.
  if (whole_digits != 1 || rate.size() < 3 || rate[0] != 'e' || (rate[1] != '+' && rate[1] != '-')) return false;
  rate.remove_prefix(2);
  return eat_digits(rate) > 0 && rate.empty();
}

}  // namespace

std::string find_vllm_result(const std::string& out_dir, const std::string& label, const std::string& model_id,
                             const std::string& date) {
  const std::string prefix = file_name_part(label) + "-";
  const std::string suffix = "-" + file_name_part(base_model_id(model_id)) + "-" + date + ".json";
  std::error_code error;
  const std::filesystem::path dir = std::filesystem::path(out_dir) / "vllm";
  if (!std::filesystem::is_directory(dir, error)) return "";
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string file = entry.path().filename().string();
    if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    if (is_rate_part(std::string_view(file).substr(prefix.size(), file.size() - prefix.size() - suffix.size())))
      found.push_back("vllm/" + file);
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.front();
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
