#pragma once
// StepShape: what the cost model needs to know about one engine step's batch, as sums over its
// sequences. Each sequence brings `cached` tokens already in the KV cache and `new_tokens`
// computed this step (a prefill chunk, or 1 for a decode). Keeping only sums makes a step's cost
// O(number of operators), whatever the batch size.
#include <algorithm>
#include <cstdint>

namespace llmpo {

// Attention work of a group of sequences, summed.
struct AttentionLoad {
  double seqs = 0;           // sequences
  double query_tokens = 0;   // sum of q (new tokens)
  double kv_tokens = 0;      // sum of kv = cached + q (tokens whose K/V are read)
  double pairs_full = 0;     // sum of q * kv: every query against every key (the seed's count)
  double pairs_causal = 0;   // sum over new tokens of the keys each one may see (causal mask)
  double max_query_tokens = 0;  // the longest q (a varlen kernel's grid is sized by it)

  void add(double q, double kv, double causal) {
    seqs += 1;
    query_tokens += q;
    kv_tokens += kv;
    pairs_full += q * kv;
    pairs_causal += causal;
    max_query_tokens = q > max_query_tokens ? q : max_query_tokens;
  }
  // `n` decodes (one new token each, so pairs = kv) whose kv add up to `kv`; the longest query
  // is left as it is, as the decode loads keep it.
  void add_decodes(double n, double kv) {
    seqs += n;
    query_tokens += n;
    kv_tokens += kv;
    pairs_full += kv;
    pairs_causal += kv;
  }
};

// Decodes summed in integers and added to a shape at once (StepShape::add_decodes below), for
// the loops over a whole batch: there the shape's doubles, written through memory on every
// request, cost more than the rest of the loop, while these sums stay in registers. The shape
// ends bit for bit as with one add_decode per request: its decode fields are sums of integers,
// which doubles add exactly, in any order, below 2^53 (a step's tokens are far below).
struct DecodeSums {
  explicit DecodeSums(int64_t window) : window_tokens(window) {}
  // A decode: one new token on `cached`.
  void add(int64_t cached) {
    ++seqs;
    kv_tokens += cached + 1;
    if (window_tokens > 0) windowed_kv_tokens += std::min(cached + 1, window_tokens);
  }
  int64_t window_tokens;
  int64_t seqs = 0;
  int64_t kv_tokens = 0;           // sum of cached + 1
  int64_t windowed_kv_tokens = 0;  // sum of min(cached + 1, window)
};

struct StepShape {
  // Full-attention layers see every cached token; sliding-window layers at most window_tokens.
  AttentionLoad prefill;           // sequences with more than one new token
  AttentionLoad decode;            // sequences with exactly one new token
  AttentionLoad prefill_windowed;  // the same, as seen by sliding-window layers
  AttentionLoad decode_windowed;
  int64_t window_tokens = 0;       // 0 = the model has no sliding window
  // Speculative decoding: draft positions the target verifies in this step (they are in
  // `prefill` as part of 1 + k token queries). Each needs its own logits row, and the drafter's
  // cost follows from them (frameworks/vllm/vllm_step_cost.hpp).
  double verify_draft_tokens = 0;
  // The verifying sequences' attention load (each 1 + k new tokens), also counted in `prefill`.
  // MLA backends run them with the decodes, in the absorbed form: vLLM raises the MLA metadata
  // builder's reorder_batch_threshold to 1 + num_speculative_tokens (spec as decode).
  AttentionLoad verify;

  explicit StepShape(int64_t window = 0) : window_tokens(window) {}

  double num_seqs() const { return prefill.seqs + decode.seqs; }
  double new_tokens() const { return prefill.query_tokens + decode.query_tokens; }

  void add_sequence(int64_t cached, int64_t new_tokens) {
    if (new_tokens == 1) {
      add_decode(cached);
      return;
    }
    const double c = static_cast<double>(cached);
    const double q = static_cast<double>(new_tokens);
    // New token j (1-based) sits at position c + j and sees c + j keys.
    const double causal = q * c + q * (q + 1) / 2;
    AttentionLoad& full = new_tokens > 1 ? prefill : decode;
    full.add(q, c + q, causal);
    if (window_tokens > 0) {
      const double w = static_cast<double>(window_tokens);
      AttentionLoad& windowed = new_tokens > 1 ? prefill_windowed : decode_windowed;
      windowed.add(q, std::min(c + q, w), windowed_causal_pairs(c, q, w));
    }
  }

  // A speculative verification: the sequence's 1 + drafts new tokens on `cached`.
  void add_verification(int64_t cached, int64_t drafts) {
    add_sequence(cached, 1 + drafts);
    const double c = static_cast<double>(cached);
    const double q = static_cast<double>(1 + drafts);
    verify.add(q, c + q, q * c + q * (q + 1) / 2);
    verify_draft_tokens += static_cast<double>(drafts);
  }

  // A decode (one new token on `cached`): the hot path of every step, with the general formula
  // specialised to q = 1 (kv = pairs = cached + 1).
  [[gnu::always_inline]] void add_decode(int64_t cached) {
    const double kv = static_cast<double>(cached + 1);
    decode.add_decodes(1, kv);
    if (window_tokens > 0) decode_windowed.add_decodes(1, std::min(kv, static_cast<double>(window_tokens)));
  }

  // The decodes of `sums`, as one add_decode each would add them.
  void add_decodes(const DecodeSums& sums) {
    if (sums.seqs == 0) return;
    const double n = static_cast<double>(sums.seqs);
    decode.add_decodes(n, static_cast<double>(sums.kv_tokens));
    if (window_tokens > 0) decode_windowed.add_decodes(n, static_cast<double>(sums.windowed_kv_tokens));
  }

  // Sum over j = 1..q of min(c + j, w).
  static double windowed_causal_pairs(double c, double q, double w) {
    if (c + q <= w) return q * c + q * (q + 1) / 2;
    if (c >= w) return q * w;
    const double below = w - c;  // tokens whose visible span is still growing
    return below * c + below * (below + 1) / 2 + (q - below) * w;
  }
};

}  // namespace llmpo
