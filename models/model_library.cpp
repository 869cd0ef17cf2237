#include "model_library.hpp"

#include <filesystem>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "hf_config.hpp"
#include "model_file.hpp"
#include "model_names.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/yaml_key_scan.hpp"

namespace llmpo {

namespace {

// The names a model is found by, in the order they are indexed (the first holder of a name
// keeps it, and "did you mean" lists names in this order).
std::vector<std::string> names_of(const std::string& id, const std::string& hf_id, const std::vector<std::string>& aliases) {
  std::vector<std::string> names{id};
  if (!hf_id.empty()) {
    names.push_back(hf_id);
    const auto slash = hf_id.find('/');
    if (slash != std::string::npos) names.push_back(hf_id.substr(slash + 1));
  }
  names.insert(names.end(), aliases.begin(), aliases.end());
  return names;
}

std::vector<std::string> names_of(const ModelSpec& model) { return names_of(model.id, model.hf_id, model.aliases); }

// The names of a model file's text as parse_model_yaml would read them (id: a string; hf_id: a
// string when present; aliases: a list when present); nullopt when the scan is unsure or the
// keys have another shape, which only the parse can report.
std::optional<std::vector<std::string>> scanned_names(const std::string& text) {
  const auto values = scan_top_level_values(text, {"id", "hf_id", "aliases"});
  if (!values) return std::nullopt;
  const auto id = values->find("id"), hf_id = values->find("hf_id"), aliases = values->find("aliases");
  if (id == values->end() || id->second.is_list || id->second.items.front().empty()) return std::nullopt;
  if (hf_id != values->end() && hf_id->second.is_list) return std::nullopt;
  if (aliases != values->end() && !aliases->second.is_list) return std::nullopt;
  return names_of(id->second.items.front(), hf_id == values->end() ? "" : hf_id->second.items.front(),
                  aliases == values->end() ? std::vector<std::string>{} : aliases->second.items);
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ModelLibrary ModelLibrary::load(const std::string& directory) {
  ModelLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  library.entries_ = LazyEntries<ModelSpec>(files.size(), [files](std::size_t i) { return load_model_file(files[i]); });
  const std::vector<ModelSpec>& models = library.entries_.all();  // on several threads
  for (std::size_t i = 0; i < files.size(); ++i) library.names_.add(names_of(models[i]), i, files[i]);
  return library;
}

ModelLibrary ModelLibrary::load_default() { return load(model_library_dir()); }

ModelLibrary ModelLibrary::open(const std::string& directory) {
  ModelLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  auto indexed = index_library_files<ModelSpec, std::vector<std::string>>(
      files, [](const std::string& text) { return scanned_names(text); },
      [](const std::string& text, const std::string& file) { return parse_model_yaml(text, file); },
      [](const ModelSpec& model) { return names_of(model); },
      [&](const std::vector<std::string>& names, std::size_t i) { library.names_.add(names, i, files[i]); });
  library.entries_ = LazyEntries<ModelSpec>(files.size(), [files, names = indexed.names](std::size_t i) {
    note_parsed_entry(files[i]);
    ModelSpec model = load_model_file(files[i]);
    check_indexed_names(files[i], names[i], names_of(model));
    return model;
  });
  library.entries_.set_parsed(indexed.parsed);
  return library;
}

ModelLibrary ModelLibrary::open_default() { return open(model_library_dir()); }

const ModelSpec* ModelLibrary::try_find(const std::string& name) const {
  const auto index = names_.find(name);
  return index ? &entries_.get(*index) : nullptr;
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
