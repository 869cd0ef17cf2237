#include "workload_spec.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "simulator/core/request.hpp"

namespace llmpo {

namespace {

const std::vector<std::string> kFormats = {"azure", "lengths", "generic", "mooncake"};
const std::vector<std::string> kTraceKeys = {"file", "format", "rate_scale", "start_s",
                                             "end_s", "column_prompt", "column_output"};

TraceSpec parse_trace(StrictMap map, TraceCache* cache) {
  TraceSpec trace;
  const std::string format = map.get_choice("format", kFormats);
  trace.format = static_cast<TraceFormat>(std::find(kFormats.begin(), kFormats.end(), format) - kFormats.begin());
  // Mooncake rows are JSON objects with fixed keys: no columns to name.
  const std::vector<std::string> valid =
      trace.format == TraceFormat::mooncake
          ? std::vector<std::string>{"file", "format", "rate_scale", "start_s", "end_s"}
      : trace.has_arrivals() ? kTraceKeys
                             : std::vector<std::string>{"file", "format", "column_prompt", "column_output"};
  reject_keys_of_other_kinds(map, "format", format, valid, kTraceKeys);

  trace.file = resolve_input_path(map.get_string("file"), map.file());
  // The error_code overload: a name the OS rejects (too long) is "no such file", not an exception.
  std::error_code unreadable;
  if (!std::filesystem::is_regular_file(trace.file, unreadable))
    map.fail("file", fmt::format("no such file '{}' (a relative path is taken from the folder of {})", trace.file,
                                 map.file()));
  trace.column_prompt = map.opt_string("column_prompt").value_or(default_prompt_column(trace.format));
  trace.column_output = map.opt_string("column_output").value_or(default_output_column(trace.format));
  if (trace.has_arrivals()) {
    trace.rate_scale = map.opt_double("rate_scale", {1e-9, 1e9, false}).value_or(1.0);
    trace.start_s = map.opt_double("start_s", seconds()).value_or(0.0);
    trace.end_s = map.opt_double("end_s", positive_seconds());
    if (trace.end_s && *trace.end_s <= trace.start_s)
      map.fail("end_s", fmt::format("end_s {} must be later than start_s {}", *trace.end_s, trace.start_s));
  }
  if (cache != nullptr) {
    trace.rows = cache->read(trace);
  } else {
    trace.rows = std::make_shared<const std::vector<TraceRow>>(
        read_trace(trace.file, trace.format, trace.column_prompt, trace.column_output));
  }
  const std::vector<TraceRow>& rows = *trace.rows;
  if (trace.has_arrivals()) {
    const auto in_window = std::count_if(rows.begin(), rows.end(), [&](const TraceRow& row) {
      return row.time_s >= trace.start_s && (!trace.end_s || row.time_s < *trace.end_s);
    });
    if (in_window == 0)
      map.fail(map.has("end_s") ? "end_s" : "start_s",
               fmt::format("no request of the trace falls in the window [{}, {}) s (the trace spans 0 to {} s)",
                           trace.start_s, trace.end_s ? fmt::format("{}", *trace.end_s) : "end",
                           rows.back().time_s));
  }
  return trace;
}

Slo parse_slo(StrictMap map) {
  map.reject_unknown_keys({"ttft_ms", "tpot_ms", "e2el_ms"});
  Slo slo{map.opt_double("ttft_ms", positive_milliseconds()), map.opt_double("tpot_ms", positive_milliseconds()),
          map.opt_double("e2el_ms", positive_milliseconds())};
  if (!slo.ttft_ms && !slo.tpot_ms && !slo.e2el_ms)
    throw InputError(map.pos(), map.key_path(), "give at least one of ttft_ms, tpot_ms, e2el_ms");
  return slo;
}

std::vector<ClassSpec> parse_classes(StrictMap& workload, std::vector<StrictMap>& class_maps) {
  const YAML::Node list = workload.get_node("classes");
  if (!list.IsSequence() || list.size() == 0)
    workload.fail("classes", "expected a non-empty list of {name, weight, ...}");
  if (static_cast<int64_t>(list.size()) > kMaxClientClasses)
    workload.fail("classes", fmt::format("{} classes; at most {} are supported", list.size(), kMaxClientClasses));
  std::vector<ClassSpec> classes;
  for (std::size_t i = 0; i < list.size(); ++i) {
    StrictMap map(list[i], workload.file(), fmt::format("{}[{}]", workload.path_of("classes"), i));
    map.reject_unknown_keys({"name", "weight", "prompt_tokens", "output_tokens", "shared_prefixes", "slo"});
    ClassSpec spec;
    spec.name = map.get_string("name");
    if (spec.name.empty()) map.fail("name", "a class name must not be empty");
    for (std::size_t j = 0; j < classes.size(); ++j)
      if (classes[j].name == spec.name)
        map.fail("name", fmt::format("duplicate class name '{}' (also classes[{}])", spec.name, j));
    spec.weight = map.get_double("weight", {0.0, 1e9, true});
    if (auto prompt = map.opt_map("prompt_tokens")) spec.prompt_tokens = parse_length_spec(*prompt);
    if (auto output = map.opt_map("output_tokens")) spec.output_tokens = parse_length_spec(*output);
    if (auto slo = map.opt_map("slo")) spec.slo = parse_slo(*slo);
    if (auto prefixes = map.opt_map("shared_prefixes")) spec.shared_prefixes = parse_shared_prefix_spec(*prefixes);
    classes.push_back(std::move(spec));
    class_maps.push_back(map);
  }
  return classes;
}

[[noreturn]] void missing(const StrictMap& map, const std::string& key, const std::string& why) {
  throw InputError(map.pos(), map.path_of(key), fmt::format("missing required key '{}' ({})", key, why));
}

// Every class needs a prompt and an output distribution, its own or the top-level one; a
// top-level one that every class overrides would be silently unused, so it is an error.
void check_class_lengths(StrictMap& workload, const WorkloadSpec& spec, const std::vector<StrictMap>& class_maps,
                         const std::string& key, const std::optional<LengthSpec> WorkloadSpec::*top,
                         const std::optional<LengthSpec> ClassSpec::*own) {
  if (spec.classes.empty()) {
    if (!(spec.*top)) missing(workload, key, "a token-length distribution, or a trace");
    return;
  }
  bool all_own = true;
  for (std::size_t i = 0; i < spec.classes.size(); ++i) {
    const bool has_own = (spec.classes[i].*own).has_value();
    all_own = all_own && has_own;
    if (!has_own && !(spec.*top))
      missing(class_maps[i], key, "this class has none and there is no top-level " + key);
  }
  if (all_own && (spec.*top))
    workload.fail(key, fmt::format("every class sets its own {}, so this one would never be used", key));
}

}  // namespace

std::shared_ptr<const std::vector<TraceRow>> TraceCache::read(const TraceSpec& trace) {
  const std::string key = trace.file + "|" + to_string(trace.format) + "|" + trace.column_prompt + "|" + trace.column_output;
  auto& slot = rows_[key];
  if (!slot)
    slot = std::make_shared<const std::vector<TraceRow>>(
        read_trace(trace.file, trace.format, trace.column_prompt, trace.column_output));
  return slot;
}

namespace {

// Each time and rate is bounded on its own (input_limits.hpp); this bounds what they make
// together: the time the requests take to arrive must fit kMaxInputSeconds, or the simulated
// clock would overflow (200 requests at 1e-300/s).
void check_span(StrictMap& workload, const WorkloadSpec& spec) {
  if (!spec.arrival || !spec.num_requests) return;
  const auto requests = static_cast<double>(*spec.num_requests);
  const ArrivalSpec& arrival = *spec.arrival;
  double span_s = 0;
  std::string what;
  switch (arrival.process) {
    case ArrivalProcess::poisson:
    case ArrivalProcess::gamma:
    case ArrivalProcess::constant:
      span_s = requests / arrival.rate_per_s;
      what = fmt::format("{} requests at rate_per_s {}", requests, arrival.rate_per_s);
      break;
    case ArrivalProcess::closed_loop:
      span_s = requests / static_cast<double>(arrival.clients) * arrival.think_time_s;
      what = fmt::format("{} requests from {} clients thinking {} s each", requests, arrival.clients,
                         arrival.think_time_s);
      break;
    default: return;  // steps and ramps end at their last until_s / over_s, already bounded
  }
  if (span_s > kMaxInputSeconds)
    workload.fail("arrival", fmt::format("{} take about {:.3g} s to arrive, more than the {:g} s a run may "
                                         "simulate; raise the rate or lower the number of requests",
                                         what, span_s, kMaxInputSeconds));
}

// Sessions and shared prefixes are generated; a trace with arrivals carries its own identity
// (session_id, prefix_id columns), and a closed loop has no session starts to give.
void check_content(StrictMap& workload, const WorkloadSpec& spec, std::vector<StrictMap>& class_maps) {
  const bool trace_times = spec.trace && spec.trace->has_arrivals();
  if (trace_times) {
    const std::string why = "a trace with arrivals names its own sessions and prefixes (generic format: session_id, "
                            "prefix_id and prefix_tokens columns; mooncake: hash_ids)";
    for (const std::string key : {"sessions", "shared_prefixes"})
      if (workload.has(key)) workload.fail(key, why);
    for (StrictMap& map : class_maps)
      if (map.has("shared_prefixes")) map.fail("shared_prefixes", why);
  }
  if (spec.sessions && spec.trace && !trace_times)
    workload.fail("sessions", "sessions draw each turn's new message and reply from prompt_tokens and output_tokens; "
                              "a lengths trace cannot be combined with them");
  if (spec.sessions && spec.arrival && spec.arrival->process == ArrivalProcess::closed_loop)
    workload.fail("sessions", "sessions need an open-loop arrival process (it gives the sessions' first turns; "
                              "each later turn is sent think_time_s after the previous reply)");
  if (spec.shared_prefixes && !spec.classes.empty() &&
      std::all_of(spec.classes.begin(), spec.classes.end(), [](const ClassSpec& c) { return c.shared_prefixes; }))
    workload.fail("shared_prefixes", "every class sets its own shared_prefixes, so this one would never be used");
}

}  // namespace

WorkloadSpec parse_workload(StrictMap& workload, TraceCache* cache) {
  workload.reject_unknown_keys(
      {"arrival", "num_requests", "duration_s", "prompt_tokens", "output_tokens", "trace", "classes",
       "over_max_model_len", "sessions", "shared_prefixes"});
  WorkloadSpec spec;
  if (const auto policy = workload.opt_choice("over_max_model_len", {"clip", "reject"}))
    spec.over_max_model_len = *policy == "clip" ? OverMaxModelLen::clip : OverMaxModelLen::reject;
  if (auto trace = workload.opt_map("trace")) spec.trace = parse_trace(*trace, cache);
  if (auto arrival = workload.opt_map("arrival")) spec.arrival = parse_arrival_spec(*arrival);
  spec.num_requests = workload.opt_int("num_requests", {1, static_cast<double>(kMaxWorkloadRequests), false});
  spec.duration_s = workload.opt_double("duration_s", positive_seconds());
  if (auto prompt = workload.opt_map("prompt_tokens")) spec.prompt_tokens = parse_length_spec(*prompt);
  if (auto output = workload.opt_map("output_tokens")) spec.output_tokens = parse_length_spec(*output);
  std::vector<StrictMap> class_maps;
  if (workload.has("classes")) spec.classes = parse_classes(workload, class_maps);
  if (auto sessions = workload.opt_map("sessions")) spec.sessions = parse_session_spec(*sessions);
  if (auto prefixes = workload.opt_map("shared_prefixes")) spec.shared_prefixes = parse_shared_prefix_spec(*prefixes);
  check_content(workload, spec, class_maps);

  if (spec.trace) {
    const std::string what = fmt::format("the trace (format {}) supplies", to_string(spec.trace->format));
    for (const std::string key : {"prompt_tokens", "output_tokens"}) {
      if (workload.has(key)) workload.fail(key, fmt::format("{} token lengths; remove {}", what, key));
      for (StrictMap& map : class_maps)
        if (map.has(key)) map.fail(key, fmt::format("{} token lengths; remove {}", what, key));
    }
    if (spec.trace->has_arrivals()) {
      if (spec.arrival)
        workload.fail("arrival", fmt::format("{} arrival times; remove arrival, or use format: lengths to take only "
                                             "lengths from the trace", what));
      if (spec.duration_s)
        workload.fail("duration_s", "a trace's window is set with trace.start_s and trace.end_s");
      return spec;
    }
  } else {
    check_class_lengths(workload, spec, class_maps, "prompt_tokens", &WorkloadSpec::prompt_tokens,
                        &ClassSpec::prompt_tokens);
    check_class_lengths(workload, spec, class_maps, "output_tokens", &WorkloadSpec::output_tokens,
                        &ClassSpec::output_tokens);
  }

  if (!spec.arrival) missing(workload, "arrival", "an arrival process, or a trace with arrival times");
  if (spec.arrival->process == ArrivalProcess::closed_loop) {
    if (spec.duration_s)
      workload.fail("duration_s", "a closed loop's send times depend on the simulation; give num_requests instead");
    if (!spec.num_requests) missing(workload, "num_requests", "a closed loop sends this many requests in all");
  } else {
    if (spec.num_requests && spec.duration_s)
      workload.fail("duration_s", "give num_requests or duration_s, not both");
    if (!spec.num_requests && !spec.duration_s && !schedule_end_s(*spec.arrival))
      missing(workload, "num_requests", "or duration_s: when to stop generating arrivals");
  }
  check_span(workload, spec);
  return spec;
}

}  // namespace llmpo
