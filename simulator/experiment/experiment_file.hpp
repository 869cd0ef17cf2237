#pragma once
// Reading an experiment file: the YAML document, `--set key.path=value` overrides applied on
// top, and the `sweep:` section expanded into one document per point of the cartesian product.
// Every later stage parses a point's document with StrictMap, so errors keep file:line:col.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace llmpo {

struct SweepPoint {
  YAML::Node document;                                   // the experiment with this point's values
  std::vector<std::pair<std::string, std::string>> values;  // (sweep key, value) in file order
  std::string label() const;  // "tensor_parallel_degree=4;request_rate=2" (no commas: a CSV cell)
};

struct ExperimentFile {
  std::string path;
  YAML::Node document;             // after --set overrides, before sweep expansion
  std::vector<SweepPoint> points;  // at least one (no sweep: the document itself)
  // How often the whole file was parsed (the planning-cost test): a few times, whatever the
  // points; each sweep point parses only the file without its sweep section, and its values.
  int whole_file_parses = 0;
};

// Applies one override "a.b[2].c=value" (the value parsed as YAML, so lists and numbers work).
// Throws InputError naming the override when the path does not exist or is malformed.
void apply_override(YAML::Node& document, const std::string& assignment);

// Sweep keys that are shorthand for a path: a key that names a framework config field
// (tensor_parallel_degree, max_num_seqs, ...) applies to every entry of frameworks_to_test;
// `model` and `gpu` set model_profile_id and the GPU preset; `request_rate` and `concurrency`
// set the workload's arrival rate and client count. Any other key is a dotted path.
std::vector<std::string> sweep_shorthands();

// Every point of a sweep is parsed, planned and simulated on its own, and holds its own copy of
// the document without the sweep section.
// Beyond this many the lists are almost surely a mistake (three lists of 100 values make a
// million runs), so read_experiment rejects them before expanding any.
inline constexpr std::size_t kMaxSweepPoints = 2'000;

ExperimentFile read_experiment(const std::string& path, const std::vector<std::string>& overrides);
// The same for text already in memory; `path` names it in messages and anchors relative paths.
ExperimentFile read_experiment_text(const std::string& text, const std::string& path,
                                    const std::vector<std::string>& overrides);

}  // namespace llmpo
