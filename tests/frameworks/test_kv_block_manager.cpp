#include <catch2/catch.hpp>

#include "frameworks/kv_block_manager.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;

TEST_CASE("kv_block_manager: an allocation covers ceil(tokens / block_size) blocks and only grows") {
  KvBlockManager kv(10, 16);
  RequestState r;
  CHECK(kv.blocks_for_tokens(0) == 0);
  CHECK(kv.blocks_for_tokens(1) == 1);
  CHECK(kv.blocks_for_tokens(16) == 1);
  CHECK(kv.blocks_for_tokens(17) == 2);

  REQUIRE(kv.grow_to_cover(r, 17));
  CHECK(r.allocated_blocks == 2);
  CHECK(kv.used_blocks() == 2);
  CHECK(kv.free_blocks() == 8);
  REQUIRE(kv.grow_to_cover(r, 5));  // already covered: nothing changes
  CHECK(r.allocated_blocks == 2);
  REQUIRE(kv.grow_to_cover(r, 33));
  CHECK(r.allocated_blocks == 3);
  CHECK(kv.free_blocks() == 7);
  kv.check_invariants();
}

TEST_CASE("kv_block_manager: a growth the pool cannot hold fails and changes nothing") {
  KvBlockManager kv(4, 4);
  RequestState a;
  RequestState b;
  REQUIRE(kv.grow_to_cover(a, 12));  // 3 blocks
  CHECK_FALSE(kv.grow_to_cover(b, 8));  // needs 2, 1 free
  CHECK(b.allocated_blocks == 0);
  CHECK(kv.free_blocks() == 1);
  CHECK(kv.used_blocks() == 3);
  REQUIRE(kv.grow_to_cover(b, 4));
  CHECK(kv.free_blocks() == 0);
  kv.check_invariants();
}

TEST_CASE("kv_block_manager: freeing returns every block of the request to the pool") {
  KvBlockManager kv(8, 16);
  RequestState a;
  RequestState b;
  REQUIRE(kv.grow_to_cover(a, 40));
  REQUIRE(kv.grow_to_cover(b, 16));
  kv.free(a);
  CHECK(a.allocated_blocks == 0);
  CHECK(kv.used_blocks() == 1);
  CHECK(kv.free_blocks() == 7);
  kv.free(b);
  CHECK(kv.free_blocks() == kv.total_blocks());
  kv.check_invariants();
}

TEST_CASE("kv_block_manager: blocks created outside the manager break the invariant check") {
  KvBlockManager kv(8, 16);
  RequestState a;
  a.allocated_blocks = 3;  // never allocated through the manager
  kv.free(a);              // the pool now believes it has 11 free blocks
  CHECK_THROWS_AS(kv.check_invariants(), InternalError);
  CHECK_THROWS_WITH(kv.check_invariants(), Catch::Contains("free (11)") && Catch::Contains("total (8)"));
}

TEST_CASE("kv_block_manager: a non-positive block size is an internal error") {
  CHECK_THROWS_AS(KvBlockManager(8, 0), InternalError);
  CHECK_THROWS_AS(KvBlockManager(-1, 16), InternalError);
}
