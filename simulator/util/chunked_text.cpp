#include "chunked_text.hpp"

#include <fstream>
#include <vector>

#include "error.hpp"

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

bool DigestedOutput::copy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<char> chunk(ChunkedText::kDefaultChunkBytes);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    write(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) throw InputError({path, 0, 0}, "", "reading the file failed");
  return true;
}

FileDigest DigestedOutput::digest() { return {size_, hash_.hex_digest()}; }

}  // namespace llmpo
