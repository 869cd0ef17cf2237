#pragma once
// The charts of a `run` folder recomputed from each run's model, GPU and parallelism in
// manifest.json, with the same cost model and memory planner the simulation used: per-operator
// time of a typical prefill and decode step, and memory per GPU.
#include <string>
#include <vector>

#include "simulator/report/chart_kit.hpp"
#include "simulator/report/results_folder.hpp"

namespace llmpo::report {

// The operator chart, then the memory chart, each when at least one run could be recomputed; a
// run that cannot (not in manifest.json, a model no longer in the library) adds a note instead.
std::vector<Chart> model_charts(const RunResults& results, std::vector<std::string>& notes);

}  // namespace llmpo::report
