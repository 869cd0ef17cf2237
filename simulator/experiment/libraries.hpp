#pragma once
// The three data libraries, loaded once per process from the data root.
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "models/model_library.hpp"

namespace llmpo {

struct Libraries {
  ModelLibrary models;
  GpuLibrary gpus;
  InterconnectLibrary interconnects;
  static Libraries load() {
    return {ModelLibrary::load_default(), GpuLibrary::load_default(), InterconnectLibrary::load_default()};
  }
};

}  // namespace llmpo
