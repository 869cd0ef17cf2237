// libFuzzer target: arbitrary bytes as `--set key.path=value` overrides, one per line, on a small
// experiment with a two-axis sweep; every point is read and planned (never simulated). A bad
// override must end in llmpo::InputError. Found before this target existed: a value that aliases
// itself (`&a [*a]`) overflowed the stack, an anchor bomb of 300 bytes took 3 GB.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.hpp"
#include "simulator/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  // Loading the libraries reads ~65 YAML files: once per process, not once per input.
  const llmpo::Libraries& libraries = llmpo::fuzz::planning_libraries();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    llmpo::fuzz::experiment_set(text, libraries);
  } catch (const llmpo::InputError&) {
    // The expected outcome for a malformed override; everything else propagates and aborts.
  }
  return 0;
}
