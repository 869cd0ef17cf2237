// vLLM's block pool with prefix caching (frameworks/vllm/prefix_block_pool.hpp), driven by hand:
// the free queue's LRU order, reference counts of shared blocks, the hit cap and whole-block
// hits, a preempted request's surviving prefix, and the host-tier hook. Every count below is
// worked out from the queue drawn in the comments ([head ... tail]).
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "frameworks/vllm/prefix_block_pool.hpp"
#include "keep_evicted_tier.hpp"

using namespace llmpo;

namespace {

RequestState request_of(int64_t id, int32_t prompt, int32_t output, int32_t content_node = kNoPromptNode) {
  RequestState r;
  r.request.id = static_cast<int32_t>(id);
  r.request.prompt_tokens = prompt;
  r.request.output_tokens = output;
  r.request.content_node = content_node;
  return r;
}

}  // namespace

TEST_CASE("prefix block pool: a preempted request without content keeps the prefix later allocations did not reach") {
  PrefixBlockPool pool(10, 4);  // [never used 10]
  RequestState a = request_of(1, 20, 5), c = request_of(2, 12, 1), d = request_of(3, 16, 1), b = request_of(4, 8, 1),
               e = request_of(5, 12, 1);
  REQUIRE(pool.grow(a, 20));  // 5 blocks
  REQUIRE(pool.grow(c, 12));  // 3 blocks: [2]
  pool.free(a, true);         // [2 | A 5]
  pool.free(c, false);        // [2 | A 5 | 3]  (a finished request: nobody hits it)
  pool.check_invariants();
  CHECK(pool.free_blocks() == 10);
  CHECK(pool.match(a).gpu_blocks == 5);
  REQUIRE(pool.grow(d, 16));  // 4 blocks: the 2 unused, then A's last 2: [A 3 | 3]
  const PrefixMatch hit = pool.match(a);
  CHECK(hit.gpu_blocks == 3);
  CHECK(hit.evictable_blocks == 3);
  CHECK(hit.hit_tokens == 12);
  CHECK(pool.blocks_to_allocate(hit, 20) == 5);  // 2 new + its 3 cached, all taken from the free pool
  pool.acquire(a, hit);
  CHECK(a.allocated_blocks == 3);
  CHECK(pool.free_blocks() == 3);
  CHECK(pool.match(a).gpu_blocks == 0);
  pool.check_invariants();
  REQUIRE(pool.grow(b, 8));   // 2 of the 3: [1]
  pool.free(b, true);         // [1 | B 2]
  REQUIRE(pool.grow(e, 12));  // 3 blocks: the 1, then B's 2: B is evicted whole
  CHECK(pool.match(b).gpu_blocks == 0);
  CHECK(pool.free_blocks() == 0);
  CHECK_FALSE(pool.grow(e, 16));  // no block left, nothing changes
  CHECK(e.allocated_blocks == 3);
  pool.check_invariants();
}

