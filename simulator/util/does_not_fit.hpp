#pragma once
// A deployment given on the command line that does not fit its GPUs' memory (`memory`, `bench`,
// `step`, `replay`): not a malformed input but a "no" to the question asked, so scripts can
// tell it from a typo by its exit code. what() is the verdict and the flags that would make it
// fit. Not an InputError on purpose: it is not collected with a file's input errors (an
// experiment file's deployment that does not fit is an input error at its line instead).
#include <stdexcept>

namespace llmpo {

inline constexpr int kExitDoesNotFit = 3;  // beside error.hpp's ExitCode: 2 stays "bad input"

class DoesNotFit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace llmpo
