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
  LazyEntries(std::size_t count, ParseEntry parse) : storage_(std::make_shared<Storage>(count, std::move(parse))) {}

  std::size_t size() const { return storage_->specs.size(); }

  // Entry `index`, parsed on first use; throws the parse's error.
  const Spec& get(std::size_t index) const {
    Storage& s = *storage_;
    std::call_once(s.parsed[index], [&] { s.specs[index] = s.parse(index); });
    return s.specs[index];
  }

  // Entry `index` already parsed by the caller (while building the library's name index).
  void set(std::size_t index, Spec spec) {
    Storage& s = *storage_;
    std::call_once(s.parsed[index], [&] { s.specs[index] = std::move(spec); });
  }

  // Every entry, in file order (listings, searches over all GPUs). Parses those not parsed yet,
  // on several threads; throws the error of the first failing file in file order, as a loop
  // over the files would.
  const std::vector<Spec>& all() const {
    std::call_once(storage_->all_parsed, [&] {
      std::vector<std::size_t> indices(size());
      std::iota(indices.begin(), indices.end(), std::size_t{0});
      ordered_parallel_map(indices, [&](std::size_t index) {
        get(index);
        return true;
      });
    });
    return storage_->specs;
  }

 private:
  // Shared by copies of a library: an entry, once parsed, never changes, so a copy may as well
  // see the parses the original makes (and once_flags can neither be copied nor moved).
  struct Storage {
    Storage(std::size_t count, ParseEntry parse_entry)
        : parse(std::move(parse_entry)), specs(count), parsed(std::make_unique<std::once_flag[]>(count)) {}
    ParseEntry parse;
    // Sized once; each element is written only inside its call_once, so concurrent first uses
    // of different entries write different elements and readers see them complete.
    std::vector<Spec> specs;
    std::unique_ptr<std::once_flag[]> parsed;
    std::once_flag all_parsed;
  };
  std::shared_ptr<Storage> storage_;
};

}  // namespace llmpo
