#include "chunked_text.hpp"

#include <algorithm>

#include "error.hpp"
#include "text_file.hpp"

namespace llmpo {

ChunkedText::ChunkedText(Sink sink, std::size_t chunk_bytes) : sink_(std::move(sink)), chunk_bytes_(chunk_bytes) {
  // A row never straddles two chunks, so the buffer ends a little past one chunk.
  if (sink_) text_.reserve(chunk_bytes_ + 4096);
}

void ChunkedText::flush() {
  if (!sink_ || text_.empty()) return;
  sink_(text_);
  text_.clear();  // keeps the capacity: one buffer for the whole file
}

void DigestedOutput::write(std::string_view chunk) {
  out_.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  hash_.update(chunk);
  size_ += chunk.size();
}

bool DigestedOutput::copy_file(const std::string& path, std::string_view skipped) {
  std::size_t matched = 0;  // of `skipped`, so far
  const bool opened = for_each_file_chunk(path, [&](std::string_view chunk) {
    const std::size_t n = std::min(chunk.size(), skipped.size() - matched);
    if (chunk.substr(0, n) != skipped.substr(matched, n))
      throw InternalError("results: " + path + " does not begin with the lines expected there");
    matched += n;
    chunk.remove_prefix(n);
    if (!chunk.empty()) write(chunk);
  });
  if (opened && matched != skipped.size())
    throw InternalError("results: " + path + " is shorter than the lines expected at its beginning");
  return opened;
}

FileDigest DigestedOutput::digest() { return {size_, hash_.hex_digest()}; }

}  // namespace llmpo
