// ChunkedText hands rows on in bounded chunks (how requests.csv reaches its file without being
// built whole in memory) and DigestedOutput counts and hashes what it writes (how the manifest
// learns an output's size and SHA-256 without reading it back); link_file_atomically puts a one-run
// experiment's saved rows file in place as its output without copying it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "simulator/util/atomic_file.hpp"
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

TEST_CASE("digested output: a copied file's expected first lines are checked and left out") {
  // How several runs' rows files, each beginning with the CSV header, go under one header.
  const auto path =
      (std::filesystem::temp_directory_path() / ("llmpo-test-skipped-" + std::to_string(::getpid()))).string();
  std::ofstream(path, std::ios::binary) << "a,b\n1,2\n3,4\n";
  std::ostringstream out;
  DigestedOutput copied(out);
  copied.write("a,b\n");
  REQUIRE(copied.copy_file(path, "a,b\n"));
  REQUIRE(copied.copy_file(path, "a,b\n"));
  CHECK(out.str() == "a,b\n1,2\n3,4\n1,2\n3,4\n");
  CHECK(copied.digest().size == 20);

  // A file that does not begin with them is a fault of the program that wrote it.
  std::ostringstream other;
  DigestedOutput refused(other);
  CHECK_THROWS_WITH(refused.copy_file(path, "x,y\n"), Catch::Contains("does not begin with the lines expected"));
  CHECK_THROWS_WITH(refused.copy_file(path, "a,b\n1,2\n3,4\n5,6\n"), Catch::Contains("is shorter than"));
  std::filesystem::remove(path);
}

TEST_CASE("link_file_atomically: the finished file gets a second name, replacing what was there") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("llmpo-test-link-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "rows.csv", std::ios::binary) << "a,b\n1,2\n";
  std::ofstream(dir / "requests.csv", std::ios::binary) << "an earlier result\n";
  REQUIRE(link_file_atomically((dir / "rows.csv").string(), (dir / "requests.csv").string()));
  CHECK(fs::equivalent(dir / "rows.csv", dir / "requests.csv"));  // one file, no byte copied
  CHECK(fs::hard_link_count(dir / "requests.csv") == 2);
  fs::remove(dir / "rows.csv");  // the saved run's folder goes; the output stays
  std::ifstream in(dir / "requests.csv", std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "a,b\n1,2\n");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // no temporary left
  CHECK_FALSE(link_file_atomically((dir / "missing.csv").string(), (dir / "other.csv").string()));
  CHECK_FALSE(fs::exists(dir / "other.csv"));
  fs::remove_all(dir);
}
