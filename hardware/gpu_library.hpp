#pragma once
// The GPU library: every *.yaml in hardware/gpus, found by id or alias (case-insensitive).
#include <string>
#include <vector>

#include "gpu_spec.hpp"
#include "simulator/util/lazy_entries.hpp"
#include "simulator/util/name_index.hpp"

namespace llmpo {

class GpuLibrary {
 public:
  // Parses every file now; throws InputError for a malformed file or a name two files claim.
  static GpuLibrary load(const std::string& directory);
  static GpuLibrary load_default();  // gpu_library_dir()
  // Reads every file's names (id, name, aliases, family_names) now and parses a file when its
  // GPU is first used, as ModelLibrary::open does (model_library.hpp says which errors wait).
  static GpuLibrary open(const std::string& directory);
  static GpuLibrary open_default();  // gpu_library_dir()

  // Every GPU, in file order; parses the files not parsed yet (throws the first bad one's error).
  const std::vector<GpuSpec>& gpus() const { return entries_.all(); }
  // nullptr for an unknown name and for a family name shared by several variants.
  const GpuSpec* try_find(const std::string& name) const;
  // Throws InputError "unknown GPU 'x'; did you mean ...?", or for a family name "GPU 'H100' is
  // ambiguous: H100-NVL (...), H100-PCIe (...), H100-SXM (...); write one of them".
  const GpuSpec& find(const std::string& name) const;
  const std::vector<std::string>& all_names() const { return names_.names(); }

 private:
  LazyEntries<GpuSpec> entries_;
  NameIndex names_;
};

// A library name, or a path to a GPU file (*.yaml, e.g. one written by `calibrate`).
GpuSpec resolve_gpu(const std::string& name_or_path, const GpuLibrary& library);

}  // namespace llmpo
