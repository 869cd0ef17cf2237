// libFuzzer target: arbitrary bytes as a vLLM benchmark result JSON (`replay FILE`). A bad file
// must end in llmpo::InputError; nlohmann::json's own exceptions, a wrapped token count or a
// start time past the simulated clock are bugs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.hpp"
#include "simulator/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    llmpo::fuzz::vllm_result(text);
  } catch (const llmpo::InputError&) {
    // Expected for malformed input; anything else propagates to libFuzzer as a crash.
  }
  return 0;
}
