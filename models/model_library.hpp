#pragma once
// The model library: every *.yaml in models/library, found by any of its names.
#include <string>
#include <vector>

#include "model_spec.hpp"
#include "simulator/util/lazy_entries.hpp"
#include "simulator/util/name_index.hpp"

namespace llmpo {

class ModelLibrary {
 public:
  // Loads every *.yaml file of `directory` (sorted by file name, so order is deterministic).
  // Throws InputError for a malformed file or a name that two entries claim.
  static ModelLibrary load(const std::string& directory);
  static ModelLibrary load_default();  // model_library_dir()
  // Reads every file's names now (without a YAML parse where a scan of its top-level lines
  // reads them exactly, yaml_key_scan.hpp) and parses a file when its model is first used, so a
  // run parses only the models it names. A file whose names cannot be read is parsed now: its
  // errors, and names two files claim, are thrown here as load() throws them; any other error
  // of a file is thrown by the find() or models() that first uses it.
  static ModelLibrary open(const std::string& directory);
  static ModelLibrary open_default();  // model_library_dir()

  // Every model, in file order; parses the files not parsed yet (throws the first bad one's error).
  const std::vector<ModelSpec>& models() const { return entries_.all(); }

  // Case-insensitive lookup by id, hf_id, the hf_id after its slash, or an alias (parsing
  // that model's file on first use, safely from several threads). Throws InputError "unknown model 'x' (did you mean ...?)" when nothing matches; for a
  // family:size that names no published model, the nearest published one instead; for an
  // unknown org/name, how to import its config.json.
  const ModelSpec& find(const std::string& name) const;
  const ModelSpec* try_find(const std::string& name) const;

  // Every accepted name, for suggestions and listings.
  const std::vector<std::string>& all_names() const { return names_.names(); }

 private:
  LazyEntries<ModelSpec> entries_;
  NameIndex names_;
};

// Resolves what a user typed after --model: a path to a HF config.json (anything ending in
// .json or naming an existing file) is imported; a path to a *.yaml model file is loaded;
// an Ollama tag (llama3.1:8b-instruct-q4_K_M) is its library model carrying the tag's
// quantization (model_names.hpp); anything else is looked up in the library.
ModelSpec resolve_model(const std::string& name_or_path, const ModelLibrary& library);

}  // namespace llmpo
