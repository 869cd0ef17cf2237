#pragma once
// Imports a Hugging Face config.json into a validated ModelSpec, so any published model can be
// simulated without writing a library file (`--model path/to/config.json`).
//
// Each supported model_type has its own field names (n_layer vs num_hidden_layers, ffn_dim vs
// intermediate_size, ...) and its own transformers defaults for keys a file may omit; both are
// encoded in hf_config.cpp. Errors are InputErrors naming the file, the line of the offending key
// and its JSON key path (e.g. "text_config.num_hidden_layers").
#include <string>
#include <vector>

#include "model_spec.hpp"

namespace llmpo {

// Reads and imports the config.json at `path`. The model id is the name of the folder holding
// the file when it is called config.json (the usual Hugging Face snapshot layout), otherwise
// "hf:<file name without .json>"; hf_id is the file's "_name_or_path" when present.
ModelSpec import_hf_config(const std::string& path);

// Same, from text already in memory; `pretend_file` is used for error messages and the id.
ModelSpec import_hf_config_text(const std::string& json_text, const std::string& pretend_file);

// The model_type values import_hf_config accepts, in the order error messages list them.
const std::vector<std::string>& supported_hf_model_types();

}  // namespace llmpo
