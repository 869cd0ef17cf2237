#pragma once
// What each fuzz target does with one input, in one place: the libFuzzer targets call these, and
// tests/simulator/test_fuzz_corpus.cpp replays every checked-in corpus file through them under
// ctest, so a reproducer kept in a corpus is checked by every build, not only by `./dev.sh fuzz`.
// Each throws llmpo::InputError for bad input; anything else escaping is a bug.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/input_limits.hpp"
#include "simulator/util/yaml_comments.hpp"

namespace llmpo::fuzz {

// The data libraries of the planning targets, opened once per process with every entry parsed
// before the first input: the models and GPUs one after another on this thread, then each library
// whole (which leaves only the six interconnect presets to its worker threads). Parsed on demand
// instead, an input that lists a whole library (a suggestion, a search over every GPU) parsed it
// on several threads, and which entries this thread parsed shaped the heap every later input
// allocates from: two runs of the same inputs from one seed kept different inputs (5,453 against
// 5,427 coverage points after 3,000 `experiment_yaml` inputs; three runs identical with this).
inline const Libraries& planning_libraries() {
  static const Libraries libraries = [] {
    Libraries opened = Libraries::load();
    for (const std::string& name : opened.models.all_names()) (void)opened.models.try_find(name);
    for (const std::string& name : opened.gpus.all_names()) (void)opened.gpus.try_find(name);
    (void)opened.models.models();
    (void)opened.gpus.gpus();
    (void)opened.interconnects.presets();
    return opened;
  }();
  return libraries;
}

// An experiment file: read (its sweep expanded into every point) and planned, never simulated.
inline void experiment_yaml(const std::string& text, const Libraries& libraries) {
  (void)plan_experiment(read_experiment_text(text, "<fuzz>/experiment.yaml", {}), libraries);
}

// A small experiment with a two-axis sweep, which every `--set` override applies to.
inline const char* const kSetBase = R"(name: fuzz-set
simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 4}
workload:
  arrival: {process: poisson, rate_per_s: 4}
  num_requests: 50
  prompt_tokens: {distribution: fixed, value: 128}
  output_tokens: {distribution: fixed, value: 16}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}
sweep:
  max_num_seqs: [16, 64]
  request_rate: [2, 8]
)";

// Each line of `text` is one `--set key.path=value` on kSetBase; the whole sweep is planned.
inline void experiment_set(const std::string& text, const Libraries& libraries) {
  std::vector<std::string> overrides;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) overrides.push_back(line);
  (void)plan_experiment(read_experiment_text(kSetBase, "<fuzz>/base.yaml", overrides), libraries);
}

// A `vllm bench serve --save-result --save-detailed` JSON, as `replay` reads it.
inline void vllm_result(const std::string& text) { (void)parse_vllm_result(text, "<fuzz>/result.json"); }

// Whether yaml-cpp reads `a` and `b` as the same tree: kinds, tags, scalars, keys in order, every
// node's line and column. Alias bombs and deep nesting are valid YAML: the walk stops at a depth
// of 64 and after `budget` nodes.
inline bool same_yaml_tree(const YAML::Node& a, const YAML::Node& b, int depth, int64_t& budget) {
  if (depth > 64 || --budget < 0) return true;
  if (a.Type() != b.Type() || a.Tag() != b.Tag() || a.Mark().line != b.Mark().line ||
      a.Mark().column != b.Mark().column)
    return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (!a.IsSequence() && !a.IsMap()) return true;
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    const bool same = a.IsSequence() ? same_yaml_tree(*ia, *ib, depth + 1, budget)
                                     : same_yaml_tree(ia->first, ib->first, depth + 1, budget) &&
                                           same_yaml_tree(ia->second, ib->second, depth + 1, budget);
    if (!same) return false;
  }
  return true;
}

// shorten_yaml_comments (what every YAML file goes through before yaml-cpp reads it) must not
// change what yaml-cpp reads: for a text yaml-cpp reads, the shortened text reads as the same
// tree and is no longer. InternalError otherwise (a finding); nothing for a text that is not YAML,
// or that check_text_encoding refuses before any shortening (a NUL byte, which yaml-cpp reads as
// part of a plain scalar, or bytes that are not UTF-8).
inline void yaml_comments(const std::string& text) {
  try {
    check_text_encoding(text, "<fuzz>/file.yaml");
  } catch (const InputError&) {
    return;
  }
  const std::string shortened = shorten_yaml_comments(text);
  if (shortened.size() > text.size()) throw InternalError("shorten_yaml_comments lengthened the text");
  YAML::Node original;
  try {
    original = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return;
  }
  YAML::Node read;
  try {
    read = YAML::Load(shortened);
  } catch (const YAML::Exception& error) {
    throw InternalError(std::string("shorten_yaml_comments broke a valid text: ") + error.what());
  }
  int64_t budget = 100000;
  if (!same_yaml_tree(original, read, 0, budget)) throw InternalError("shorten_yaml_comments changed what yaml-cpp reads");
}

}  // namespace llmpo::fuzz
