#include "diagnostics.hpp"

#include <algorithm>

namespace llmpo {

void Diagnostics::add(const InputError& error) {
  ++reported_;
  const std::string text = error.what();
  const bool seen = std::any_of(errors_.begin(), errors_.end(),
                                [&](const InputError& e) { return text == e.what(); });
  if (seen) return;
  if (full()) {
    ++dropped_;
    return;
  }
  errors_.push_back(error);
}

void Diagnostics::throw_if_any() const {
  if (empty()) return;
  if (errors_.size() == 1 && dropped_ == 0) throw errors_.front();
  throw InputErrors(errors_, dropped_);
}

}  // namespace llmpo
