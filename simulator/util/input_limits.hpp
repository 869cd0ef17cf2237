#pragma once
// Limits checked on raw input text before a parser builds a tree from it, for inputs whose
// shape alone could crash the program rather than merely be wrong.
#include <cstdint>
#include <string>

namespace llmpo {

// JSON nested deeper than this many arrays/objects is rejected. Published config.json files
// nest three or four levels (text_config.rope_scaling); found by fuzzing, a file nested 100,000
// deep overflowed the stack, because nlohmann::json parses iteratively but copies and prints
// values recursively.
inline constexpr int kMaxJsonNesting = 64;

// Throws InputError at the bracket that opens level max_depth + 1. Brackets inside strings do
// not count; the text need not be valid JSON (the parser reports that afterwards).
void check_json_nesting(const std::string& text, const std::string& file,
                        int max_depth = kMaxJsonNesting);

// Text must be UTF-8 without NUL bytes: names and strings go into JSON and CSV files, and the
// JSON writer throws on a byte sequence that is not UTF-8 (a Latin-1 name crashed `run` after
// `validate` had passed it); YAML itself forbids NUL, which yaml-cpp silently dropped. Throws
// InputError at the line and column of the first bad byte.
void check_text_encoding(const std::string& text, const std::string& file);

// YAML documents: lists and mappings nested deeper than this are rejected ("nested too deep");
// experiment and data files nest five or six levels. yaml-cpp parses and copies recursively, so
// the bound keeps the stack safe.
inline constexpr int kMaxYamlNesting = 64;
// A YAML document may stand for at most this many nodes once every alias (*a) is counted as the
// nodes of its anchor (&a). A few hundred bytes of nested aliases stand for 10^9 nodes (the
// "billion laughs"), which any code that copies or prints the tree expands: 3 GB, then bad_alloc.
inline constexpr int64_t kMaxYamlExpandedNodes = 1'000'000;

// Simulated time is int64 nanoseconds: 9.22e18 ns, about 292 years. Every input that becomes a
// time (durations, think times, warm-up, step-cost terms, trace and replay start times) is held
// to kMaxInputSeconds so that the simulated clock, which adds many of them up, stays far inside
// that range; rates are held to at least one arrival per kMaxInputSeconds.
inline constexpr double kMaxInputSeconds = 1e9;  // about 31.7 years
inline constexpr double kMinRatePerSecond = 1.0 / kMaxInputSeconds;
// Where the clock stops: a time that would pass this is reported as an input error (the inputs
// together make a run longer than the clock holds) instead of wrapping around. 2^62 ns (146
// years) so that adding two clamped times never overflows int64.
inline constexpr int64_t kMaxSimTimeNs = int64_t{1} << 62;
// The largest token count of one request a file may give (traces, `replay` results): token
// counts are int32 in the simulator, and this leaves room to add a prompt and an output.
inline constexpr int32_t kMaxTokenCount = 1'000'000'000;

}  // namespace llmpo