TEST_CASE("prefix block pool: freed blocks are evicted least recently freed first, a request's tail before its prefix") {
  PromptTree tree;
  const int32_t a_node = tree.add(kNoPromptNode, 8), b_node = tree.add(kNoPromptNode, 8),
                c_node = tree.add(kNoPromptNode, 8), d_node = tree.add(kNoPromptNode, 16);
  const int32_t a_more = tree.add(a_node, 5);  // a follow-up of A: 13 tokens
  PrefixBlockPool pool(6, 4);
  pool.use_prompts(&tree);
  RequestState ra = request_of(1, 7, 1, a_node), rb = request_of(2, 7, 1, b_node), rc = request_of(3, 7, 1, c_node);
  // Each fills two blocks (8 tokens), both registered, then finishes; freed last block first.
  for (RequestState* r : {&ra, &rb, &rc}) {
    CHECK(pool.match(*r).gpu_blocks == 0);
    REQUIRE(pool.grow(*r, 8));
    pool.free(*r, false);
    pool.check_invariants();
  }
  // [A1 A0 B1 B0 C1 C0]: the six never-used blocks went first.
  CHECK(pool.cached_blocks() == 6);
  CHECK(pool.free_blocks() == 6);
  // A follow-up of A (prompt 12) hits A's two blocks, taking them out of the queue:
  // [B1 B0 C1 C0]; its third block evicts B1, B's tail.
  RequestState follow = request_of(4, 12, 1, a_more);
  const PrefixMatch hit = pool.match(follow);
  CHECK(hit.gpu_blocks == 2);
  CHECK(hit.evictable_blocks == 2);
  CHECK(hit.hit_tokens == 8);
  pool.acquire(follow, hit);
  REQUIRE(pool.grow(follow, 12));
  pool.check_invariants();
  RequestState b_again = request_of(5, 9, 1, b_node);  // B's first block survives its tail
  CHECK(pool.match(b_again).gpu_blocks == 1);
  // The follow-up finishes: [B0 C1 C0 F2 A1 A0]. D needs 4 blocks: B0, C1, C0, F2 go.
  pool.free(follow, false);
  RequestState rd = request_of(6, 16, 1, d_node);
  REQUIRE(pool.grow(rd, 16));
  pool.check_invariants();
  CHECK(pool.match(b_again).gpu_blocks == 0);
  const RequestState c_again = request_of(7, 8, 1, c_node), a_again = request_of(8, 12, 1, a_more);
  CHECK(pool.match(c_again).gpu_blocks == 0);
  // A, used most recently, survives whole.
  CHECK(pool.match(a_again).gpu_blocks == 2);
}

TEST_CASE("prefix block pool: a prefix shared by two running requests is held once, with a reference count") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 8);
  const int32_t user1 = tree.add(system, 6), user2 = tree.add(system, 6);  // 12 prompt + 2 output each
  PrefixBlockPool pool(10, 4);
  pool.use_prompts(&tree);
  RequestState r1 = request_of(1, 12, 2, user1), r2 = request_of(2, 12, 2, user2);
  REQUIRE(pool.grow(r1, 12));  // 3 blocks: S[0,4), S[4,8), U1[8,12), all full, all registered
  CHECK(pool.used_blocks() == 3);
  CHECK(pool.cached_blocks() == 3);
  const PrefixMatch hit = pool.match(r2);
  CHECK(hit.gpu_blocks == 2);        // the system prompt's blocks; its own message differs
  CHECK(hit.evictable_blocks == 0);  // in use by r1: no free block is spent on them
  CHECK(pool.blocks_to_allocate(hit, 12) == 1);
  pool.acquire(r2, hit);
  REQUIRE(pool.grow(r2, 12));
  CHECK(r2.allocated_blocks == 3);
  CHECK(pool.used_blocks() == 4);  // 2 shared + 1 + 1
  CHECK(pool.table_blocks() == 6);
  pool.check_invariants();
  pool.free(r1, false);            // the shared blocks stay with r2, U1's block is freed (cached)
  CHECK(pool.used_blocks() == 3);
  CHECK(pool.free_blocks() == 7);
  pool.check_invariants();
  pool.free(r2, false);
  CHECK(pool.used_blocks() == 0);
  CHECK(pool.cached_blocks() == 4);  // S0, S1, U1's and U2's blocks
  pool.check_invariants();
}

TEST_CASE("prefix block pool: hits are whole blocks, capped at one token less than the request holds") {
  PromptTree tree;
  const int32_t a = tree.add(kNoPromptNode, 10);
  const int32_t after_a = tree.add(a, 5);
  PrefixBlockPool pool(20, 4);
  pool.use_prompts(&tree);
  RequestState first = request_of(1, 9, 1, a);
  REQUIRE(pool.grow(first, 9));  // blocks [0,4) and [4,8) full; [8,9) partial, never registered
  CHECK(pool.cached_blocks() == 2);
  pool.free(first, false);
  // The same 9 tokens again: 8 of them hit (two blocks), at most 9 - 1 = 8.
  const RequestState same = request_of(2, 9, 1, a), cached_only = request_of(3, 8, 2, a),
                     longer = request_of(4, 14, 1, after_a), unnamed = request_of(5, 9, 1, a);
  CHECK(pool.match(same).hit_tokens == 8);
  // A prompt of exactly the 8 cached tokens: the hit stops at 7 tokens, so in whole blocks 4.
  CHECK(pool.match(cached_only).hit_tokens == 4);
  // A longer prompt through A: token 8 sat in a partial block, so the hit ends at 8.
  CHECK(pool.match(longer).hit_tokens == 8);
  // Without a prompt tree nothing is shared.
  pool.use_prompts(nullptr);
  CHECK(pool.match(unnamed).hit_tokens == 0);
}


