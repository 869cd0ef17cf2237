// BlockCount (frameworks/block_count.hpp): the KV caches' ceil(tokens / block size), by a shift
// for power-of-two sizes and by division otherwise; both must give the plain formula's count.
#include <catch2/catch.hpp>

#include <cstdint>

#include "frameworks/block_count.hpp"

using namespace llmpo;

TEST_CASE("block count: ceil(tokens / block size) for power-of-two and other block sizes") {
  CHECK(BlockCount(16).blocks_for(1) == 1);
  CHECK(BlockCount(16).blocks_for(16) == 1);
  CHECK(BlockCount(16).blocks_for(17) == 2);
  CHECK(BlockCount(16).blocks_for(0) == 0);
  CHECK(BlockCount(16).blocks_for(-5) == 0);
  CHECK(BlockCount(1).blocks_for(12345) == 12345);
  CHECK(BlockCount(12).blocks_for(25) == 3);  // not a power of two: divided
  for (const int64_t size : {1, 2, 3, 7, 16, 32, 48, 64, 100, 256, 528, 1024}) {
    const BlockCount count(size);
    CHECK(count.size_tokens() == size);
    bool all_equal = true;
    for (int64_t tokens = 1; tokens <= 5000; ++tokens) all_equal = all_equal && count.blocks_for(tokens) == (tokens + size - 1) / size;
    // Past int32: a 10M-token context or a long run's sums.
    for (const int64_t tokens : {int64_t{1} << 31, (int64_t{1} << 40) + 1, int64_t{4'611'686'018'427'387'000}})
      all_equal = all_equal && count.blocks_for(tokens) == (tokens + size - 1) / size;
    INFO("block size " << size);
    CHECK(all_equal);
  }
}
