// libFuzzer target: arbitrary bytes as a Hugging Face config.json (`--model path/config.json`).
// A bad file must end in llmpo::InputError; any other exception (nlohmann::json's own, an
// InternalError from ModelSpec), a crash, a sanitizer report (e.g. signed overflow in the
// parameter arithmetic) or a hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/hf_config.hpp"
#include "simulator/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // Counting parameters is the first thing every command does with an imported model, and the
    // arithmetic most exposed to absurd sizes.
    const llmpo::ModelSpec model = llmpo::import_hf_config_text(text, "<fuzz>/config.json");
    (void)llmpo::count_parameters(model);
  } catch (const llmpo::InputError&) {
    // Expected for malformed input; anything else propagates to libFuzzer as a crash.
  }
  return 0;
}
