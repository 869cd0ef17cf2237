#pragma once
// The three data libraries of the data root, opened once per process: every name is indexed at
// once, and a file is parsed when a command first uses its entry (model_library.hpp), so a run
// parses the files of the models, GPUs and interconnects it names and no others. Listings and
// searches over every entry (gpus(), models()) parse the rest then.
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "models/model_library.hpp"

namespace llmpo {

struct Libraries {
  ModelLibrary models;
  GpuLibrary gpus;
  InterconnectLibrary interconnects;
  static Libraries load() {
    return {ModelLibrary::open_default(), GpuLibrary::open_default(), InterconnectLibrary::open_default()};
  }
};

}  // namespace llmpo
