// CostModel's MLA attention block (DeepSeek-V2/V3): the operators of hardware/mla_operators.hpp
// in the order vLLM's MLA attention runs them.
#include "cost_model.hpp"

#include <algorithm>

namespace llmpo {

namespace {

// Speculative verifications (1 + k tokens each) sit in the step's prefill load; MLA backends run
// them with the decodes in the absorbed form (vLLM: reorder_batch_threshold = 1 + k). Moves the
// verify load from the prefill side to the decode side. (MLA models have no sliding layers, so
// the full-attention verify load is the one to move.)
struct MlaLoads {
  AttentionLoad prefill;
  AttentionLoad decode;
};

MlaLoads split_verifications(const AttentionLoad& prefill, const AttentionLoad& decode, const AttentionLoad& verify) {
  MlaLoads out{prefill, decode};
  if (verify.seqs <= 0) return out;
  out.prefill.seqs -= verify.seqs;
  out.prefill.query_tokens -= verify.query_tokens;
  out.prefill.kv_tokens -= verify.kv_tokens;
  out.prefill.pairs_full -= verify.pairs_full;
  out.prefill.pairs_causal -= verify.pairs_causal;
  out.decode.seqs += verify.seqs;
  out.decode.query_tokens += verify.query_tokens;
  out.decode.kv_tokens += verify.kv_tokens;
  out.decode.pairs_full += verify.pairs_full;
  out.decode.pairs_causal += verify.pairs_causal;
  out.decode.max_query_tokens = std::max(out.decode.max_query_tokens, verify.max_query_tokens);
  return out;
}

}  // namespace

void CostModel::add_mla_attention_ops(double tokens, const AttentionLoad& all_prefill, const AttentionLoad& all_decode,
                                      const AttentionLoad& verify, int kind_index, std::vector<OperatorCost>& ops) const {
  const auto [prefill, decode] = split_verifications(all_prefill, all_decode, verify);
  const double count = static_cast<double>(layer_kinds_[static_cast<std::size_t>(kind_index)].count);
  const MlaGeometry& g = mla_;
  // The fused q_a + kv_a projection is reported as this layer's QKV projection.
  ops.push_back(make(OpKind::qkv_proj, kind_index, count, mla_qkv_a_work(g, tokens)));
  ops.push_back(make(OpKind::mla_q_up, kind_index, count, mla_q_up_work(g, tokens)));
  ops.push_back(make(OpKind::rope, kind_index, count, mla_rope_work(g, tokens)));
  // Prefills and decodes run as two attention kernels (MLACommonImpl.forward splits the batch).
  if (prefill.seqs > 0) {
    ops.push_back(make(OpKind::mla_kv_up, kind_index, count, mla_kv_up_work(g, prefill)));
    ops.push_back(make(OpKind::attention, kind_index, count, mla_prefill_attention_work(g, prefill)));
  }
  if (decode.seqs > 0) {
    ops.push_back(make(OpKind::mla_absorb, kind_index, count, mla_absorb_q_work(g, decode)));
    ops.push_back(make(OpKind::attention, kind_index, count, mla_decode_attention_work(g, decode)));
    ops.push_back(make(OpKind::mla_absorb, kind_index, count, mla_absorb_out_work(g, decode)));
  }
  ops.push_back(make(OpKind::o_proj, kind_index, count, mla_o_proj_work(g, tokens)));
}

double CostModel::mla_context_time_s(const AttentionLoad& all_prefill, const AttentionLoad& all_decode,
                                     const AttentionLoad& verify) const {
  const auto [prefill, decode] = split_verifications(all_prefill, all_decode, verify);
  const MlaGeometry& g = mla_;
  double total = 0;
  if (prefill.seqs > 0) {
    total += time_gemm(mla_kv_up_work(g, prefill), gpu_, gemm_peak_).time_s;
    total += time_attention(mla_prefill_attention_work(g, prefill), gpu_, attention_peak_).time_s;
  }
  if (decode.seqs > 0) {
    // W_UK / W_UV are 16-bit (dequantised at load): they run at the 16-bit peak.
    total += time_gemm(mla_absorb_q_work(g, decode), gpu_, attention_peak_).time_s;
    total += time_attention(mla_decode_attention_work(g, decode), gpu_, attention_peak_).time_s;
    total += time_gemm(mla_absorb_out_work(g, decode), gpu_, attention_peak_).time_s;
  }
  return total;
}

}  // namespace llmpo
