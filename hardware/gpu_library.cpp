#include "gpu_library.hpp"

#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "gpu_file.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/yaml_key_scan.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// "H100-SXM (NVIDIA H100 SXM5 80GB, 3.35 TB/s)": the marketing name carries the memory size
// people know the variants by; the bandwidth is what separates them most for decoding.
std::string describe_variant(const GpuSpec& gpu) {
  return fmt::format("{} ({}, {:g} TB/s)", gpu.id, gpu.name, gpu.memory_bandwidth_bytes_per_s / kTB);
}

// A GPU's names: those it is found by, in indexing order, and its family names.
struct GpuNames {
  std::vector<std::string> names;
  std::vector<std::string> families;
  bool operator==(const GpuNames&) const = default;
};

GpuNames names_of(const GpuSpec& gpu) {
  GpuNames names{{gpu.id, gpu.name}, gpu.family_names};
  names.names.insert(names.names.end(), gpu.aliases.begin(), gpu.aliases.end());
  return names;
}

// The names of a GPU file's text as read_gpu_fields would read them (id and name: strings;
// aliases and family_names: lists when present); nullopt when the scan is unsure or the keys
// have another shape.
std::optional<GpuNames> scanned_names(const std::string& text) {
  const auto values = scan_top_level_values(text, {"id", "name", "aliases", "family_names"});
  if (!values) return std::nullopt;
  GpuNames names;
  for (const char* key : {"id", "name"}) {
    const auto value = values->find(key);
    if (value == values->end() || value->second.is_list) return std::nullopt;
    names.names.push_back(value->second.items.front());
  }
  for (const char* key : {"aliases", "family_names"}) {
    const auto value = values->find(key);
    if (value == values->end()) continue;
    if (!value->second.is_list) return std::nullopt;
    auto& into = std::string_view(key) == "aliases" ? names.names : names.families;
    into.insert(into.end(), value->second.items.begin(), value->second.items.end());
  }
  return names;
}

void add_names(NameIndex& index, const GpuNames& names, std::size_t entry, const std::string& file) {
  index.add(names.names, entry, file);
  for (const auto& family : names.families) index.add_family_name(family, entry, file);
}

}  // namespace

GpuLibrary GpuLibrary::load(const std::string& directory) {
  GpuLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  library.entries_ = LazyEntries<GpuSpec>(files.size(), [files](std::size_t i) { return load_gpu_file(files[i]); });
  const std::vector<GpuSpec>& gpus = library.entries_.all();  // on several threads
  for (std::size_t i = 0; i < files.size(); ++i) add_names(library.names_, names_of(gpus[i]), i, files[i]);
  return library;
}

GpuLibrary GpuLibrary::load_default() { return load(gpu_library_dir()); }

GpuLibrary GpuLibrary::open(const std::string& directory) {
  GpuLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  auto indexed = index_library_files<GpuSpec, GpuNames>(
      files, [](const std::string& text) { return scanned_names(text); },
      [](const std::string& text, const std::string& file) { return parse_gpu_yaml(text, file); },
      [](const GpuSpec& gpu) { return names_of(gpu); },
      [&](const GpuNames& names, std::size_t i) { add_names(library.names_, names, i, files[i]); });
  library.entries_ = LazyEntries<GpuSpec>(files.size(), [files, names = indexed.names](std::size_t i) {
    note_parsed_entry(files[i]);
    GpuSpec gpu = load_gpu_file(files[i]);
    const GpuNames now = names_of(gpu);
    if (now != names[i]) {
      std::vector<std::string> indexed_names = names[i].names, parsed_names = now.names;
      indexed_names.insert(indexed_names.end(), names[i].families.begin(), names[i].families.end());
      parsed_names.insert(parsed_names.end(), now.families.begin(), now.families.end());
      check_indexed_names(files[i], indexed_names, parsed_names);
    }
    return gpu;
  });
  library.entries_.set_parsed(indexed.parsed);
  return library;
}

GpuLibrary GpuLibrary::open_default() { return open(gpu_library_dir()); }

const GpuSpec* GpuLibrary::try_find(const std::string& name) const {
  if (const auto index = names_.find(name)) return &entries_.get(*index);
  // A family name with a single variant in the library names that variant.
  const std::vector<std::size_t> members = names_.family_members(name);
  return members.size() == 1 ? &entries_.get(members.front()) : nullptr;
}

const GpuSpec& GpuLibrary::find(const std::string& name) const {
  if (const GpuSpec* gpu = try_find(name)) return *gpu;
  const std::vector<std::size_t> members = names_.family_members(name);
  if (members.size() > 1) {
    std::vector<std::string> variants;
    for (const std::size_t index : members) variants.push_back(describe_variant(entries_.get(index)));
    throw InputError({}, "gpu", fmt::format("GPU '{}' is ambiguous: {}; write one of them (see `llmperforacle list gpus`)",
                                            name, join(variants, ", ")));
  }
  names_.throw_unknown("GPU", "gpu", name, "llmperforacle list gpus");
}

GpuSpec resolve_gpu(const std::string& name_or_path, const GpuLibrary& library) {
  if (const GpuSpec* gpu = library.try_find(name_or_path)) return *gpu;
  const auto dot = name_or_path.rfind('.');
  if (dot != std::string::npos && (name_or_path.substr(dot) == ".yaml" || name_or_path.substr(dot) == ".yml"))
    return load_gpu_file(name_or_path);
  return library.find(name_or_path);
}

}  // namespace llmpo
