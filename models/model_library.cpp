#include "model_library.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "hf_config.hpp"
#include "model_file.hpp"
#include "model_names.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/ordered_parallel_map.hpp"

namespace llmpo {

namespace {

std::vector<std::string> names_of(const ModelSpec& model) {
  std::vector<std::string> names{model.id};
  if (!model.hf_id.empty()) {
    names.push_back(model.hf_id);
    const auto slash = model.hf_id.find('/');
    if (slash != std::string::npos) names.push_back(model.hf_id.substr(slash + 1));
  }
  names.insert(names.end(), model.aliases.begin(), model.aliases.end());
  return names;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ModelLibrary ModelLibrary::load(const std::string& directory) {
  ModelLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  std::vector<ModelSpec> models = ordered_parallel_map(files, [](const std::string& file) { return load_model_file(file); });
  for (std::size_t i = 0; i < files.size(); ++i) {
    library.names_.add(names_of(models[i]), library.models_.size(), files[i]);
    library.models_.push_back(std::move(models[i]));
  }
  return library;
}

ModelLibrary ModelLibrary::load_default() { return load(model_library_dir()); }

const ModelSpec* ModelLibrary::try_find(const std::string& name) const {
  const auto index = names_.find(name);
  return index ? &models_[*index] : nullptr;
}

const ModelSpec& ModelLibrary::find(const std::string& name) const {
  if (const ModelSpec* model = try_find(name)) return *model;
  if (const auto note = unpublished_model_note(name))
    throw InputError({}, "model", fmt::format("'{}' names no published model: {}", name, *note));
  try {
    names_.throw_unknown("model", "model", name, "llmperforacle list models");
  } catch (const InputError& error) {
    throw InputError(error.pos(), error.key_path(), error.message() + hf_id_import_hint(name));
  }
}

ModelSpec resolve_model(const std::string& name_or_path, const ModelLibrary& library) {
  namespace fs = std::filesystem;
  if (ends_with(name_or_path, ".json")) return import_hf_config(name_or_path);
  if (ends_with(name_or_path, ".yaml") || ends_with(name_or_path, ".yml"))
    return load_model_file(name_or_path);
  if (const ModelSpec* model = library.try_find(name_or_path)) return *model;
  // A local snapshot of a Hugging Face repository: a folder holding config.json.
  // error_code overloads: a name the OS rejects as a path (too long) is just not a folder
  // (found by fuzzing: a 300-character model name threw std::filesystem_error).
  const fs::path config = fs::path(name_or_path) / "config.json";
  std::error_code not_a_path;
  if (fs::is_directory(name_or_path, not_a_path) && fs::exists(config, not_a_path))
    return import_hf_config(config.string());
  if (auto tagged = resolve_ollama_tag(name_or_path, library)) return *tagged;
  return library.find(name_or_path);  // throws with suggestions
}

}  // namespace llmpo
