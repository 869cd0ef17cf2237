#include "experiment_file.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "frameworks/framework_config.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

struct PathSegment {
  std::string key;    // map key (empty for a pure index)
  int index = -1;     // list index, -1 when none
};

std::vector<PathSegment> parse_path(const std::string& path, const std::string& context) {
  std::vector<PathSegment> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    PathSegment segment;
    const auto bracket = part.find('[');
    if (bracket != std::string::npos) {
      if (part.back() != ']') throw InputError({}, context, "malformed index in '" + path + "'");
      try {
        segment.index = std::stoi(part.substr(bracket + 1, part.size() - bracket - 2));
      } catch (const std::exception&) {
        throw InputError({}, context, "malformed index in '" + path + "'");
      }
      part = part.substr(0, bracket);
    }
    segment.key = part;
    if (segment.key.empty() && segment.index < 0) throw InputError({}, context, "empty key in '" + path + "'");
    segments.push_back(segment);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return segments;
}

// Sets the value at `path`; every step but the last must exist; the last key may be new.
void set_path(YAML::Node root, const std::string& path, const YAML::Node& value, const std::string& context) {
  const auto segments = parse_path(path, context);
  YAML::Node current = root;
  std::string walked;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const PathSegment& s = segments[i];
    const bool last = i + 1 == segments.size();
    if (!s.key.empty()) {
      walked += (walked.empty() ? "" : ".") + s.key;
      if (!current.IsMap()) throw InputError({}, context, "'" + walked + "' is not inside a mapping");
      const bool exists = static_cast<const YAML::Node&>(current)[s.key].IsDefined();
      if (last && s.index < 0) {
        current[s.key] = value;
        return;
      }
      if (!exists) {
        std::vector<std::string> keys;
        for (const auto& entry : current) keys.push_back(entry.first.Scalar());
        std::string message = "no key '" + walked + "' in the experiment";
        const std::string hint = did_you_mean(s.key, keys);
        if (!hint.empty()) message += "; " + hint;
        throw InputError({}, context, message);
      }
      current.reset(current[s.key]);
    }
    if (s.index >= 0) {
      walked += fmt::format("[{}]", s.index);
      if (!current.IsSequence() || s.index >= static_cast<int>(current.size()))
        throw InputError({}, context, "'" + walked + "' is out of range");
      if (last) {
        current[static_cast<std::size_t>(s.index)] = value;
        return;
      }
      current.reset(current[static_cast<std::size_t>(s.index)]);
    }
  }
}

// A deep copy whose nodes carry no position (YAML::Clone gives every node line 1, column 1).
YAML::Node unmarked(const YAML::Node& node) {
  if (node.IsScalar()) return YAML::Node(node.Scalar());
  YAML::Node copy(node.IsSequence() ? YAML::NodeType::Sequence
                  : node.IsMap()    ? YAML::NodeType::Map
                                    : YAML::NodeType::Null);
  if (node.IsSequence())
    for (const auto& item : node) copy.push_back(unmarked(item));
  if (node.IsMap())
    for (const auto& entry : node) copy[entry.first.Scalar()] = unmarked(entry.second);
  return copy;
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter emitter;
  emitter << YAML::Flow << node;
  return emitter.c_str();
}

// The concrete paths a sweep key stands for in `document`.
std::vector<std::string> paths_for(const std::string& key, const YAML::Node& document) {
  // A missing key read through a const node is an invalid node, whose Is*() throws YAML's
  // InvalidNode: check IsDefined() first (found by fuzzing, a sweep without frameworks_to_test).
  const YAML::Node frameworks = document["frameworks_to_test"];
  const std::size_t count = frameworks.IsDefined() && frameworks.IsSequence() ? frameworks.size() : 0;
  std::vector<std::string> paths;
  if (key == "model") {
    for (std::size_t i = 0; i < count; ++i) paths.push_back(fmt::format("frameworks_to_test[{}].config.model_profile_id", i));
    return paths;
  }
  if (key == "gpu") {
    const YAML::Node hardware = document["hardware"];
    if (hardware.IsDefined() && hardware.IsMap())
      for (const auto& entry : hardware) paths.push_back("hardware." + entry.first.Scalar() + ".preset");
    return paths;
  }
  if (key == "request_rate") return {"workload.arrival.rate_per_s"};
  if (key == "concurrency") return {"workload.arrival.clients"};
  for (const auto& config_key : deployment_config_keys()) {
    if (key != config_key.key) continue;
    for (std::size_t i = 0; i < count; ++i) {
      // Read without throwing: the entry may be anything; the planner reports what is wrong.
      const YAML::Node entry = frameworks[i];
      const YAML::Node type_node = entry.IsMap() ? entry["type"] : YAML::Node();
      const std::string type = type_node.IsDefined() && type_node.IsScalar() ? type_node.Scalar() : "VLLM";
      const auto valid = deployment_config_keys_for(type);
      if (std::find(valid.begin(), valid.end(), key) == valid.end()) continue;
      paths.push_back(fmt::format("frameworks_to_test[{}].config.{}", i, key));
    }
    return paths;
  }
  return {key};  // a dotted path
}

