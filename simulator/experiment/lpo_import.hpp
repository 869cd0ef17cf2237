#pragma once
// `llmperforacle import-lpo`: an experiment config of the Python LLMPerfOracle
// (github.com/haochend/LLMPerfOracle, the upstream tool of the model-library seed) converted to
// one of our experiment files. The mapping, key by key, is in experiments/README.md ("Migrating
// from the Python LLMPerfOracle"); what has no equivalent, and every assumption made, is a note:
// logged as a warning and written as a comment at the top of the converted file.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "libraries.hpp"
#include "lpo_reader.hpp"

namespace llmpo {

struct LpoConversion {
  std::string yaml;            // the experiment file, comments included
  std::vector<LpoNote> notes;  // in the order found
};

// `root` is the parsed upstream file `file`; `name` becomes the experiment's `name:`. Throws
// InputError (file:line:col, key path, what is valid) for input it cannot convert.
LpoConversion convert_lpo_config(const YAML::Node& root, const std::string& file, const std::string& name,
                                 const Libraries& libraries);

// A string as a YAML scalar: plain when that reads back as the same string, else double-quoted.
std::string lpo_yaml_string(const std::string& text);

}  // namespace llmpo
