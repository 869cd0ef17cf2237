#pragma once
// What the experiment file says about shared content: multi-turn sessions (chat, agent loops)
// and shared prompt prefixes (system prompts, RAG templates), parsed strictly. Generation
// (content_builder.hpp) turns them into requests whose tokens are paths in a PromptTree.
//
// workload:
//   sessions:
//     kind: chat                      # chat (default) | agent
//     turns: {distribution: uniform, min: 2, max: 8}   # turns per session (integers, <= 10000)
//     think_time_s: {distribution: exponential, mean: 30}  # or a number; pause before each follow-up
//     tool_result_tokens: {...}       # agent only (required): the new message of turns 2..
//     tool_call_tokens: {...}         # agent only (required): the output of turns 2..
//   shared_prefixes:
//     count: 16                       # K prefixes
//     tokens: {distribution: fixed, value: 1024}      # each prefix's length, drawn once per prefix
//     popularity: zipf                # zipf | uniform
//     exponent: 1                     # zipf only, default 1: P(k) = k^-s / H(K, s)
#include <cstdint>
#include <optional>
#include <string>

#include "length_spec.hpp"

namespace llmpo {

// The largest number of turns a session may have: sessions resend their history, so each turn
// costs the whole conversation again; 10000 covers the longest agent runs with room to spare
// and keeps every bound on a session's tokens finite.
inline constexpr int64_t kMaxSessionTurns = 10'000;
// The most shared prefixes one pool may hold (each is one PromptTree node and one table entry).
inline constexpr int64_t kMaxSharedPrefixes = 1'000'000;

// A duration in seconds: a fixed number, or a distribution.
enum class DurationKind { fixed, uniform, exponential, lognormal };
const char* to_string(DurationKind kind);

struct DurationSpec {
  DurationKind kind = DurationKind::fixed;
  double value_s = 0.0;  // fixed
  double min_s = 0.0;    // uniform
  double max_s = 0.0;    // uniform
  double mean_s = 0.0;   // exponential, lognormal
  double stdev_s = 0.0;  // lognormal
};

// Parses `key` of `map`: a number (fixed seconds) or {distribution: fixed|uniform|exponential|
// lognormal, ...} in seconds; every value within [0, kMaxInputSeconds].
DurationSpec parse_duration_spec(StrictMap& map, const std::string& key);
// "exponential(mean=30 s)", for summaries and CSV columns.
std::string describe(const DurationSpec& spec);
// One draw in seconds (fixed: no draw; uniform and exponential: one; lognormal: two).
double sample_seconds(const DurationSpec& spec, Rng& rng);
double mean_seconds(const DurationSpec& spec);

enum class SessionKind { chat, agent };

struct SessionSpec {
  SessionKind kind = SessionKind::chat;
  LengthSpec turns;                         // integers in [1, kMaxSessionTurns]
  DurationSpec think_time;                  // before each follow-up, from the previous turn's last token
  std::optional<LengthSpec> tool_result_tokens;  // agent: new message of turns 2..
  std::optional<LengthSpec> tool_call_tokens;    // agent: output of turns 2..
};

enum class PrefixPopularity { zipf, uniform };

struct SharedPrefixSpec {
  int64_t count = 1;        // K
  LengthSpec tokens;        // each prefix's length
  PrefixPopularity popularity = PrefixPopularity::zipf;
  double exponent = 1.0;    // zipf: s in P(k) = k^-s / H(K, s); k = 1 is the most popular
};

SessionSpec parse_session_spec(StrictMap map);
SharedPrefixSpec parse_shared_prefix_spec(StrictMap map);
std::string describe(const SessionSpec& spec);
std::string describe(const SharedPrefixSpec& spec);

// The largest value a length distribution can produce, and its mean (clamping into [min, max]
// ignored for normal and lognormal: an estimate there), both used before generation.
int64_t max_length_tokens(const LengthSpec& spec);
double mean_length_tokens(const LengthSpec& spec);

}  // namespace llmpo
