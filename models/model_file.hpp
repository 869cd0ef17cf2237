#pragma once
// Reads one model data file (YAML, schema in models/README.md) into a validated ModelSpec.
#include <string>

#include "model_spec.hpp"

namespace llmpo {

ModelSpec load_model_file(const std::string& path);
ModelSpec parse_model_yaml(const std::string& text, const std::string& pretend_file);

}  // namespace llmpo
