// libFuzzer target: arbitrary bytes as an experiment file, read and planned (never simulated).
// A bad file must end in llmpo::InputError; anything else that escapes - another exception, a
// crash, a sanitizer report, a hang or a huge allocation (libFuzzer's -timeout/-rss_limit_mb) -
// is a bug, because `llmperforacle run/validate` would report it as an internal error or die.
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
    llmpo::fuzz::experiment_yaml(text, libraries);
  } catch (const llmpo::InputError&) {
    // The expected outcome for a malformed experiment; everything else propagates and aborts.
  }
  return 0;
}
