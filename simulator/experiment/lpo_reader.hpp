#pragma once
// Reading the YAML dialect of the Python LLMPerfOracle (github.com/haochend/LLMPerfOracle), the
// upstream tool of the model-library seed, for `llmperforacle import-lpo`. Its loader takes
// any key and falls back to a default for a missing one, so this reader is lenient where ours is
// strict: a key it does not know is a note (it had no effect upstream either), not an error.
// Values of the wrong type or range are errors at file:line:col with the key path, as for our
// own files. Notes are what the converted file says it left out or assumed.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "simulator/util/error.hpp"

namespace llmpo {

struct LpoNote {
  SourcePos pos;         // in the upstream file
  std::string key_path;  // "workload.client_profiles[0].weight"
  std::string text;
};

class LpoReader {
 public:
  explicit LpoReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  const std::vector<LpoNote>& notes() const { return notes_; }
  void note(const YAML::Node& at, const std::string& key_path, const std::string& text);

  SourcePos pos(const YAML::Node& node) const;
  // The position of `key` inside `map` (of its value when the key node is not found).
  SourcePos key_pos(const YAML::Node& map, const std::string& key) const;
  [[noreturn]] void fail(const YAML::Node& at, const std::string& key_path, const std::string& message) const;

  // A mapping (or absent: an empty optional). Anything else is an error.
  std::optional<YAML::Node> map(const YAML::Node& parent, const std::string& key, const std::string& path) const;
  std::optional<YAML::Node> list(const YAML::Node& parent, const std::string& key, const std::string& path) const;
  // Scalars. Numbers accept PyYAML's YAML 1.1 digit separators (80_000_000_000), which the
  // upstream example configs use and yaml-cpp does not read.
  std::optional<double> number(const YAML::Node& parent, const std::string& key, const std::string& path,
                               double min = -1e300, double max = 1e300) const;
  std::optional<int64_t> integer(const YAML::Node& parent, const std::string& key, const std::string& path,
                                 int64_t min, int64_t max) const;
  std::optional<std::string> text(const YAML::Node& parent, const std::string& key, const std::string& path) const;
  std::optional<bool> flag(const YAML::Node& parent, const std::string& key, const std::string& path) const;
  double number_value(const YAML::Node& node, const std::string& path, double min = -1e300, double max = 1e300) const;
  std::string text_value(const YAML::Node& node, const std::string& path) const;

  // Keys of `map` that are neither in `known` nor in `ignored` become notes with a did-you-mean;
  // each `ignored` key that is present becomes a note with its reason (it has no equivalent).
  void check_keys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
                  const std::vector<std::pair<std::string, std::string>>& ignored = {});

 private:
  std::string file_;
  std::vector<LpoNote> notes_;
};

// "a.b" or "b" when a is empty.
std::string lpo_child_path(const std::string& parent, const std::string& key);

}  // namespace llmpo
