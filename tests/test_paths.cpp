#include "test_paths.hpp"

#include "simulator/util/data_paths.hpp"

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace llmpo::test {

// Held in statics: a string built from the literal at each call site, then appended to, makes
// GCC 12 at -O3 with LTO warn falsely (-Wstringop-overread on the 16-byte SSO buffer).
std::string data_dir() {
  static const std::string dir = LLMPO_TEST_DATA_DIR;
  return dir;
}
std::string traces_dir() { return data_root() + "/experiments/traces"; }
std::string measured_dir() { return data_root() + "/hardware/profiles/measured"; }
std::string binary_path() {
  static const std::string path = LLMPO_BINARY;
  return path;
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), count);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace llmpo::test
