#pragma once
// The entries of a data library (one file each), parsed when first used. A run names one model,
// one GPU and one interconnect; parsing the other ~60 files was most of a small run's time.
// Sweeps run on several threads and may ask for an entry at the same moment: each entry is
// parsed once (std::call_once; the other threads wait for it), and a parse that throws leaves
// the entry unparsed, so the next use throws the same error again.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "debug_log.hpp"
#include "ordered_parallel_map.hpp"
#include "text_file.hpp"

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
  // The entries parsed while indexing (index_library_files), those that were.
  void set_parsed(std::vector<std::optional<Spec>>& parsed) {
    for (std::size_t i = 0; i < parsed.size(); ++i)
      if (parsed[i]) set(i, std::move(*parsed[i]));
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

// A library's files indexed without parsing them: each file's names come from `scan(text)` (a
// read of its top-level lines), or, where the scan is unsure (nullopt), from `names_of` a parse
// `parse(text, file)` kept for its entry. `index(names, i)` adds file i's names as they come, so
// a duplicate name stops the indexing where it is found.
template <typename Spec, typename Names>
struct IndexedFiles {
  std::vector<Names> names;                 // per file
  std::vector<std::optional<Spec>> parsed;  // the files the scan could not read
};

template <typename Spec, typename Names, typename Scan, typename Parse, typename NamesOf, typename Index>
IndexedFiles<Spec, Names> index_library_files(const std::vector<std::string>& files, Scan scan, Parse parse,
                                              NamesOf names_of, Index index) {
  IndexedFiles<Spec, Names> out;
  out.names.resize(files.size());
  out.parsed.resize(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string text = read_text_file(files[i]);
    if (std::optional<Names> scanned = scan(text)) {
      out.names[i] = std::move(*scanned);
    } else {
      out.parsed[i] = parse(text, files[i]);
      out.names[i] = names_of(*out.parsed[i]);
    }
    index(out.names[i], i);
  }
  if (debug_logging() && !files.empty()) {
    const auto parsed = std::count_if(out.parsed.begin(), out.parsed.end(), [](const auto& p) { return p.has_value(); });
    debug_log("library: " + files.front().substr(0, files.front().rfind('/')) + ": " + std::to_string(files.size()) +
              " files indexed by their names (" + std::to_string(parsed) +
              " parsed to find them); the rest are parsed when first used");
  }
  return out;
}

// A library entry parsed on its first use: said at debug level (`llmperforacle --verbose`).
inline void note_parsed_entry(const std::string& file) {
  if (debug_logging()) debug_log("library: parsed " + file);
}

}  // namespace llmpo
