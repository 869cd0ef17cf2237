#pragma once
// Text made row by row and handed on in bounded chunks: a run's requests.csv rows (about 150
// bytes a request, 150 MB for a million) go to their file as they are formatted instead of being
// built whole in memory first. Without a sink the text simply accumulates (one string, for the
// callers that need it whole: tests; MPI ranks stream their rows too, run_stream.hpp).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "sha256.hpp"

namespace llmpo {

class ChunkedText {
 public:
  using Sink = std::function<void(std::string_view chunk)>;
  // About 1 MiB: large enough that each write is cheap, small enough not to matter in memory.
  static constexpr std::size_t kDefaultChunkBytes = std::size_t{1} << 20;

  explicit ChunkedText(Sink sink = {}, std::size_t chunk_bytes = kDefaultChunkBytes);

  // Append a row here, then call end_row().
  std::string& text() { return text_; }
  // Hands the text to the sink once a chunk's worth has gathered (never splits a row).
  void end_row() {
    if (sink_ && text_.size() >= chunk_bytes_) flush();
  }
  // Hands what is left to the sink (call once the last row is in).
  void flush();
  // Without a sink: the whole text.
  std::string take() { return std::move(text_); }

 private:
  Sink sink_;
  std::size_t chunk_bytes_;
  std::string text_;
};

// An ostream that counts and hashes what goes through it, so a file's size and SHA-256 are known
// when it is written, without reading it back.
class DigestedOutput {
 public:
  explicit DigestedOutput(std::ostream& out) : out_(out) {}
  void write(std::string_view chunk);
  // Copies a file's content through, in chunks; false when it cannot be opened. Throws InputError
  // naming `path` when reading it fails part-way. The file must begin with `skipped`, which is
  // not copied (InternalError otherwise).
  bool copy_file(const std::string& path, std::string_view skipped = {});
  // The size and SHA-256 of everything written; the object is spent afterwards.
  FileDigest digest();

 private:
  std::ostream& out_;
  Sha256 hash_;
  uint64_t size_ = 0;
};

}  // namespace llmpo