TEST_CASE("prefix block pool: evicted blocks reach the host tier, which extends a later hit") {
  PromptTree tree;
  const int32_t a = tree.add(kNoPromptNode, 9), b = tree.add(kNoPromptNode, 9);
  const int32_t after_a = tree.add(a, 4);
  test::KeepEvictedTier tier;
  PrefixBlockPool pool(2, 4);
  pool.use_prompts(&tree);
  pool.set_host_tier(&tier);
  RequestState ra = request_of(1, 8, 1, a), rb = request_of(2, 8, 1, b);
  REQUIRE(pool.grow(ra, 8));
  pool.free(ra, false);       // [A1 A0]
  REQUIRE(pool.grow(rb, 8));  // evicts A1 then A0
  CHECK(tier.order == std::vector<uint64_t>{prefix_key(a, 8), prefix_key(a, 4)});
  pool.free(rb, false);
  const RequestState follow = request_of(3, 12, 1, after_a);
  const PrefixMatch hit = pool.match(follow);
  CHECK(hit.gpu_blocks == 0);
  CHECK(hit.host_blocks == 2);
  CHECK(hit.hit_tokens == 8);
}

TEST_CASE("block key index: inserts, finds and erases like a map, through long probe runs") {
  // Random keys from a small range of nodes and offsets, so that probe runs collide and wrap;
  // every operation is compared with std::map.
  BlockKeyIndex index;
  index.reserve_for(300);
  std::map<uint64_t, int32_t> reference;
  std::mt19937_64 rng(5);
  for (int op = 0; op < 20000; ++op) {
    const uint64_t key = prefix_key(static_cast<int32_t>(rng() % 40), 1 + static_cast<int64_t>(rng() % 10));
    if (rng() % 2 == 0 && static_cast<int64_t>(reference.size()) < 300) {
      const bool inserted = reference.try_emplace(key, op).second;
      REQUIRE(index.insert(key, op) == inserted);
    } else {
      REQUIRE(index.erase(key) == (reference.erase(key) == 1));
    }
    REQUIRE(index.size() == static_cast<int64_t>(reference.size()));
  }
  for (int32_t node = 0; node < 40; ++node)
    for (int64_t offset = 1; offset <= 10; ++offset) {
      const auto it = reference.find(prefix_key(node, offset));
      CHECK(index.find(prefix_key(node, offset)) == (it == reference.end() ? BlockKeyIndex::kMissing : it->second));
    }
  int64_t visited = 0;
  index.for_each([&](uint64_t key, int32_t value) {
    ++visited;
    CHECK(reference.at(key) == value);
  });
  CHECK(visited == static_cast<int64_t>(reference.size()));
  CHECK_THROWS(index.insert(0, 1));
}

TEST_CASE("prefix block pool: slots allocated past the known tokens (speculative drafts) are not cached") {
  // vLLM's allocate_slots caches min(computed + new, request.num_tokens) tokens: draft and
  // lookahead slots hold nothing verified. Prompt 8 + 8 output tokens of content, blocks of 4.
  PromptTree tree;
  const int32_t node = tree.add(kNoPromptNode, 16);
  PrefixBlockPool pool(10, 4);
  pool.use_prompts(&tree);
  RequestState r = request_of(1, 8, 8, node);
  REQUIRE(pool.grow(r, 8));  // the prompt: 2 full blocks, cached
  CHECK(pool.cached_blocks() == 2);
  r.computed_tokens = 8;
  r.generated_tokens = 1;      // 9 known tokens
  REQUIRE(pool.grow(r, 15, 9));  // verify 1 + 3 drafts and 3 lookahead slots: 4 blocks
  CHECK(r.allocated_blocks == 4);
  CHECK(pool.cached_blocks() == 2);  // block [8, 12) holds 1 known token: not full, not cached
  r.computed_tokens = 12;
  r.generated_tokens = 5;      // 3 drafts accepted + 1: 13 known tokens
  REQUIRE(pool.grow(r, 16, 13));
  CHECK(pool.cached_blocks() == 3);  // [8, 12) is now known and full
  pool.check_invariants();
}

