#pragma once
// Predicts a measurement with the simulator's own timing functions (hardware/kernel_timing.hpp
// and the interconnect model), so the fitter and the fidelity report judge exactly the numbers
// a simulation would use; and the documented fit / score split.
#include <map>
#include <string>
#include <vector>

#include "hardware/gpu_spec.hpp"
#include "hardware/interconnect.hpp"
#include "hardware/kernel_timing.hpp"
#include "measurement.hpp"

namespace llmpo::calibration {

// Interconnect presets by id, as the predictor looks them up (Measurement::network).
using PresetMap = std::map<std::string, InterconnectSpec>;
PresetMap presets_of(const InterconnectLibrary& library);

// Throws InputError when a collective names a preset missing from `presets`.
OpTime predict(const Measurement& m, const GpuSpec& gpu, const PresetMap& presets);

// "memory-bound", "compute-bound", "network" or "host" (CPU overhead).
std::string regime(const Measurement& m, const OpTime& time);

// The split used for the shipped calibrations (experiments/fidelity/README.md, "Split"):
//   - rows that belong to a model (Vidur mlp.csv and cpu_overheads.csv) are split by model:
//     Llama-2-7B and CodeLlama-34B are fitted; Llama-2-70B, InternLM-20B, Qwen-72B and phi-2 are
//     only ever scored;
//   - shape-only rows (attention tables, aiconfigurator GEMMs, collectives, generic files) are
//     split by row: even data rows of each file are fitted, odd rows scored.
enum class Split { fit, score, all };
Split parse_split(const std::string& text);  // throws InputError naming --split
const std::vector<std::string>& fit_models();
bool in_split(const Measurement& m, Split split);

// Keeps rows of the split whose model is one of `models` (case-insensitive; empty = all).
std::vector<Measurement> select_rows(const std::vector<Measurement>& rows, Split split,
                                     const std::vector<std::string>& models);

}  // namespace llmpo::calibration
