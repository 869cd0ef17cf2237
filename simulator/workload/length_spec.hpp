#pragma once
// Token-length distributions for prompts and outputs: what the experiment file says
// (LengthSpec, parsed strictly) and a sampler that turns it into token counts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/core/distributions.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

// The largest token count a distribution may produce, so that prompt + output always fits the
// int32 fields of Request even before clipping to max_model_len.
inline constexpr int64_t kMaxLengthTokens = 1'000'000'000;

enum class LengthKind { fixed, uniform, normal, lognormal, zipf, empirical };
const char* to_string(LengthKind kind);

struct LengthSpec {
  LengthKind kind = LengthKind::fixed;
  int64_t value = 1;           // fixed: the token count
  int64_t min = 1;             // uniform, zipf: lower bound (required); normal, lognormal: clamp
                               // floor, default 1
  std::optional<int64_t> max;  // uniform, zipf: upper bound (required); normal, lognormal: clamp
                               // ceiling, default none (kMaxLengthTokens)
  double mean = 0.0;           // normal, lognormal: mean of the token counts (token space)
  double stdev = 0.0;          // normal, lognormal: standard deviation in token space
  double exponent = 1.0;       // zipf: P(v) proportional to v^-exponent
  std::string file;            // empirical: CSV file, resolved against the experiment file
  std::string column;          // empirical: the column holding token counts
  std::vector<int32_t> values; // empirical: the column's values, read by parse_length_spec
};

// Parses {distribution: ..., ...}. Keys that belong to another distribution are rejected with
// "'stdev' does not apply to distribution 'fixed' (fixed takes: value)"; other unknown keys with a
// did-you-mean. A relative `file:` is taken from the folder of map.file().
LengthSpec parse_length_spec(StrictMap map);

// "lognormal(mean=256, stdev=128, min=1, max=2048)", for summaries and CSV columns.
std::string describe(const LengthSpec& spec);

// Draws token counts from a LengthSpec. Continuous draws are rounded to the nearest integer and
// clamped into [min, max] (clamped, not redrawn: the stream's draw count stays fixed); every
// result is at least 1. Draws per sample: fixed 0, uniform 1 (rarely more), normal and
// lognormal 2, zipf 1, empirical 1 (rarely more).
class LengthSampler {
 public:
  explicit LengthSampler(const LengthSpec& spec);
  int32_t sample(Rng& rng) const;

 private:
  LengthSpec spec_;
  int64_t max_ = kMaxLengthTokens;
  LognormalParams lognormal_;
  std::optional<ZipfTable> zipf_;
};

// `path` as written in the experiment file, resolved against the folder of `yaml_file`
// unless absolute.
std::string resolve_input_path(const std::string& path, const std::string& yaml_file);

// Rejects keys of `map` outside `valid`: one that some other `kind_key` value accepts gets
// "'k' does not apply to <kind_key> '<kind>' (<kind> takes: ...)", any other one the usual
// unknown-key error with a did-you-mean.
void reject_keys_of_other_kinds(const StrictMap& map, const std::string& kind_key, const std::string& kind,
                                const std::vector<std::string>& valid,
                                const std::vector<std::string>& all_kinds_keys);

}  // namespace llmpo
