#pragma once
// LLMPerfOracle's hardware_profile (one entry per device with its peak TFLOPS, memory bytes,
// memory GB/s and SM count) turned into our `hardware:` groups: devices with the same figures
// form one group, mapped to the nearest GPU preset, with overrides where the figures differ.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hardware/gpu_library.hpp"
#include "lpo_reader.hpp"

namespace llmpo {

struct LpoGpuGroup {
  std::string name;                     // our group key: the first device's id
  std::vector<std::string> device_ids;  // upstream devices in it
  std::string preset;                   // our GPU id
  std::vector<std::string> overrides;   // "memory_gib: 536.4", in flow-mapping syntax
  std::string comment;                  // the upstream figures it came from
};

struct LpoHardware {
  std::vector<LpoGpuGroup> groups;
  std::map<std::string, std::size_t> group_of_device;  // upstream device id -> index in groups
};

LpoHardware lpo_hardware(LpoReader& reader, const YAML::Node& root, const GpuLibrary& gpus);

}  // namespace llmpo
