#pragma once
// Model names as users type them, beyond the library's own names (model_library.hpp):
// - Ollama tags, `family:size[-variant][-quantization]` (llama3.1:8b-instruct-q4_K_M): the
//   library model of `family:size`, carrying the weight quantization the suffix names, which a
//   deployment then applies (deployment_quantization);
// - `family:size` names of models that were never published (the AI-Flux seed lists
//   llama3.2:7b and mistral-large:33b): an error naming the nearest published model.
#include <optional>
#include <string>

#include "model_library.hpp"

namespace llmpo {

// The library model an Ollama tag names, with typed_tag and tag_quantization set; nullopt when
// `name` has no `family:size-...` shape. Throws InputError when the tag's base names no library
// model, or a variant word names another build than the library's (a version it is not).
std::optional<ModelSpec> resolve_ollama_tag(const std::string& name, const ModelLibrary& library);

// For a `family:size` that names no published model: why, and the nearest published model and
// how to write it. nullopt for every other name.
std::optional<std::string> unpublished_model_note(const std::string& name);

// The hint for an unknown `org/name` (a Hugging Face id the library lacks): how to import its
// config.json on the command line and in an experiment file. "" for names of another shape.
std::string hf_id_import_hint(const std::string& name);

// The weight quantization of a deployment: `explicit_quantization` (the CLI's --quantization,
// an experiment's `quantization:` key) when given, else the one the model's tag names, else
// "none". Returns a quantization_schemes() name. Throws InputError (key "quantization") when
// both are given and differ: a q4_K_M tag deployed as awq is a contradiction, not a choice.
std::string deployment_quantization(const ModelSpec& model, const std::optional<std::string>& explicit_quantization);

}  // namespace llmpo
