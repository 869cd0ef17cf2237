// ChunkedText hands rows on in bounded chunks (how requests.csv reaches its file without being
// built whole in memory) and DigestedOutput counts and hashes what it writes (how the manifest
// learns an output's size and SHA-256 without reading it back).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "simulator/util/chunked_text.hpp"

using namespace llmpo;

TEST_CASE("chunked text: rows go on in order, in chunks of at least the chunk size, never split") {
  std::vector<std::string> chunks;
  ChunkedText text([&](std::string_view chunk) { chunks.emplace_back(chunk); }, 25);
  std::string all;
  for (int row = 0; row < 7; ++row) {
    const std::string line = "row " + std::to_string(row) + " ...\n";  // 10 bytes
    REQUIRE(line.size() == 10);
    text.text() += line;
    all += line;
    text.end_row();
  }
  // Three rows (30 bytes) pass 25: a chunk of 30, again, then the last row when flushed.
  REQUIRE(chunks.size() == 2);
  text.flush();
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0] == all.substr(0, 30));
  CHECK(chunks[1] == all.substr(30, 30));
  CHECK(chunks[2] == all.substr(60));
  text.flush();  // nothing left: no empty chunk
  CHECK(chunks.size() == 3);
}

TEST_CASE("chunked text: without a sink the rows gather into one string") {
  ChunkedText text;
  for (int row = 0; row < 3; ++row) {
    text.text() += "a,b\n";
    text.end_row();
  }
  text.flush();
  CHECK(text.take() == "a,b\na,b\na,b\n");
}

TEST_CASE("digested output: size and SHA-256 of what was written, pieces and copied files alike") {
  std::ostringstream out;
  DigestedOutput written(out);
  written.write("a");
  written.write("bc");
  const FileDigest digest = written.digest();
  CHECK(out.str() == "abc");
  CHECK(digest.size == 3);
  CHECK(digest.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-4 "abc"

  // A million 'a' (the FIPS 180-4 long example) copied from a file after a header of nothing.
  const auto path =
      (std::filesystem::temp_directory_path() / ("llmpo-test-digested-" + std::to_string(::getpid()))).string();
  std::ofstream(path, std::ios::binary) << std::string(1000000, 'a');
  std::ostringstream copy;
  DigestedOutput copied(copy);
  REQUIRE(copied.copy_file(path));
  const FileDigest million = copied.digest();
  CHECK(copy.str() == std::string(1000000, 'a'));
  CHECK(million.size == 1000000);
  CHECK(million.sha256 == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::filesystem::remove(path);

  std::ostringstream none;
  DigestedOutput missing(none);
  CHECK_FALSE(missing.copy_file(path));  // gone: the caller says what disappeared
}
