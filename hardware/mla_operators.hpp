#pragma once
// Multi-head latent attention (DeepSeek-V2/V3) priced the way vLLM runs it
// (vllm/model_executor/layers/attention/mla_attention.py and v1/attention/backends/mla/common.py,
// MLACommonImpl): one step's tokens are split into decodes and prefills (chunked prefills too),
// and each takes its own path:
//   - prefill: the decompressed form. kv_b_proj up-projects the cached latent of every context
//     token to per-head keys (qk_nope_head_dim) and values (v_head_dim); the RoPE key is shared
//     by the heads; then ordinary multi-head attention with a qk head width of nope + rope (192)
//     and a v width of v_head_dim (128), FlashAttention varlen.
//   - decode: the absorbed form. Each query's nope part is multiplied into W_UK (per head
//     nope x kv_lora) to a kv_lora-wide query, attention runs over the latent cache as one
//     shared KV head of kv_lora + rope (576) for QK and kv_lora (512) for V (FlashMLA,
//     FlashInfer-MLA, CUTLASS MLA), and W_UV maps each head's 512-wide output back to v_head_dim.
// The projection GEMMs around it: the fused q_a + kv_a projection (replicated on every TP
// rank), q_b_proj (or q_proj without q_lora), o_proj; TP shards the heads.
#include "operators.hpp"
#include "step_shape.hpp"

namespace llmpo {

struct ModelSpec;

// One GPU's share of an MLA layer.
struct MlaGeometry {
  double hidden = 0;
  double heads = 0;         // query heads on this GPU
  double q_lora_rank = 0;   // 0: q_proj straight from the hidden state
  double kv_lora_rank = 0;  // latent width (512)
  double qk_nope = 0;       // per-head key width without RoPE (128)
  double qk_rope = 0;       // RoPE key width, shared by the heads (64)
  double v_head = 0;        // per-head value width (128)
  double act_bytes = 2;
  double weight_bytes = 2;  // projection weights as stored (fp8_block: ~1)
  double kv_bytes = 2;      // latent cache element size
  double latent_width() const { return kv_lora_rank + qk_rope; }
  double qk_head() const { return qk_nope + qk_rope; }
};

MlaGeometry mla_geometry(const ModelSpec& model, double heads_per_gpu, double act_bytes, double weight_bytes,
                         double kv_bytes);

// q_a_proj and kv_a_proj_with_mqa fused (vLLM fused_qkv_a_proj, not sharded): hidden ->
// q_lora_rank + kv_lora_rank + rope; without q_lora only kv_a: hidden -> kv_lora_rank + rope.
OperatorWork mla_qkv_a_work(const MlaGeometry& g, double tokens);
// q_b_proj (q_lora_rank -> heads x (nope + rope)) or q_proj (hidden -> the same).
OperatorWork mla_q_up_work(const MlaGeometry& g, double tokens);
// RoPE on each head's rope part of the query and on the one shared rope key.
OperatorWork mla_rope_work(const MlaGeometry& g, double tokens);
// kv_b_proj over every context token of the prefills: latent -> heads x (nope + v).
OperatorWork mla_kv_up_work(const MlaGeometry& g, const AttentionLoad& prefill);
// The decode queries' W_UK absorption (heads batched nope -> kv_lora) and the W_UV map of the
// outputs (kv_lora -> v_head). vLLM keeps W_UK_T / W_UV in the activation dtype (it
// dequantises kv_b_proj once at load), so their weights are 16-bit whatever the checkpoint.
OperatorWork mla_absorb_q_work(const MlaGeometry& g, const AttentionLoad& decode);
OperatorWork mla_absorb_out_work(const MlaGeometry& g, const AttentionLoad& decode);
// o_proj: heads x v_head -> hidden.
OperatorWork mla_o_proj_work(const MlaGeometry& g, double tokens);

// Attention kernels. prefill: the decompressed MHA (FLOPs 2 x visible pairs x heads x
// (qk_head + v_head); bytes Q, the up-projected K and V of every context token, O, and the new
// latents written). decode: the absorbed MQA over the latent (FLOPs 2 x cached tokens x heads x
// (latent + kv_lora); bytes the latent once per sequence, Q, O, the new latents written).
OperatorWork mla_prefill_attention_work(const MlaGeometry& g, const AttentionLoad& prefill);
OperatorWork mla_decode_attention_work(const MlaGeometry& g, const AttentionLoad& decode);

}  // namespace llmpo