// The value lists of a sweep section, in file order.
std::vector<std::vector<YAML::Node>> sweep_lists(const YAML::Node& sweep) {
  std::vector<std::vector<YAML::Node>> lists;
  for (const auto& entry : sweep) {
    lists.emplace_back();
    for (const auto& value : entry.second) lists.back().push_back(value);
  }
  return lists;
}


// An override of the sweep section itself ("sweep.x=[1, 2]"): it shapes the lists, not a point.
bool targets_sweep(const std::string& assignment) {
  const std::string key = "sweep";
  return assignment.compare(0, key.size(), key) == 0 &&
         (assignment.size() == key.size() || std::string(".[=").find(assignment[key.size()]) != std::string::npos);
}

// `text` with the lines of its top-level `sweep:` section emptied (so every other node keeps
// its line and column), or nothing when the section is not a run of whole lines: a flow-style
// top level, or another top-level key on its line. `raw` is the text's tree.
std::optional<std::string> without_sweep_section(const std::string& text, const YAML::Node& raw) {
  if (!raw.IsMap() || raw.Style() == YAML::EmitterStyle::Flow) return std::nullopt;
  int sweep_line = -1;
  for (const auto& entry : raw)
    if (entry.first.IsScalar() && entry.first.Scalar() == "sweep") sweep_line = entry.first.Mark().line;
  if (sweep_line < 0) return text;  // the sweep comes from an override
  int next_line = std::numeric_limits<int>::max();  // the next top-level key's line ends the section
  for (const auto& entry : raw) {
    const int line = entry.first.Mark().line;
    if (entry.first.Scalar() == "sweep" || line < 0) continue;  // line < 0: a key added by --set
    if (line == sweep_line) return std::nullopt;
    if (line > sweep_line) next_line = std::min(next_line, line);
  }
  std::string out;
  out.reserve(text.size());
  int line = 0;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (c == '\n' || line < sweep_line || line >= next_line) out += c;
  }
  return out;
}

// A copy of the sweep value `listed` in a tree of its own, parsed from text that puts it at the
// same line and column as in the file: errors about it point at the sweep list, and the points'
// trees share no nodes. A value set by --set has no place; it is copied as it is.
template <typename Parse>
YAML::Node value_at_its_place(const YAML::Node& listed, Parse& parse) {
  const YAML::Mark mark = listed.Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return unmarked(listed);
  YAML::Emitter emitter;
  emitter << YAML::Flow;
  // A quoted scalar stays quoted: "5" is a string where 5 would be a number.
  if (listed.IsScalar() && listed.Tag() == "!") emitter << YAML::DoubleQuoted << listed.Scalar();
  else emitter << listed;
  std::string text(static_cast<std::size_t>(mark.line), '\n');
  text.append(static_cast<std::size_t>(mark.column), ' ');
  text += emitter.c_str();
  return parse(text);
}

}  // namespace

std::string SweepPoint::label() const {
  std::string out;
  for (const auto& [key, value] : values) out += (out.empty() ? "" : ";") + key + "=" + value;
  return out;
}

std::vector<std::string> sweep_shorthands() {
  std::vector<std::string> names = {"model", "gpu", "request_rate", "concurrency"};
  for (const auto& key : deployment_config_keys()) names.push_back(key.key);
  return names;
}

void apply_override(YAML::Node& document, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError({}, "--set", "expected key.path=value, got '" + assignment + "'");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    // Copied without marks: a line and column of the override text would be taken for a
    // position in the file. Errors at an override point at the enclosing mapping instead.
    // load_yaml_value refuses aliases and bounds nesting, which keeps the recursive copy finite.
    value = unmarked(load_yaml_value(assignment.substr(eq + 1), "--set " + path));
  } catch (const InputError& error) {
    std::string message = error.message();
    if (message.rfind("YAML syntax error: ", 0) == 0) message = "value is not valid YAML: " + message.substr(19);
    throw InputError({}, "--set " + path, message);
  }
  set_path(document, path, value, "--set " + path);
}

ExperimentFile read_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw InputError({path, 0, 0}, "", "cannot open experiment file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return read_experiment_text(buffer.str(), path, overrides);
}

