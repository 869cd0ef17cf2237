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
//   - rows a reader put in a shape group (Measurement::shape_group) are split by model shape:
//     the distinct groups of a file and kind, in ascending order, alternate between fit (even
//     rank) and score (odd rank), so no shape is on both sides. The readers group aiconfigurator
//     tables of vLLM 0.19 and later (the H200 data): GEMMs by their (n, k) pair (a model's weight
//     shape), decode attention by (num_heads, num_key_value_heads, head_dim); and the vLLM engine
//     profile (RTX 4090) by token count (dense.csv) or sequence count (per_sequence.csv). The
//     older aiconfigurator tables (A100-SXM, vLLM 0.14) keep the row split they were scored on;
//   - other shape-only rows (attention tables, older aiconfigurator tables, collectives, the
//     engine profile's attention.csv, generic files) are split by row: even data rows of each
//     file are fitted, odd rows scored.
enum class Split { fit, score, all };
Split parse_split(const std::string& text);  // throws InputError naming --split
const std::vector<std::string>& fit_models();
bool in_split(const Measurement& m, Split split);

// Keeps rows of the split whose model is one of `models` (case-insensitive; empty = all).
std::vector<Measurement> select_rows(const std::vector<Measurement>& rows, Split split,
                                     const std::vector<std::string>& models);

}  // namespace llmpo::calibration
