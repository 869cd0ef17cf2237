#include "name_index.hpp"

#include <algorithm>
#include <filesystem>

#include "error.hpp"
#include "text.hpp"

namespace llmpo {

void NameIndex::add(const std::vector<std::string>& names, std::size_t entry, const std::string& file) {
  for (const auto& name : names) {
    if (family_by_lowered_name_.count(to_lower(name)) > 0)
      throw InputError({file, 0, 0}, "aliases", "name '" + name + "' is already a family name of other entries");
    const auto [it, inserted] = by_lowered_name_.emplace(to_lower(name), Owner{entry, file});
    if (inserted) {
      names_.push_back(name);
    } else if (it->second.entry != entry) {
      throw InputError({file, 0, 0}, "aliases",
                       "name '" + name + "' is already used by " + it->second.file);
    }
  }
}

void NameIndex::add_family_name(const std::string& name, std::size_t entry, const std::string& file) {
  const std::string lowered = to_lower(name);
  if (const auto it = by_lowered_name_.find(lowered); it != by_lowered_name_.end())
    throw InputError({file, 0, 0}, "family_names",
                     "family name '" + name + "' is already an ordinary name of " + it->second.file);
  std::vector<std::size_t>& members = family_by_lowered_name_[lowered];
  if (std::find(members.begin(), members.end(), entry) == members.end()) members.push_back(entry);
}

std::vector<std::size_t> NameIndex::family_members(const std::string& name) const {
  const auto it = family_by_lowered_name_.find(to_lower(name));
  return it == family_by_lowered_name_.end() ? std::vector<std::size_t>{} : it->second;
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

void check_indexed_names(const std::string& file, const std::vector<std::string>& indexed,
                         const std::vector<std::string>& parsed) {
  if (indexed == parsed) return;
  throw InputError({file, 0, 0}, "",
                   "the names read from this file when the library was opened (" + join(indexed) +
                       ") differ from those it gives now (" + join(parsed) +
                       "); was it edited while the command ran? Run the command again");
}

}  // namespace llmpo
