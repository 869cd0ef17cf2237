// vLLM's free block queue as the prefix cache sees it after a preemption: reuse from the head,
// a preempted request's blocks appended and eaten from its end, its surviving prefix hit later.
#include <catch2/catch.hpp>

#include "frameworks/vllm/freed_block_queue.hpp"

using namespace llmpo;

TEST_CASE("freed block queue: a preempted request keeps the prefix that later allocations did not reach") {
  RequestState a, b;
  a.request.id = 1;
  b.request.id = 2;
  FreedBlockQueue q(10);       // [never used 10]
  q.allocate(8);               // [2]
  q.free_preempted(a, 5);      // [2 | A 5]
  q.free_unowned(3);           // [2 | A 5 | 3]  (a finished request)
  CHECK(q.free_blocks() == 10);
  CHECK(q.cached_blocks(a) == 5);
  q.allocate(4);               // the 2 unused, then A's last 2: [A 3 | 3]
  CHECK(q.cached_blocks(a) == 3);
  CHECK(q.free_blocks() == 6);
  q.check_invariants();
  CHECK(q.take(a) == 3);       // A scheduled again: its first 3 blocks are hits
  CHECK(q.cached_blocks(a) == 0);
  CHECK(q.free_blocks() == 3);
  q.free_preempted(b, 2);      // [3 | B 2]
  q.allocate(5);               // everything: B is evicted whole
  CHECK(q.cached_blocks(b) == 0);
  CHECK(q.take(b) == 0);
  CHECK(q.free_blocks() == 0);
  q.check_invariants();
  CHECK_THROWS(q.allocate(1));
}
