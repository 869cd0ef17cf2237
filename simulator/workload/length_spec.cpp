#include "length_spec.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "simulator/util/text.hpp"
#include "trace_reader.hpp"

namespace llmpo {

const char* to_string(LengthKind kind) {
  switch (kind) {
    case LengthKind::fixed: return "fixed";
    case LengthKind::uniform: return "uniform";
    case LengthKind::normal: return "normal";
    case LengthKind::lognormal: return "lognormal";
    case LengthKind::zipf: return "zipf";
    case LengthKind::empirical: return "empirical";
  }
  return "?";
}

std::string resolve_input_path(const std::string& path, const std::string& yaml_file) {
  const std::filesystem::path given(path);
  if (given.is_absolute()) return given.lexically_normal().string();
  const std::filesystem::path folder = std::filesystem::path(yaml_file).parent_path();
  return (folder / given).lexically_normal().string();
}

void reject_keys_of_other_kinds(const StrictMap& map, const std::string& kind_key, const std::string& kind,
                                const std::vector<std::string>& valid,
                                const std::vector<std::string>& all_kinds_keys) {
  for (const std::string& key : map.keys()) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    if (std::find(all_kinds_keys.begin(), all_kinds_keys.end(), key) != all_kinds_keys.end()) {
      std::vector<std::string> takes;
      for (const auto& v : valid)
        if (v != kind_key) takes.push_back(v);
      map.fail(key, fmt::format("'{}' does not apply to {} '{}' ({} takes: {})", key, kind_key, kind, kind,
                                takes.empty() ? std::string("nothing else") : join(takes)));
    }
    map.reject_unknown_keys(valid);  // throws for this key, with a did-you-mean
  }
}

namespace {

const std::vector<std::string> kKinds = {"fixed", "uniform", "normal", "lognormal", "zipf", "empirical"};
const std::vector<std::string> kAllKeys = {"distribution", "value", "min", "max", "mean",
                                           "stdev", "exponent", "file", "column"};

std::vector<std::string> keys_of(LengthKind kind) {
  switch (kind) {
    case LengthKind::fixed: return {"distribution", "value"};
    case LengthKind::uniform: return {"distribution", "min", "max"};
    case LengthKind::normal:
    case LengthKind::lognormal: return {"distribution", "mean", "stdev", "min", "max"};
    case LengthKind::zipf: return {"distribution", "min", "max", "exponent"};
    case LengthKind::empirical: return {"distribution", "file", "column"};
  }
  return {};
}

constexpr NumberRange kTokenRange{1.0, static_cast<double>(kMaxLengthTokens), false};

}  // namespace

LengthSpec parse_length_spec(StrictMap map) {
  LengthSpec spec;
  const std::string kind = map.get_choice("distribution", kKinds);
  spec.kind = static_cast<LengthKind>(std::find(kKinds.begin(), kKinds.end(), kind) - kKinds.begin());
  reject_keys_of_other_kinds(map, "distribution", kind, keys_of(spec.kind), kAllKeys);

  switch (spec.kind) {
    case LengthKind::fixed:
      spec.value = map.get_int("value", kTokenRange);
      break;
    case LengthKind::uniform:
    case LengthKind::zipf:
      spec.min = map.get_int("min", kTokenRange);
      spec.max = map.get_int("max", kTokenRange);
      if (*spec.max < spec.min) map.fail("max", fmt::format("max {} is below min {}", *spec.max, spec.min));
      if (spec.kind == LengthKind::zipf) {
        spec.exponent = map.get_double("exponent", positive());
        if (*spec.max - spec.min + 1 > ZipfTable::kMaxValues)
          map.fail("max", fmt::format("zipf spans {} values; at most {} are supported",
                                      *spec.max - spec.min + 1, ZipfTable::kMaxValues));
      }
      break;
    case LengthKind::normal:
    case LengthKind::lognormal:
      spec.mean = map.get_double("mean", positive());
      spec.stdev = map.get_double("stdev", non_negative());
      spec.min = map.opt_int("min", kTokenRange).value_or(1);
      spec.max = map.opt_int("max", kTokenRange);
      if (spec.max && *spec.max < spec.min)
        map.fail("max", fmt::format("max {} is below min {}", *spec.max, spec.min));
      break;
    case LengthKind::empirical: {
      spec.file = resolve_input_path(map.get_string("file"), map.file());
      spec.column = map.get_string("column");
      std::error_code unreadable;  // a name the OS rejects (too long) is "no such file" too
      if (!std::filesystem::is_regular_file(spec.file, unreadable))
        map.fail("file", fmt::format("no such file '{}' (a relative path is taken from the folder of {})",
                                     spec.file, map.file()));
      spec.values = read_token_column(spec.file, spec.column);
      break;
    }
  }
  return spec;
}

std::string describe(const LengthSpec& spec) {
  const std::string bounds = fmt::format("min={}{}", spec.min, spec.max ? fmt::format(", max={}", *spec.max) : "");
  switch (spec.kind) {
    case LengthKind::fixed: return fmt::format("fixed({})", spec.value);
    case LengthKind::uniform: return fmt::format("uniform(min={}, max={})", spec.min, spec.max.value_or(0));
    case LengthKind::normal: return fmt::format("normal(mean={}, stdev={}, {})", spec.mean, spec.stdev, bounds);
    case LengthKind::lognormal: return fmt::format("lognormal(mean={}, stdev={}, {})", spec.mean, spec.stdev, bounds);
    case LengthKind::zipf:
      return fmt::format("zipf(min={}, max={}, exponent={})", spec.min, spec.max.value_or(0), spec.exponent);
    case LengthKind::empirical:
      return fmt::format("empirical({}:{})", std::filesystem::path(spec.file).filename().string(), spec.column);
  }
  return "?";
}

LengthSampler::LengthSampler(const LengthSpec& spec) : spec_(spec), max_(spec.max.value_or(kMaxLengthTokens)) {
  if (spec_.kind == LengthKind::lognormal) lognormal_ = LognormalParams::from_mean_stdev(spec_.mean, spec_.stdev);
  if (spec_.kind == LengthKind::zipf) zipf_.emplace(spec_.min, max_, spec_.exponent);
  if (spec_.kind == LengthKind::empirical && spec_.values.empty())
    throw InternalError("LengthSampler: empirical distribution without values");
}

int32_t LengthSampler::sample(Rng& rng) const {
  int64_t tokens = 1;
  // Rounds a continuous draw (halves away from zero, whatever the FP rounding mode) and clamps it
  // into [min, max]; a huge draw clamps to max before any cast could overflow.
  const auto clamp_draw = [&](double draw) {
    const double rounded = std::round(draw);
    if (!(rounded >= static_cast<double>(spec_.min))) return spec_.min;
    if (rounded >= static_cast<double>(max_)) return max_;
    return static_cast<int64_t>(rounded);
  };
  switch (spec_.kind) {
    case LengthKind::fixed: tokens = spec_.value; break;
    case LengthKind::uniform: tokens = sample_uniform_int(rng, spec_.min, max_); break;
    case LengthKind::normal: tokens = clamp_draw(sample_normal(rng, spec_.mean, spec_.stdev)); break;
    case LengthKind::lognormal: tokens = clamp_draw(sample_lognormal(rng, lognormal_)); break;
    case LengthKind::zipf: tokens = zipf_->sample(rng); break;
    case LengthKind::empirical: tokens = sample_empirical(rng, spec_.values); break;
  }
  return static_cast<int32_t>(std::clamp<int64_t>(tokens, 1, kMaxLengthTokens));
}

}  // namespace llmpo