TEST_CASE("prefix block pool: a decode run's batch grown together takes the blocks growing each in turn takes") {
  // Pools with the same history (16 blocks of 4 tokens): three running requests hold 2, 1
  // and 1 blocks, and a preempted request's run of 5 blocks sits in the free queue behind the 7
  // never-used blocks left: [7 | P 5].
  struct World {
    PrefixBlockPool pool{16, 4};
    RequestState preempted = request_of(9, 20, 4);
    std::vector<RequestState> running{request_of(1, 8, 30), request_of(2, 4, 30), request_of(3, 3, 30)};
    World() {
      REQUIRE(pool.grow(preempted, 20));     // 5 blocks: [11]
      REQUIRE(pool.grow(running[0], 8));     // 2: [9]
      REQUIRE(pool.grow(running[1], 4));     // 1: [8]
      REQUIRE(pool.grow(running[2], 4));     // 1: [7]
      pool.free(preempted, true);            // [7 | P 5]
      // A decode run of 6 steps: 8 -> 14 tokens (4 blocks), 4 -> 10 (3), 4 -> 10 (3).
      for (RequestState& r : running) r.computed_tokens = (r.request.id == 1 ? 8 : 4) + 6;
    }
    std::vector<RequestState*> batch() { return {&running[0], &running[1], &running[2]}; }
    // The decode run's growth as apply_decode_run does it: each request in its walk, then the sum.
    bool grow_together() {
      int64_t blocks = 0;
      for (RequestState* r : batch()) blocks += pool.add_grown(*r);
      return pool.take_grown(blocks);
    }
  };
  World one_by_one, together, refused;
  for (RequestState* r : one_by_one.batch()) REQUIRE(one_by_one.pool.grow(*r, r->computed_tokens));
  REQUIRE(together.grow_together());
  // 2 + 2 + 2 new blocks: the 7 never-used blocks give 6 of them, and P's run is untouched.
  for (World* w : {&one_by_one, &together}) {
    CHECK(w->running[0].allocated_blocks == 4);
    CHECK(w->running[1].allocated_blocks == 3);
    CHECK(w->running[2].allocated_blocks == 3);
    CHECK(w->pool.free_blocks() == 6);
    CHECK(w->pool.table_blocks() == 10);
    CHECK(w->pool.match(w->preempted).gpu_blocks == 5);
    w->pool.check_invariants();
  }
  // Another 12 steps: 26, 22 and 22 tokens need 3 + 3 + 3 more blocks, 9 > 6 free: refused,
  // the pool unchanged.
  REQUIRE(refused.grow_together());
  for (RequestState* r : refused.batch()) r->computed_tokens += 12;
  CHECK_FALSE(refused.grow_together());
  CHECK(refused.pool.free_blocks() == 6);
  CHECK(refused.pool.table_blocks() == 10);
  CHECK(refused.pool.match(refused.preempted).gpu_blocks == 5);
  // 4 more steps: 18, 14, 14 tokens need 1 + 1 + 1 blocks: the last never-used block, then the
  // two last of P's run (a run loses its tail first): P keeps a prefix of 3 blocks.
  for (RequestState* r : together.batch()) r->computed_tokens += 4;
  REQUIRE(together.grow_together());
  CHECK(together.running[0].allocated_blocks == 5);
  CHECK(together.pool.table_blocks() == 13);
  CHECK(together.pool.free_blocks() == 3);
  CHECK(together.pool.match(together.preempted).gpu_blocks == 3);
  together.pool.check_invariants();
}
