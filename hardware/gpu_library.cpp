#include "gpu_library.hpp"

#include <fmt/format.h>

#include "gpu_file.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/ordered_parallel_map.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// "H100-SXM (NVIDIA H100 SXM5 80GB, 3.35 TB/s)": the marketing name carries the memory size
// people know the variants by; the bandwidth is what separates them most for decoding.
std::string describe_variant(const GpuSpec& gpu) {
  return fmt::format("{} ({}, {:g} TB/s)", gpu.id, gpu.name, gpu.memory_bandwidth_bytes_per_s / kTB);
}

}  // namespace

GpuLibrary GpuLibrary::load(const std::string& directory) {
  GpuLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  std::vector<GpuSpec> gpus = ordered_parallel_map(files, [](const std::string& file) { return load_gpu_file(file); });
  for (std::size_t i = 0; i < files.size(); ++i) {
    GpuSpec& gpu = gpus[i];
    std::vector<std::string> names{gpu.id, gpu.name};
    names.insert(names.end(), gpu.aliases.begin(), gpu.aliases.end());
    library.names_.add(names, library.gpus_.size(), files[i]);
    for (const auto& family : gpu.family_names) library.names_.add_family_name(family, library.gpus_.size(), files[i]);
    library.gpus_.push_back(std::move(gpu));
  }
  return library;
}

GpuLibrary GpuLibrary::load_default() { return load(gpu_library_dir()); }

const GpuSpec* GpuLibrary::try_find(const std::string& name) const {
  if (const auto index = names_.find(name)) return &gpus_[*index];
  // A family name with a single variant in the library names that variant.
  const std::vector<std::size_t> members = names_.family_members(name);
  return members.size() == 1 ? &gpus_[members.front()] : nullptr;
}

const GpuSpec& GpuLibrary::find(const std::string& name) const {
  if (const GpuSpec* gpu = try_find(name)) return *gpu;
  const std::vector<std::size_t> members = names_.family_members(name);
  if (members.size() > 1) {
    std::vector<std::string> variants;
    for (const std::size_t index : members) variants.push_back(describe_variant(gpus_[index]));
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
