#include "name_index.hpp"

#include <algorithm>
#include <filesystem>

#include "error.hpp"
#include "text.hpp"

namespace llmpo {

void NameIndex::add(const std::vector<std::string>& names, std::size_t entry, const std::string& file) {
  for (const auto& name : names) {
    const auto [it, inserted] = by_lowered_name_.emplace(to_lower(name), Owner{entry, file});
    if (inserted) {
      names_.push_back(name);
    } else if (it->second.entry != entry) {
      throw InputError({file, 0, 0}, "aliases",
                       "name '" + name + "' is already used by " + it->second.file);
    }
  }
}

std::optional<std::size_t> NameIndex::find(const std::string& name) const {
  const auto it = by_lowered_name_.find(to_lower(name));
  if (it == by_lowered_name_.end()) return std::nullopt;
  return it->second.entry;
}

void NameIndex::throw_unknown(const std::string& kind, const std::string& key,
                              const std::string& name, const std::string& listing) const {
  std::string message = "unknown " + kind + " '" + name + "'";
  const std::string hint = did_you_mean(name, names_);
  if (!hint.empty()) message += "; " + hint;
  message += " (see `" + listing + "`)";
  throw InputError({}, key, message);
}

std::vector<std::string> yaml_files_in(const std::string& directory) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory))
    throw InputError({directory, 0, 0}, "",
                     "data folder not found (set LLMPERFORACLE_HOME to the project root)");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace llmpo
