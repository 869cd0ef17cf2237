#pragma once
// Strict reading of YAML mappings: every key that is read is checked for type and range, every
// key that is not read is an error with a did-you-mean, and every error carries file:line:col
// and the key path. Data files (models, GPUs) and experiment files all go through this.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "error.hpp"
#include "input_limits.hpp"

namespace llmpo {

// Parses a YAML file; a syntax error becomes an InputError with the file's line and column.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& pretend_file);
// The same for a standalone value (a --set value), in which anchors and aliases are refused:
// nothing in one value needs them, and they are how a few bytes become a cycle or 10^9 nodes.
YAML::Node load_yaml_value(const std::string& text, const std::string& pretend_file);

// The position of a node inside `file` (yaml-cpp marks are 0-based; ours are 1-based).
SourcePos position_of(const YAML::Node& node, const std::string& file);

// The position of the deepest node that exists along a dotted key path ("architecture.hidden"),
// for errors found after parsing (validate()) that know the field but not the line.
SourcePos position_at_path(const YAML::Node& root, const std::string& dotted_path, const std::string& file);

struct NumberRange {
  double min = -1e300;  // inclusive
  double max = 1e300;   // inclusive
  bool min_exclusive = false;
};
inline NumberRange positive() { return {0.0, 1e300, true}; }
inline NumberRange non_negative() { return {0.0, 1e300, false}; }
inline NumberRange fraction() { return {0.0, 1.0, true}; }  // (0, 1]
// Inputs that become simulated times or rates (input_limits.hpp says why the bounds).
inline NumberRange seconds() { return {0.0, kMaxInputSeconds, false}; }
inline NumberRange positive_seconds() { return {0.0, kMaxInputSeconds, true}; }
inline NumberRange milliseconds() { return {0.0, kMaxInputSeconds * 1e3, false}; }
inline NumberRange positive_milliseconds() { return {0.0, kMaxInputSeconds * 1e3, true}; }
inline NumberRange microseconds() { return {0.0, kMaxInputSeconds * 1e6, false}; }
inline NumberRange rate_per_second() { return {kMinRatePerSecond, 1e300, false}; }

// With a Diagnostics ("collect mode", used for experiment files), a bad optional value is
// recorded and read as absent, every unknown key is recorded, and a bad required value is
// recorded and ends the section (AbandonedSection); maps opened from this one collect too.
// Without one, the first error is thrown as an InputError.
class StrictMap {
 public:
  // `node` must be a mapping; otherwise this throws naming key_path.
  StrictMap(YAML::Node node, std::string file, std::string key_path, Diagnostics* diagnostics = nullptr);

  bool has(const std::string& key) const;
  const std::string& file() const { return file_; }
  const std::string& key_path() const { return key_path_; }
  std::string path_of(const std::string& key) const;
  SourcePos pos_of(const std::string& key) const;
  SourcePos pos() const;

  std::string get_string(const std::string& key);
  std::optional<std::string> opt_string(const std::string& key);
  // One of `valid` (case-insensitive); the error lists them with a suggestion.
  std::string get_choice(const std::string& key, const std::vector<std::string>& valid);
  std::optional<std::string> opt_choice(const std::string& key,
                                        const std::vector<std::string>& valid);

  int64_t get_int(const std::string& key, NumberRange range = {});
  std::optional<int64_t> opt_int(const std::string& key, NumberRange range = {});
  double get_double(const std::string& key, NumberRange range = {});
  std::optional<double> opt_double(const std::string& key, NumberRange range = {});
  bool get_bool(const std::string& key);
  std::optional<bool> opt_bool(const std::string& key);
  std::vector<std::string> get_string_list(const std::string& key);
  std::vector<std::string> opt_string_list(const std::string& key);

  StrictMap get_map(const std::string& key);
  std::optional<StrictMap> opt_map(const std::string& key);
  // The raw node, marked as read; for callers that parse lists of maps themselves.
  YAML::Node get_node(const std::string& key);

  // Every key present in the mapping, in file order.
  std::vector<std::string> keys() const;

  // Every key that was never read is an error: "unknown key 'x' (valid: ...; did you mean 'y'?)".
  // `valid` is the list of keys the caller understands; defaults to those it read. Throws for
  // the first, or in collect mode records them all and returns.
  void reject_unknown_keys(const std::vector<std::string>& valid = {}) const;

  // An error that does not stop the section: thrown, or in collect mode recorded and returned
  // from, so that the next keys are read (and their errors reported) too.
  void record(const InputError& error) const;

  // An error at `key`: thrown, or in collect mode recorded and the section abandoned.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  [[noreturn]] void raise(const InputError& error) const;

  Diagnostics* diagnostics() const { return diagnostics_; }

 private:
  YAML::Node value_of(const std::string& key);  // marks as read; throws if missing
  // Runs a read; an InputError goes through raise().
  template <typename Read>
  auto guarded(Read&& read) const -> decltype(read());
  // For optional reads: in collect mode an error (already recorded) reads as absent.
  template <typename T, typename Read>
  std::optional<T> softly(Read&& read) const;

  YAML::Node node_;
  std::string file_;
  std::string key_path_;
  std::set<std::string> read_keys_;
  Diagnostics* diagnostics_ = nullptr;
};

// Scalar conversions with the same error style, for list items and standalone values.
int64_t scalar_to_int(const YAML::Node& node, const std::string& file, const std::string& path,
                      NumberRange range = {});
double scalar_to_double(const YAML::Node& node, const std::string& file, const std::string& path,
                        NumberRange range = {});

}  // namespace llmpo
