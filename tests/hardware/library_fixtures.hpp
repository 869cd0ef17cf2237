#pragma once
// The three data libraries, each loaded once per test process, for the hardware tests.
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "models/model_library.hpp"

namespace llmpo::test {

inline const ModelLibrary& models() {
  static const ModelLibrary library = ModelLibrary::load_default();
  return library;
}

inline const GpuLibrary& gpus() {
  static const GpuLibrary library = GpuLibrary::load_default();
  return library;
}

inline const InterconnectLibrary& links() {
  static const InterconnectLibrary library = InterconnectLibrary::load_default();
  return library;
}

}  // namespace llmpo::test
