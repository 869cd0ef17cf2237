#include "lpo_reader.hpp"

#include <cmath>

#include <fmt/format.h>

#include "simulator/util/text.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

std::string lpo_child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

void LpoReader::note(const YAML::Node& at, const std::string& key_path, const std::string& text) {
  notes_.push_back({pos(at), key_path, text});
}

SourcePos LpoReader::pos(const YAML::Node& node) const { return position_of(node, file_); }

SourcePos LpoReader::key_pos(const YAML::Node& map, const std::string& key) const {
  if (map.IsMap())
    for (const auto& entry : map)
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return pos(entry.first);
  return pos(map);
}

void LpoReader::fail(const YAML::Node& at, const std::string& key_path, const std::string& message) const {
  throw InputError(pos(at), key_path, message);
}

namespace {

// The value node of `key`, or an undefined node; yaml-cpp's operator[] on a const node does not
// insert, and a key given twice was already refused by load_yaml_file.
YAML::Node value_of(const YAML::Node& parent, const std::string& key) {
  if (!parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : parent)
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

}  // namespace

std::optional<YAML::Node> LpoReader::map(const YAML::Node& parent, const std::string& key,
                                         const std::string& path) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  if (!node.IsMap()) fail(node, path, "expected a mapping of key: value pairs");
  return node;
}

std::optional<YAML::Node> LpoReader::list(const YAML::Node& parent, const std::string& key,
                                          const std::string& path) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  if (!node.IsSequence()) fail(node, path, "expected a list");
  return node;
}

double LpoReader::number_value(const YAML::Node& node, const std::string& path, double min, double max) const {
  if (!node.IsScalar()) fail(node, path, "expected a number, found a list or mapping");
  std::string digits;
  for (const char c : node.Scalar())
    if (c != '_') digits += c;  // YAML 1.1 (PyYAML) digit separators
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(digits, &used);
    if (used != digits.size() || digits.empty()) throw std::invalid_argument(digits);
  } catch (const std::exception&) {
    fail(node, path, "expected a number, got '" + node.Scalar() + "'");
  }
  if (!std::isfinite(value)) fail(node, path, "'" + node.Scalar() + "' is not a finite number");
  if (value < min || value > max)
    fail(node, path,
         max >= 1e299 ? fmt::format("{} is out of range (must be at least {})", node.Scalar(), min)
                      : fmt::format("{} is out of range (must be {} .. {})", node.Scalar(), min, max));
  return value;
}

std::optional<double> LpoReader::number(const YAML::Node& parent, const std::string& key, const std::string& path,
                                        double min, double max) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  return number_value(node, path, min, max);
}

std::optional<int64_t> LpoReader::integer(const YAML::Node& parent, const std::string& key, const std::string& path,
                                          int64_t min, int64_t max) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  const double value = number_value(node, path, static_cast<double>(min), static_cast<double>(max));
  if (value != std::floor(value)) fail(node, path, "expected a whole number, got '" + node.Scalar() + "'");
  return static_cast<int64_t>(value);
}

std::string LpoReader::text_value(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) fail(node, path, "expected a string, found a list or mapping");
  return node.Scalar();
}

std::optional<std::string> LpoReader::text(const YAML::Node& parent, const std::string& key,
                                           const std::string& path) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  return text_value(node, path);
}

std::optional<bool> LpoReader::flag(const YAML::Node& parent, const std::string& key, const std::string& path) const {
  const YAML::Node node = value_of(parent, key);
  if (!present(node)) return std::nullopt;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    fail(node, path, "expected true or false, got '" + (node.IsScalar() ? node.Scalar() : std::string("a collection")) + "'");
  return value;
}

void LpoReader::check_keys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& known,
                           const std::vector<std::pair<std::string, std::string>>& ignored) {
  if (!map.IsMap()) return;
  std::vector<std::string> all = known;
  for (const auto& [key, reason] : ignored) all.push_back(key);
  for (const auto& entry : map) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
    bool handled = false;
    for (const auto& k : known) handled = handled || k == key;
    for (const auto& [ignored_key, reason] : ignored)
      if (ignored_key == key) {
        notes_.push_back({pos(entry.first), lpo_child_path(path, key), reason});
        handled = true;
      }
    if (handled) continue;
    std::string text = "unknown key '" + key + "', ignored (LLMPerfOracle does not read it either)";
    const std::string hint = did_you_mean(key, all);
    if (!hint.empty()) text += "; " + hint;
    notes_.push_back({pos(entry.first), lpo_child_path(path, key), text});
  }
}

}  // namespace llmpo
