#pragma once
// Writes what `calibrate` fitted as data files the rest of LLMPerfOracle reads: a complete GPU
// file (`--gpu path.yaml` accepts it) and interconnect preset files. The GPU file is the starting
// preset's own text with its `efficiency:` block replaced, so the datasheet numbers and their
// source comments stay as they were; each efficiency value says whether it was fitted (on what,
// how many rows, with what error) or kept from the preset.
#include <string>
#include <vector>

#include "calibrator.hpp"

namespace llmpo::calibration {

// `preset_text`: the starting GPU file's text; `sources`: what the rows came from, for comments.
std::string gpu_yaml(const CalibrationResult& result, const std::string& preset_text, const std::string& sources);

std::string interconnect_yaml(const InterconnectSpec& preset, const CalibrationResult& result,
                              const std::string& sources);

// `path` relative to the data root (hardware/gpus/x.yaml) when it lies inside it, so written files
// and reports read the same on every machine.
std::string display_path(const std::string& path);

// An efficiency field as the GPU file writes it (units and decimals of its key).
std::string efficiency_value_text(const GpuEfficiency& efficiency, const std::string& key);

}  // namespace llmpo::calibration
