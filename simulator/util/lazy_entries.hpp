#pragma once
// The entries of a data library (one file each), parsed when first used. A run names one model,
// one GPU and one interconnect; parsing the other ~60 files was most of a small run's time.
// Sweeps run on several threads and may ask for an entry at the same moment: each entry is
// parsed once (std::call_once; the other threads wait for it), and a parse that throws leaves
// the entry unparsed, so the next use throws the same error again.
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

#include "ordered_parallel_map.hpp"

namespace llmpo {

template <typename Spec>
class LazyEntries {
 public:
  using ParseEntry = std::function<Spec(std::size_t index)>;

  LazyEntries() : LazyEntries(0, {}) {}
  LazyEntries(std::size_t count, ParseEntry parse)
      : parse_(std::move(parse)), specs_(count), state_(std::make_unique<State>(count)) {}

  std::size_t size() const { return specs_.size(); }

  // Entry `index`, parsed on first use; throws the parse's error.
  const Spec& get(std::size_t index) const {
    std::call_once(state_->parsed[index], [&] { specs_[index] = parse_(index); });
    return specs_[index];
  }

  // Entry `index` already parsed by the caller (while building the library's name index).
  void set(std::size_t index, Spec spec) {
    std::call_once(state_->parsed[index], [&] { specs_[index] = std::move(spec); });
  }

  // Every entry, in file order (listings, searches over all GPUs). Parses those not parsed yet,
  // on several threads; throws the error of the first failing file in file order, as a loop
  // over the files would.
  const std::vector<Spec>& all() const {
    std::call_once(state_->all_parsed, [&] {
      std::vector<std::size_t> indices(size());
      std::iota(indices.begin(), indices.end(), std::size_t{0});
      ordered_parallel_map(indices, [&](std::size_t index) {
        get(index);
        return true;
      });
    });
    return specs_;
  }

 private:
  struct State {
    explicit State(std::size_t count) : parsed(std::make_unique<std::once_flag[]>(count)) {}
    std::unique_ptr<std::once_flag[]> parsed;
    std::once_flag all_parsed;
  };
  ParseEntry parse_;
  // Sized once; each element is written only inside its call_once, so concurrent first uses of
  // different entries write different elements and readers see them complete.
  mutable std::vector<Spec> specs_;
  std::unique_ptr<State> state_;  // once_flags cannot move; the library can
};

}  // namespace llmpo
