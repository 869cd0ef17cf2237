#pragma once
// The attention time of a pure-decode step (no prefill chunk in the batch), the case of nearly
// every step of a serving run: time_attention(attention_work(g, {}, decode, accounting), gpu,
// peak).time_s, bit for bit, with every term that depends only on the model, the GPU and the
// accounting computed once. A decode run prices thousands of consecutive steps of one batch
// whose only change is the context length; building the general OperatorWork and walking the
// prefill and mixed-batch branches for each cost about as much as the rest of the step.
//
// Each formula below is kernel_timing.cpp's, term for term and in the same order of operations
// (floating-point addition is not associative): tests/hardware/test_decode_attention.cpp checks
// equality with the general path on every GPU preset. Change both together.
#include "gpu_spec.hpp"
#include "operators.hpp"
#include "step_shape.hpp"

namespace llmpo {

class DecodeAttentionTimer {
 public:
  DecodeAttentionTimer() = default;
  DecodeAttentionTimer(const LayerGeometry& g, const GpuSpec& gpu, double peak_flops_per_s, Accounting accounting);

  // One attention call over `decode` (every sequence one new token; seqs > 0), no prefill.
  double time_s(const AttentionLoad& decode) const;

 private:
  // attention_work's per-sequence terms.
  bool seed_accounting_ = false;
  double q_dim_ = 0, kv_dim_ = 0, act_bytes_ = 0, kv_bytes_ = 0;
  double seed_q_factor_ = 0;  // 2 q_dim - 1
  double kv_heads_ = 0;
  // time_attention's constants.
  double rate_ = 0;              // peak x attention_prefill_compute
  double empty_prefill_s_ = 0;   // the prefill terms of an empty prefill (0 / rate + 0 / bandwidth)
  double per_seq_s_ = 0;
  double decode_latency_s_ = 0;
  bool tile_overhead_ = false;   // attention_decode_cta_overhead and SMs both positive
  double tile_overhead_s_ = 0;   // attention_decode_cta_overhead_s
  // decode_stream_time_s's constants.
  double hbm_bytes_per_s_ = 0;   // BW x attention_decode_bandwidth
  bool cta_model_ = false;       // attention_decode_cta_bandwidth and SMs both positive
  double sms_ = 0;
  double block_tokens_ = 1;      // max(1, attention_decode_block_tokens)
  double max_splits_ = 0, ctas_per_seq_ = 0;
  double per_cta_bytes_per_s_ = 0;
  double pair_cost_s_ = 0;       // attention_decode_token_cost_s + one pair's tensor-core time
};

}  // namespace llmpo
