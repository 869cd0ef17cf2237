#pragma once
// SHA-256 (FIPS 180-4), self-contained: manifest.json and the saved runs under partial/ record
// each output file's size and digest, so readers can tell a complete set of outputs from one
// mixed by an interrupted or concurrent writer. Not used for anything secret.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmpo {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  void compress(const unsigned char* block);
  // `count` blocks: on the CPU's SHA instructions where it has them, else one by one.
  void compress_blocks(const unsigned char* blocks, std::size_t count);

  std::array<uint32_t, 8> state_{};
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

std::string sha256_hex(std::string_view text);

// A file's size and SHA-256, read in chunks (outputs can be gigabytes).
struct FileDigest {
  uint64_t size = 0;
  std::string sha256;
};
// Throws InputError naming the path when the file cannot be read.
FileDigest digest_file(const std::string& path);

}  // namespace llmpo
