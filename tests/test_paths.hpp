#pragma once
// Absolute paths to test inputs, baked in by tests/CMakeLists.txt.
#include <string>

namespace llmpo::test {

std::string data_dir();     // tests/data
std::string traces_dir();    // experiments/traces: the request traces the project ships
std::string measured_dir();  // hardware/profiles/measured: measured kernel and serving data
std::string binary_path();  // the built llmperforacle executable

// Runs a shell command, returning its exit code and combined stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);

}  // namespace llmpo::test
