// SGLang's radix cache over content identity (frameworks/sglang/radix_cache.hpp): match lengths
// and LRU eviction of unlocked leaves, every number worked out by hand from the segment layout.
#include <catch2/catch.hpp>

#include <vector>

#include "frameworks/sglang/radix_cache.hpp"

using namespace llmpo;

namespace {

std::vector<ContentSegment> path_of(const PromptTree& tree, int32_t leaf) {
  std::vector<ContentSegment> out;
  content_segments(&tree, leaf, 0, tree.end_tokens(leaf), out);
  return out;
}

std::vector<ContentSegment> private_path(int64_t request_id, int64_t tokens) {
  std::vector<ContentSegment> out;
  content_segments(nullptr, kNoPromptNode, request_id, tokens, out);
  return out;
}

}  // namespace

TEST_CASE("sglang radix cache: match lengths after inserting three paths") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 100);  // [0, 100)
  const int32_t a = tree.add(system, 50);               // [100, 150)
  const int32_t b = tree.add(system, 30);               // [100, 130)
  const int32_t a_reply = tree.add(a, 20);              // [150, 170)
  const int32_t other = tree.add(kNoPromptNode, 40);    // [0, 40), shares nothing
  const int32_t d = tree.add(system, 10);               // [100, 110), never inserted

  RadixCache cache(&tree);
  // Three paths: system + a + reply whole (170), system + the first 20 tokens of b (120), other (40).
  CHECK(cache.insert(path_of(tree, a_reply), 170).new_tokens == 170);
  CHECK(cache.insert(path_of(tree, b), 120).new_tokens == 20);  // the 100 system tokens were cached
  CHECK(cache.insert(path_of(tree, other), 40).new_tokens == 40);
  CHECK(cache.total_tokens() == 230);
  CHECK(cache.evictable_tokens() == 230);  // nothing locked

  // system + a: its 150 tokens all lie on the first path.
  CHECK(cache.match_prefix(path_of(tree, a), 150).tokens == 150);
  // system + b: 100 shared + the 20 of b that were inserted; b's last 10 are not cached.
  CHECK(cache.match_prefix(path_of(tree, b), 130).tokens == 120);
  // system + d: only the system prompt (d's segment was never inserted).
  CHECK(cache.match_prefix(path_of(tree, d), 110).tokens == 100);
  // The limit caps the match (the scheduler leaves one token to compute): 169 of 170.
  CHECK(cache.match_prefix(path_of(tree, a_reply), 169).tokens == 169);
  CHECK(cache.match_prefix(path_of(tree, other), 39).tokens == 39);
  // A request without content shares nothing.
  CHECK(cache.match_prefix(private_path(7, 50), 50).tokens == 0);
  // Matches split edges but never change what is cached.
  CHECK(cache.total_tokens() == 230);
  // Inserting a prefix of a cached path adds nothing.
  CHECK(cache.insert(path_of(tree, a), 150).new_tokens == 0);
  CHECK_NOTHROW(cache.check_invariants());
}

TEST_CASE("sglang radix cache: eviction takes unlocked leaves least recently used first, locked ones stay") {
  RadixCache cache;
  const auto p1 = private_path(1, 10);
  const auto p2 = private_path(2, 20);
  const auto p3 = private_path(3, 30);
  cache.insert(p1, 10);
  cache.insert(p2, 20);
  const int32_t n3 = cache.insert(p3, 30).node;
  // Use p1 again: the order of last use is now p2, p3, p1.
  CHECK(cache.match_prefix(p1, 10).tokens == 10);
  cache.inc_lock_ref(n3);  // a running request holds p3
  CHECK(cache.evictable_tokens() == 30);

  // Asked for 15 slots: the least recently used unlocked leaf, p2 (20 tokens), goes.
  CHECK(cache.evict(15) == 20);
  CHECK(cache.match_prefix(p2, 20).tokens == 0);
  CHECK(cache.match_prefix(p1, 10).tokens == 10);
  // Next p1; p3 is locked, so nothing more can be evicted.
  CHECK(cache.evict(1) == 10);
  CHECK(cache.evict(100) == 0);
  CHECK(cache.total_tokens() == 30);
  CHECK(cache.match_prefix(p3, 30).tokens == 30);
  cache.dec_lock_ref(n3);
  CHECK(cache.evict(1) == 30);
  CHECK(cache.total_tokens() == 0);
  CHECK_NOTHROW(cache.check_invariants());
}

TEST_CASE("sglang radix cache: a parent whose children were evicted becomes a leaf and goes last") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 100);
  const int32_t a = tree.add(system, 50);
  const int32_t b = tree.add(system, 30);
  RadixCache cache(&tree);
  cache.insert(path_of(tree, a), 150);   // one edge [0, 150)
  cache.insert(path_of(tree, b), 130);   // splits it: system [0, 100) over a [100, 150) and b [100, 130)
  CHECK(cache.node_count() == 4);        // the root, system, a, b
  // a's part was last used when b's insert split it, before b's node was made: a, then b, and
  // then system, a leaf once both are gone.
  CHECK(cache.evict(1) == 50);
  CHECK(cache.total_tokens() == 130);
  CHECK(cache.evict(1) == 30);
  CHECK(cache.total_tokens() == 100);
  CHECK(cache.evict(1) == 100);
  CHECK(cache.total_tokens() == 0);
  CHECK_NOTHROW(cache.check_invariants());
}

TEST_CASE("sglang radix cache: locks hold a path's ancestors and survive splits") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 100);
  const int32_t a = tree.add(system, 50);
  const int32_t b = tree.add(system, 30);
  RadixCache cache(&tree);
  const int32_t held = cache.insert(path_of(tree, a), 150).node;
  cache.inc_lock_ref(held);
  CHECK(cache.evictable_tokens() == 0);
  // Another path splits the locked edge at 100: both halves stay locked.
  cache.insert(path_of(tree, b), 130);
  CHECK(cache.evictable_tokens() == 30);  // only b's own 30 tokens
  CHECK(cache.evict(1000) == 30);
  CHECK(cache.total_tokens() == 150);
  cache.dec_lock_ref(held);
  CHECK(cache.evictable_tokens() == 150);
  CHECK_NOTHROW(cache.check_invariants());
}
