#pragma once
// Typed errors. Library code throws these and never calls exit(); main() turns them into one
// clear line on stderr and an exit code (2 = bad input, 1 = internal error).
#include <stdexcept>
#include <string>
#include <vector>

namespace llmpo {

// Where in an input file a problem sits. line and column are 1-based; 0 means "unknown".
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", "file:line" or "file" - whatever is known.
  std::string to_string() const;
};

// Bad input from the user: a data file, an experiment file or a command-line argument.
// what() reads "<file:line:col>: <key.path>: <message>" with the parts that are known.
class InputError : public std::runtime_error {
 public:
  InputError(SourcePos pos, std::string key_path, std::string message);
  explicit InputError(std::string message) : InputError({}, "", std::move(message)) {}

  const SourcePos& pos() const { return pos_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  SourcePos pos_;
  std::string key_path_;
  std::string message_;
};

// Several input errors found in one pass over a file (see diagnostics.hpp). The base holds the
// first; what() lists them all, one per line; run_cli prints each as its own "error:" line.
class InputErrors : public InputError {
 public:
  InputErrors(std::vector<InputError> errors, std::size_t dropped);
  const std::vector<InputError>& errors() const { return errors_; }
  std::size_t dropped() const { return dropped_; }  // beyond the ones kept
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::vector<InputError> errors_;
  std::size_t dropped_ = 0;
  std::string text_;
};

// A broken internal invariant: a bug in LLMPerfOracle, never the user's fault.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The user stopped a command (Ctrl-C, SIGTERM); what() says what was kept and how to go on.
class StoppedByUser : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Process exit codes, documented in the README. 130 = 128 + SIGINT, as shells report it.
enum ExitCode : int { kExitOk = 0, kExitInternalError = 1, kExitBadInput = 2, kExitInterrupted = 130 };

}  // namespace llmpo
