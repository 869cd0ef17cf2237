#pragma once
// What each fuzz target does with one input, in one place: the libFuzzer targets call these, and
// tests/simulator/test_fuzz_corpus.cpp replays every checked-in corpus file through them under
// ctest, so a reproducer kept in a corpus is checked by every build, not only by `./dev.sh fuzz`.
// Each throws llmpo::InputError for bad input; anything else escaping is a bug.
#include <sstream>
#include <string>
#include <vector>

#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/experiment/vllm_result.hpp"

namespace llmpo::fuzz {

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

}  // namespace llmpo::fuzz