ExperimentFile read_experiment_text(const std::string& text, const std::string& path,
                                    const std::vector<std::string>& overrides) {
  ExperimentFile file;
  file.path = path;
  auto parse = [&](const std::string& yaml) {
    if (&yaml == &text) ++file.whole_file_parses;
    return load_yaml_string(yaml, path);
  };
  // The file as written, every override applied (`skip_sweep`: but those of the sweep section).
  auto load = [&](const std::string& yaml, bool skip_sweep) {
    YAML::Node document = parse(yaml);
    if (!document.IsMap()) throw InputError({path, 1, 1}, "", "an experiment file is a mapping of sections");
    for (const auto& assignment : overrides)
      if (!(skip_sweep && targets_sweep(assignment))) apply_override(document, assignment);
    return document;
  };
  file.document = load(text, false);

  const YAML::Node sweep = file.document["sweep"];
  if (!sweep.IsDefined() || sweep.IsNull()) {
    file.points.push_back({load(text, false), {}});
    return file;
  }
  if (!sweep.IsMap()) throw InputError(position_of(sweep, path), "sweep", "expected a mapping of key: [values]");
  struct Axis {
    std::string key;
    std::vector<std::string> paths;
    std::size_t size = 0;
  };
  std::vector<Axis> axes;
  for (const auto& entry : sweep) {
    Axis axis{entry.first.Scalar(), paths_for(entry.first.Scalar(), file.document), entry.second.size()};
    const SourcePos pos = position_of(entry.first, path);
    if (!entry.second.IsSequence() || entry.second.size() == 0)
      throw InputError(pos, "sweep." + axis.key, "expected a non-empty list of values");
    if (axis.paths.empty())
      throw InputError(pos, "sweep." + axis.key,
                       axis.key == "gpu" ? "there is no hardware group whose preset it could set"
                                         : "no framework in frameworks_to_test accepts this key");
    axes.push_back(std::move(axis));
  }
  double points = 1;  // a double: the product of a few long lists may not fit any integer
  for (const auto& axis : axes) points *= static_cast<double>(axis.size);
  if (points > static_cast<double>(kMaxSweepPoints))
    throw InputError(position_of(sweep, path), "sweep",
                     fmt::format("the lists make {:.0f} points, more than the {} a sweep may have; "
                                 "shorten them or split the sweep over several files",
                                 points, kMaxSweepPoints));

  // Each point gets a tree of its own, parsed (not cloned) so that every node keeps its line and
  // column for error messages. Parsing the whole file per point made planning quadratic: the
  // sweep lists are most of a long sweep's text (2,000 points took 30 s and 1.9 GB). So each
  // point parses the file with the sweep section's lines emptied, and its values are copied
  // from the lists read once. When the section cannot be cut out that way (a flow-style top
  // level, an anchor inside it used elsewhere), every point parses the whole file, as before.
  std::optional<std::string> cut = without_sweep_section(text, file.document);
  if (cut) {
    try {
      if (load(*cut, true)["sweep"].IsDefined()) cut.reset();
    } catch (const InputError&) {
      cut.reset();
    }
  }
  const std::vector<std::vector<YAML::Node>> file_lists = sweep_lists(sweep);
  // Cartesian product, the last key varying fastest.
  std::vector<std::size_t> digit(axes.size(), 0);
  for (;;) {
    SweepPoint point{load(cut ? *cut : text, cut.has_value()), {}};
    // Without the cut, the values come from this point's own parse of the sweep lists: a node
    // of another document would merge that document's node pool into this one, and each point
    // would then hold every earlier point's nodes (memory quadratic in the points: 11 GB for
    // 1,600). With it, each value is parsed on its own, at its place in the file.
    const std::vector<std::vector<YAML::Node>> own_lists =
        cut ? std::vector<std::vector<YAML::Node>>() : sweep_lists(point.document["sweep"]);
    point.document.remove("sweep");
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const YAML::Node& listed = file_lists[a][digit[a]];
      const YAML::Node value = cut ? value_at_its_place(listed, parse) : own_lists[a][digit[a]];
      for (const auto& target : axes[a].paths) {
        const SourcePos pos = position_of(listed, path);
        try {
          // Shared, not cloned: nothing writes to a point's document after this, and the
          // value keeps its line and column, so errors point at the sweep list.
          set_path(point.document, target, value, "sweep." + axes[a].key);
        } catch (const InputError& error) {
          throw InputError(pos, error.key_path(), error.message());
        }
      }
      point.values.emplace_back(axes[a].key, scalar_text(listed));
    }
    file.points.push_back(std::move(point));
    std::size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++digit[a] < axes[a].size) break;
      digit[a] = 0;
      if (a == 0) return file;
    }
    if (axes.empty()) return file;
  }
}

}  // namespace llmpo
