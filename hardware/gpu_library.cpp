#include "gpu_library.hpp"

#include "gpu_file.hpp"
#include "simulator/util/data_paths.hpp"

namespace llmpo {

GpuLibrary GpuLibrary::load(const std::string& directory) {
  GpuLibrary library;
  for (const auto& file : yaml_files_in(directory)) {
    GpuSpec gpu = load_gpu_file(file);
    std::vector<std::string> names{gpu.id, gpu.name};
    names.insert(names.end(), gpu.aliases.begin(), gpu.aliases.end());
    library.names_.add(names, library.gpus_.size(), file);
    library.gpus_.push_back(std::move(gpu));
  }
  return library;
}

GpuLibrary GpuLibrary::load_default() { return load(gpu_library_dir()); }

const GpuSpec* GpuLibrary::try_find(const std::string& name) const {
  const auto index = names_.find(name);
  return index ? &gpus_[*index] : nullptr;
}

const GpuSpec& GpuLibrary::find(const std::string& name) const {
  if (const GpuSpec* gpu = try_find(name)) return *gpu;
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
