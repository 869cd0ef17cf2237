// libFuzzer target: arbitrary bytes through shorten_yaml_comments, checked against yaml-cpp's own
// reading of them (fuzz::yaml_comments). A text yaml-cpp reads differently once shortened
// escapes as InternalError and aborts: a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  llmpo::fuzz::yaml_comments(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
