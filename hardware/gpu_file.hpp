#pragma once
// Reads GPU data files (hardware/gpus/*.yaml, schema in hardware/README.md). The same field
// reader applies an experiment file's overrides on top of a library preset.
#include <string>
#include <vector>

#include "gpu_spec.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

GpuSpec load_gpu_file(const std::string& path);
GpuSpec parse_gpu_yaml(const std::string& text, const std::string& pretend_file);

// Reads the hardware fields present in `fields` into `gpu`. With require_all every field of the
// schema must be present (library files); otherwise only those given change (overrides).
// Identity keys (id, name, aliases, ...) are read only when require_all.
void read_gpu_fields(StrictMap& fields, GpuSpec& gpu, bool require_all);

// Every key of a GPU file's `efficiency:` map, in the order library files list them.
const std::vector<std::string>& efficiency_keys();

}  // namespace llmpo
