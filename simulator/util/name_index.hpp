#pragma once
// Case-insensitive name lookup for data libraries (models, GPUs, interconnects): each entry has
// several names, no name may belong to two entries, and a miss suggests the closest names.
// A family name (H100 for the SXM, PCIe and NVL cards) may be shared by several entries: it is
// never a match, only a way to list the variants the user has to choose from.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

class NameIndex {
 public:
  // Registers `names` for entry number `entry`; throws InputError naming `file` when a name is
  // already taken by another entry.
  void add(const std::vector<std::string>& names, std::size_t entry, const std::string& file);
  // Registers `name` as a family name of entry `entry`; throws InputError naming `file` when
  // it is already an ordinary name of any entry.
  void add_family_name(const std::string& name, std::size_t entry, const std::string& file);
  std::optional<std::size_t> find(const std::string& name) const;
  // The entries that share family name `name` (in registration order); empty when none do.
  std::vector<std::size_t> family_members(const std::string& name) const;
  const std::vector<std::string>& names() const { return names_; }
  // "unknown <kind> 'x'; did you mean 'y'? (see `<listing>`)" as an InputError at key `key`.
  [[noreturn]] void throw_unknown(const std::string& kind, const std::string& key,
                                  const std::string& name, const std::string& listing) const;

 private:
  struct Owner {
    std::size_t entry;
    std::string file;
  };
  std::map<std::string, Owner> by_lowered_name_;
  std::map<std::string, std::vector<std::size_t>> family_by_lowered_name_;
  std::vector<std::string> names_;
};

// Every *.yaml file in `directory`, sorted by name so loading order is deterministic.
// Throws InputError when the folder is missing.
std::vector<std::string> yaml_files_in(const std::string& directory);

// For a library file parsed after its names were indexed (lazy loading, lazy_entries.hpp): throws
// InputError naming `file` when the names its parse gives differ from those indexed, which only
// an edit of the file while the command runs can cause; a lookup must never return an entry
// under a name it does not have.
void check_indexed_names(const std::string& file, const std::vector<std::string>& indexed,
                         const std::vector<std::string>& parsed);

}  // namespace llmpo
