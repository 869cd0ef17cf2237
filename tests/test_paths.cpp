#include "test_paths.hpp"

#include "simulator/util/data_paths.hpp"

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace llmpo::test {

std::string data_dir() { return LLMPO_TEST_DATA_DIR; }
std::string traces_dir() { return data_root() + "/experiments/traces"; }
std::string measured_dir() { return data_root() + "/hardware/profiles/measured"; }
std::string binary_path() { return LLMPO_BINARY; }

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
