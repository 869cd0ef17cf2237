#pragma once
// Collecting every input error of a file in one pass, so that a user fixes them all at once
// instead of one per run. A reader in "collect" mode records an error and carries on with the
// next key or section; whatever it returns after an error is never simulated, because the
// caller throws all recorded errors (InputErrors) before anything runs.
#include <cstddef>
#include <string>
#include <vector>

#include "error.hpp"

namespace llmpo {

// Thrown by a collecting reader after it recorded an error that leaves the current section
// unreadable (a missing required key, a value the rest depends on). It carries nothing: the
// error is already in the Diagnostics; Diagnostics::attempt() swallows it.
struct AbandonedSection {};

class Diagnostics {
 public:
  // At most this many distinct errors are kept; the rest are counted in `dropped()`.
  static constexpr std::size_t kMaxErrors = 50;

  // Records an error unless one with the same text is already there (a sweep reads the same
  // section once per point: its errors are reported once).
  void add(const InputError& error);
  std::size_t count() const { return errors_.size() + dropped_; }
  // Errors reported so far, repeats included. Whether a section failed is a change in this, not
  // in count(): a sweep point repeating an earlier point's error adds nothing to count(), and
  // was then taken for valid (its unresolved model planned as a model of 0 layers).
  std::size_t reported() const { return reported_; }
  bool empty() const { return count() == 0; }
  bool full() const { return errors_.size() >= kMaxErrors; }
  std::size_t dropped() const { return dropped_; }
  const std::vector<InputError>& errors() const { return errors_; }

  // Runs one independent section; an InputError it throws is recorded and an AbandonedSection
  // ends it quietly. True when the section reported no error, not even a repeated one.
  template <typename Section>
  bool attempt(Section&& section) {
    const std::size_t before = reported();
    try {
      section();
    } catch (const InputError& error) {
      add(error);
    } catch (const AbandonedSection&) {
    }
    return reported() == before;
  }

  // Throws InputErrors with every recorded error; does nothing when there are none.
  void throw_if_any() const;

 private:
  std::vector<InputError> errors_;
  std::size_t dropped_ = 0;
  std::size_t reported_ = 0;
};

}  // namespace llmpo
