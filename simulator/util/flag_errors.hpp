#pragma once
// Errors restated at the command-line flag that caused them. The libraries name what they
// resolve by its experiment-file key ("gpu: GPU 'H100' is ambiguous ..."), which is right in a
// file; on the command line the user typed --gpu, so the message should start there.
#include <string>
#include <utility>

#include "error.hpp"

namespace llmpo {

// Runs resolve(); an InputError it throws without a file position (a library lookup: unknown,
// ambiguous) is thrown again keyed by `flag`. Errors inside a file the flag named (a config.json,
// a GPU file) keep their file:line.
template <class Resolve>
auto at_flag(const std::string& flag, Resolve&& resolve) -> decltype(std::forward<Resolve>(resolve)()) {
  try {
    return std::forward<Resolve>(resolve)();
  } catch (const InputErrors&) {
    throw;
  } catch (const InputError& error) {
    if (!error.pos().file.empty()) throw;
    throw InputError({}, flag, error.message());
  }
}

}  // namespace llmpo
