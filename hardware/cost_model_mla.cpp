// CostModel's MLA attention block (DeepSeek-V2/V3): the operators of hardware/mla_operators.hpp
// in the order vLLM's MLA attention runs them.
#include "cost_model.hpp"

namespace llmpo {

void CostModel::add_mla_attention_ops(double tokens, const AttentionLoad& prefill, const AttentionLoad& decode,
                                      int kind_index, std::vector<OperatorCost>& ops) const {
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

double CostModel::mla_context_time_s(const AttentionLoad& prefill, const AttentionLoad& decode) const {
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
