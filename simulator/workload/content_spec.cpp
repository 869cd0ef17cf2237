#include "content_spec.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace llmpo {

const char* to_string(DurationKind kind) {
  switch (kind) {
    case DurationKind::fixed: return "fixed";
    case DurationKind::uniform: return "uniform";
    case DurationKind::exponential: return "exponential";
    case DurationKind::lognormal: return "lognormal";
  }
  return "?";
}

namespace {

const std::vector<std::string> kDurationKinds = {"fixed", "uniform", "exponential", "lognormal"};
const std::vector<std::string> kDurationKeys = {"distribution", "value", "min", "max", "mean", "stdev"};

std::vector<std::string> duration_keys_of(DurationKind kind) {
  switch (kind) {
    case DurationKind::fixed: return {"distribution", "value"};
    case DurationKind::uniform: return {"distribution", "min", "max"};
    case DurationKind::exponential: return {"distribution", "mean"};
    case DurationKind::lognormal: return {"distribution", "mean", "stdev"};
  }
  return {};
}

}  // namespace

DurationSpec parse_duration_spec(StrictMap& parent, const std::string& key) {
  DurationSpec spec;
  const YAML::Node node = parent.get_node(key);
  if (node.IsScalar()) {
    spec.value_s = parent.get_double(key, seconds());
    return spec;
  }
  if (!node.IsMap())
    parent.fail(key, "expected a number of seconds or {distribution: fixed|uniform|exponential|lognormal, ...}");
  StrictMap map = parent.get_map(key);
  const std::string kind = map.get_choice("distribution", kDurationKinds);
  spec.kind = static_cast<DurationKind>(std::find(kDurationKinds.begin(), kDurationKinds.end(), kind) -
                                        kDurationKinds.begin());
  reject_keys_of_other_kinds(map, "distribution", kind, duration_keys_of(spec.kind), kDurationKeys);
  switch (spec.kind) {
    case DurationKind::fixed: spec.value_s = map.get_double("value", seconds()); break;
    case DurationKind::uniform:
      spec.min_s = map.get_double("min", seconds());
      spec.max_s = map.get_double("max", seconds());
      if (spec.max_s < spec.min_s) map.fail("max", fmt::format("max {} is below min {}", spec.max_s, spec.min_s));
      break;
    case DurationKind::exponential: spec.mean_s = map.get_double("mean", positive_seconds()); break;
    case DurationKind::lognormal:
      spec.mean_s = map.get_double("mean", positive_seconds());
      spec.stdev_s = map.get_double("stdev", seconds());
      break;
  }
  return spec;
}

std::string describe(const DurationSpec& spec) {
  switch (spec.kind) {
    case DurationKind::fixed: return fmt::format("{} s", spec.value_s);
    case DurationKind::uniform: return fmt::format("uniform(min={} s, max={} s)", spec.min_s, spec.max_s);
    case DurationKind::exponential: return fmt::format("exponential(mean={} s)", spec.mean_s);
    case DurationKind::lognormal: return fmt::format("lognormal(mean={} s, stdev={} s)", spec.mean_s, spec.stdev_s);
  }
  return "?";
}

double sample_seconds(const DurationSpec& spec, Rng& rng) {
  // Every draw is clamped to the longest input duration so that a lognormal's far tail cannot
  // overflow the simulated clock; the clamp is far beyond any realistic think time.
  const auto bounded = [](double s) { return std::clamp(s, 0.0, kMaxInputSeconds); };
  switch (spec.kind) {
    case DurationKind::fixed: return spec.value_s;
    case DurationKind::uniform: return spec.min_s + (spec.max_s - spec.min_s) * rng.uniform01();
    case DurationKind::exponential: return bounded(sample_exponential(rng, 1.0 / spec.mean_s));
    case DurationKind::lognormal:
      return spec.stdev_s == 0.0 ? spec.mean_s
                                 : bounded(sample_lognormal(rng, LognormalParams::from_mean_stdev(spec.mean_s, spec.stdev_s)));
  }
  return 0.0;
}

double mean_seconds(const DurationSpec& spec) {
  switch (spec.kind) {
    case DurationKind::fixed: return spec.value_s;
    case DurationKind::uniform: return 0.5 * (spec.min_s + spec.max_s);
    case DurationKind::exponential:
    case DurationKind::lognormal: return spec.mean_s;
  }
  return 0.0;
}

int64_t max_length_tokens(const LengthSpec& spec) {
  switch (spec.kind) {
    case LengthKind::fixed: return spec.value;
    case LengthKind::empirical:
      return spec.values.empty() ? 0 : *std::max_element(spec.values.begin(), spec.values.end());
    default: return spec.max.value_or(kMaxLengthTokens);
  }
}

