// StepShape's decode sums: a batch's decodes summed in integers and added at once
// (DecodeSums, the schedulers' hot loops) give the shape that one add_decode per request gives,
// bit for bit, with and without a sliding window.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "hardware/step_shape.hpp"

using namespace llmpo;

namespace {

bool same_bits(const AttentionLoad& a, const AttentionLoad& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_bits(const StepShape& a, const StepShape& b) {
  return same_bits(a.prefill, b.prefill) && same_bits(a.decode, b.decode) &&
         same_bits(a.prefill_windowed, b.prefill_windowed) && same_bits(a.decode_windowed, b.decode_windowed) &&
         same_bits(a.verify, b.verify) && a.verify_draft_tokens == b.verify_draft_tokens && a.window_tokens == b.window_tokens;
}

}  // namespace

TEST_CASE("step shape: decodes summed in integers equal one add_decode each, bit for bit") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t window = trial % 3 == 0 ? 0 : static_cast<int64_t>(rng() % 8192 + 1);
    StepShape one_by_one(window), summed(window);
    // A prefill chunk first, as a step may hold one: the sums add to what is there.
    const auto prefill_cached = static_cast<int64_t>(rng() % 1000);
    one_by_one.add_sequence(prefill_cached, 512);
    summed.add_sequence(prefill_cached, 512);
    DecodeSums sums(window);
    const int batch = static_cast<int>(rng() % 1024);
    for (int i = 0; i < batch; ++i) {
      // Contexts up to 10^7 tokens: the sums reach ~10^10, far inside doubles' exact integers.
      const auto cached = static_cast<int64_t>(rng() % 10'000'000);
      one_by_one.add_decode(cached);
      sums.add(cached);
    }
    summed.add_decodes(sums);
    INFO("trial " << trial << ", window " << window << ", batch " << batch);
    CHECK(same_bits(one_by_one, summed));
    CHECK(summed.decode.seqs == batch);
  }
}

TEST_CASE("step shape: decode sums worked by hand") {
  // Contexts 9 and 99 with a 50-token window: kv 10 and 100, seen 10 and 50.
  StepShape shape(50);
  DecodeSums sums(50);
  sums.add(9);
  sums.add(99);
  shape.add_decodes(sums);
  CHECK(shape.decode.seqs == 2);
  CHECK(shape.decode.query_tokens == 2);
  CHECK(shape.decode.kv_tokens == 110);
  CHECK(shape.decode.pairs_full == 110);
  CHECK(shape.decode.pairs_causal == 110);
  CHECK(shape.decode_windowed.kv_tokens == 60);
  CHECK(shape.decode_windowed.pairs_causal == 60);
  CHECK(shape.decode.max_query_tokens == 0);  // as add_decode leaves it
  CHECK(shape.prefill.seqs == 0);
}
