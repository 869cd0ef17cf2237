#pragma once
// The model library: every *.yaml in models/library, loaded once, found by any of its names.
#include <string>
#include <vector>

#include "model_spec.hpp"
#include "simulator/util/name_index.hpp"

namespace llmpo {

class ModelLibrary {
 public:
  // Loads every *.yaml file of `directory` (sorted by file name, so order is deterministic).
  // Throws InputError for a malformed file or a name that two entries claim.
  static ModelLibrary load(const std::string& directory);
  static ModelLibrary load_default();  // model_library_dir()

  const std::vector<ModelSpec>& models() const { return models_; }

  // Case-insensitive lookup by id, hf_id, the hf_id after its slash, or an alias.
  // Throws InputError "unknown model 'x' (did you mean ...?)" when nothing matches; for a
  // family:size that names no published model, the nearest published one instead; for an
  // unknown org/name, how to import its config.json.
  const ModelSpec& find(const std::string& name) const;
  const ModelSpec* try_find(const std::string& name) const;

  // Every accepted name, for suggestions and listings.
  const std::vector<std::string>& all_names() const { return names_.names(); }

 private:
  std::vector<ModelSpec> models_;
  NameIndex names_;
};

// Resolves what a user typed after --model: a path to a HF config.json (anything ending in
// .json or naming an existing file) is imported; a path to a *.yaml model file is loaded;
// an Ollama tag (llama3.1:8b-instruct-q4_K_M) is its library model carrying the tag's
// quantization (model_names.hpp); anything else is looked up in the library.
ModelSpec resolve_model(const std::string& name_or_path, const ModelLibrary& library);

}  // namespace llmpo