double mean_length_tokens(const LengthSpec& spec) {
  switch (spec.kind) {
    case LengthKind::fixed: return static_cast<double>(spec.value);
    case LengthKind::uniform: return 0.5 * static_cast<double>(spec.min + spec.max.value_or(spec.min));
    case LengthKind::normal:
    case LengthKind::lognormal:
      return std::clamp(spec.mean, static_cast<double>(spec.min),
                        static_cast<double>(spec.max.value_or(kMaxLengthTokens)));
    case LengthKind::zipf: return ZipfTable(spec.min, spec.max.value_or(spec.min), spec.exponent).mean();
    case LengthKind::empirical:
      return spec.values.empty() ? 0.0
                                 : std::accumulate(spec.values.begin(), spec.values.end(), 0.0) /
                                       static_cast<double>(spec.values.size());
  }
  return 0.0;
}

SessionSpec parse_session_spec(StrictMap map) {
  map.reject_unknown_keys({"kind", "turns", "think_time_s", "tool_result_tokens", "tool_call_tokens"});
  SessionSpec spec;
  spec.kind = map.opt_choice("kind", {"chat", "agent"}).value_or("chat") == "agent" ? SessionKind::agent
                                                                                  : SessionKind::chat;
  spec.turns = parse_length_spec(map.get_map("turns"));
  // Every bound on a session's tokens (max_total_tokens_bound) needs a finite number of turns.
  if (spec.turns.kind != LengthKind::fixed && spec.turns.kind != LengthKind::empirical && !spec.turns.max)
    map.fail("turns", fmt::format("a {} number of turns needs max (at most {})", to_string(spec.turns.kind),
                                  kMaxSessionTurns));
  if (max_length_tokens(spec.turns) > kMaxSessionTurns)
    map.fail("turns", fmt::format("sessions of up to {} turns; at most {} are supported", max_length_tokens(spec.turns),
                                  kMaxSessionTurns));
  spec.think_time = parse_duration_spec(map, "think_time_s");
  for (const char* key : {"tool_result_tokens", "tool_call_tokens"}) {
    if (spec.kind == SessionKind::chat && map.has(key))
      map.fail(key, fmt::format("{} applies to kind: agent only (a chat's turns draw from prompt_tokens and "
                                "output_tokens)", key));
    if (spec.kind == SessionKind::agent && !map.has(key))
      throw InputError(map.pos(), map.path_of(key),
                       fmt::format("missing required key '{}' (an agent's turns after the first append a tool "
                                   "result and produce a tool call; give both lengths)", key));
  }
  if (spec.kind == SessionKind::agent) {
    spec.tool_result_tokens = parse_length_spec(map.get_map("tool_result_tokens"));
    spec.tool_call_tokens = parse_length_spec(map.get_map("tool_call_tokens"));
  }
  return spec;
}

SharedPrefixSpec parse_shared_prefix_spec(StrictMap map) {
  SharedPrefixSpec spec;
  const std::string popularity = map.get_choice("popularity", {"zipf", "uniform"});
  spec.popularity = popularity == "zipf" ? PrefixPopularity::zipf : PrefixPopularity::uniform;
  reject_keys_of_other_kinds(map, "popularity", popularity,
                             spec.popularity == PrefixPopularity::zipf
                                 ? std::vector<std::string>{"count", "tokens", "popularity", "exponent"}
                                 : std::vector<std::string>{"count", "tokens", "popularity"},
                             {"count", "tokens", "popularity", "exponent"});
  spec.count = map.get_int("count", {1, static_cast<double>(kMaxSharedPrefixes), false});
  spec.tokens = parse_length_spec(map.get_map("tokens"));
  if (spec.popularity == PrefixPopularity::zipf) spec.exponent = map.opt_double("exponent", positive()).value_or(1.0);
  return spec;
}

std::string describe(const SessionSpec& spec) {
  std::string text = fmt::format("{} sessions, turns {}, think {}", spec.kind == SessionKind::agent ? "agent" : "chat",
                                 describe(spec.turns), describe(spec.think_time));
  if (spec.kind == SessionKind::agent)
    text += fmt::format(", tool results {}, tool calls {}", describe(*spec.tool_result_tokens),
                        describe(*spec.tool_call_tokens));
  return text;
}

std::string describe(const SharedPrefixSpec& spec) {
  return fmt::format("{} prefixes of {}, {}", spec.count, describe(spec.tokens),
                     spec.popularity == PrefixPopularity::zipf ? fmt::format("zipf(s={})", spec.exponent)
                                                               : std::string("uniform"));
}

}  // namespace llmpo
