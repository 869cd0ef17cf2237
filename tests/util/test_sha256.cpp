// The self-contained SHA-256 behind manifest.json's file hashes, against the FIPS 180-4 /
// NIST example digests (including messages that end on and across block boundaries).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "simulator/util/error.hpp"
#include "simulator/util/sha256.hpp"
#include "simulator/util/sha256_x86.hpp"

using namespace llmpo;

TEST_CASE("sha256: the NIST example digests") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: fed in pieces gives the digest of the whole") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
  for (std::size_t piece : {1u, 7u, 55u, 56u, 63u, 64u, 65u, 200u}) {
    INFO("piece " << piece);
    Sha256 hash;
    for (std::size_t at = 0; at < text.size(); at += piece) hash.update(std::string_view(text).substr(at, piece));
    CHECK(hash.hex_digest() == sha256_hex(text));
  }
  CHECK(sha256_hex(text) != sha256_hex(text.substr(1)));
}

TEST_CASE("sha256: a file's size and digest, and an unreadable file is an input error") {
  const auto path = std::filesystem::temp_directory_path() / ("llmpo-sha256-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << "abc";
  const FileDigest digest = digest_file(path.string());
  CHECK(digest.size == 3);
  CHECK(digest.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::filesystem::remove(path);
  CHECK_THROWS_AS(digest_file(path.string()), InputError);
}

TEST_CASE("sha256: the portable code and the CPU's SHA instructions (where present) give the same digests") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += static_cast<char>((i * 131 + i / 7) % 256);
  for (const bool extensions : {false, true}) {
    INFO("CPU extensions " << (extensions ? "on (where the CPU has them)" : "off"));
    set_sha256_cpu_extensions(extensions);
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
  // Every length across several blocks, and pieces that leave bytes buffered between blocks.
  for (std::size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 127u, 128u, 129u, 1000u, 4999u, 5000u}) {
    INFO("length " << length);
    set_sha256_cpu_extensions(false);
    const std::string portable = sha256_hex(std::string_view(text).substr(0, length));
    set_sha256_cpu_extensions(true);
    CHECK(sha256_hex(std::string_view(text).substr(0, length)) == portable);
    Sha256 pieces;
    for (std::size_t at = 0; at < length; at += 100)
      pieces.update(std::string_view(text).substr(at, std::min<std::size_t>(100, length - at)));
    CHECK(pieces.hex_digest() == portable);
  }
  set_sha256_cpu_extensions(true);
}
