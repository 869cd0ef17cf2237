#pragma once
// What the experiment file's `workload:` section says, parsed strictly. Generation
// (workload.hpp) turns a WorkloadSpec and a seed into requests.
//
// workload:
//   arrival: {process: poisson, rate_per_s: 5}    # or gamma/constant/steps/ramp/closed_loop
//   num_requests: 1000                            # or duration_s: 600
//   prompt_tokens: {distribution: fixed, value: 512}
//   output_tokens: {distribution: lognormal, mean: 256, stdev: 128, min: 1, max: 2048}
//   trace: {file: t.csv, format: azure, rate_scale: 1, start_s: 0, end_s: 3600}
//   classes: [{name: chat, weight: 3, prompt_tokens: ..., output_tokens: ..., slo: {ttft_ms: 500}}]
//   sessions: {turns: ..., think_time_s: 30, kind: chat}      # content_spec.hpp
//   shared_prefixes: {count: 16, tokens: ..., popularity: zipf}
//
// Rules (each violation is an InputError with file:line:col and key path):
// - A trace with arrivals (azure, generic) replaces `arrival`, `prompt_tokens`, `output_tokens`
//   and `duration_s`; `num_requests`, if given, takes the first N requests of the window.
// - A `lengths` trace replaces `prompt_tokens` and `output_tokens` only; `arrival` is required.
// - Without a trace, `arrival` and both length distributions (top level or in every class) are
//   required, and exactly one of `num_requests` / `duration_s`, except that steps and ramp may
//   give neither (generation then ends where the schedule ends) and closed_loop needs
//   `num_requests` (its send times depend on the simulation).
// - Documented defaults: think_time_s 0, rate_scale 1, start_s 0, end_s = end of the trace,
//   normal/lognormal min 1 and no max, column names per trace format, one class "default".
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrivals.hpp"
#include "content_spec.hpp"
#include "length_spec.hpp"
#include "trace_reader.hpp"

namespace llmpo {

// Service-level objectives of a client class, for goodput; an unset bound is not checked.
struct Slo {
  std::optional<double> ttft_ms;  // time to first token
  std::optional<double> tpot_ms;  // time per output token after the first
  std::optional<double> e2el_ms;  // end-to-end latency
};

struct TraceSpec {
  std::string file;                  // resolved path (relative to the experiment file's folder)
  TraceFormat format = TraceFormat::generic;
  double rate_scale = 1.0;           // azure, generic: arrival times are divided by this
  double start_s = 0.0;              // azure, generic: window start in the trace's own time
  std::optional<double> end_s;       // azure, generic: window end (exclusive); default: the end
  std::string column_prompt;         // default per format (ContextTokens, num_prefill_tokens, ...)
  std::string column_output;         // default per format (GeneratedTokens, num_decode_tokens, ...)
  // Read by the parser, in file order; shared between the sweep points that read the same file.
  std::shared_ptr<const std::vector<TraceRow>> rows;
  bool has_arrivals() const { return format != TraceFormat::lengths; }
};

struct ClassSpec {
  std::string name;                          // unique, not empty
  double weight = 1.0;                       // share of requests, relative to the other classes
  std::optional<LengthSpec> prompt_tokens;   // default: the top-level prompt_tokens
  std::optional<LengthSpec> output_tokens;   // default: the top-level output_tokens
  std::optional<SharedPrefixSpec> shared_prefixes;  // default: the top-level pool, if any
  Slo slo;
};

// What to do with requests whose prompt + output exceed a deployment's max_model_len. There is
// no default: the experiment says it, or such requests are an input error.
enum class OverMaxModelLen {
  unspecified,  // none may exceed: a request that does is reported before anything runs
  clip,         // shorten output first (down to 1 token), then prompt, to the smallest limit
  reject,       // send them unchanged; each engine refuses them, as vLLM's server does (HTTP 400)
};

struct WorkloadSpec {
  std::optional<ArrivalSpec> arrival;        // absent only with a trace that has arrivals
  std::optional<int64_t> num_requests;
  std::optional<double> duration_s;          // open loop: keep arrivals earlier than this
  std::optional<LengthSpec> prompt_tokens;
  std::optional<LengthSpec> output_tokens;
  std::optional<TraceSpec> trace;
  std::vector<ClassSpec> classes;            // empty: one class "default" with weight 1
  // Multi-turn sessions: the arrival process (and num_requests / duration_s) then counts
  // session starts; each session's later turns follow from the simulation (content_spec.hpp).
  std::optional<SessionSpec> sessions;
  std::optional<SharedPrefixSpec> shared_prefixes;  // each request / session start gets one
  OverMaxModelLen over_max_model_len = OverMaxModelLen::unspecified;
};

// Trace files already read, by (path, format, columns): a sweep parses the workload section
// once per point, but reads (and holds in memory) each trace once.
class TraceCache {
 public:
  std::shared_ptr<const std::vector<TraceRow>> read(const TraceSpec& trace);

 private:
  std::map<std::string, std::shared_ptr<const std::vector<TraceRow>>> rows_;
};

// Parses the `workload:` mapping (the caller opened it, e.g. experiment.get_map("workload")),
// reading trace and empirical files so that their errors surface here too. With a cache, a
// trace read before is not read again.
WorkloadSpec parse_workload(StrictMap& workload, TraceCache* cache = nullptr);

}  // namespace llmpo
