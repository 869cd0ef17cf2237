#pragma once
// GpuSpec: one accelerator as the cost model sees it - datasheet peaks plus the few efficiency
// parameters that turn peaks into achievable kernel times. Data files: hardware/gpus/*.yaml
// (schema in hardware/README.md); every number there says where it comes from.
#include <cstdint>
#include <string>
#include <vector>

namespace llmpo {

// Arithmetic formats a GPU may have dense tensor-core (or matrix-core) rates for.
enum class ComputeType { fp32, tf32, bf16, fp16, fp8, int8, int4 };
inline constexpr int kNumComputeTypes = 7;
std::string to_string(ComputeType type);
const std::vector<std::string>& compute_type_names();

enum class LinkType { nvlink, pcie, infinity_fabric };
std::string to_string(LinkType type);

// The achievable fractions and fixed costs that separate real kernels from the roofline, each a
// physical quantity a microbenchmark could measure. hardware/kernel_timing.hpp gives the formulas
// they enter; `llmperforacle calibrate` fits them to measured kernel times
// (hardware/calibration/), and every library file says where each value comes from.
// The defaults below are round values near the A100 calibrations: they are where every fit starts
// (so a calibration does not depend on the preset it started from) and what a GPU file that omits
// one of the newer, optional keys gets.
struct GpuEfficiency {
  // --- GEMMs (cuBLAS / CUTLASS) ---
  double hbm_bandwidth = 0.75;             // fraction of datasheet HBM bandwidth a GEMM streaming its weights reaches
  double gemm_compute = 0.85;              // fraction of dense peak a GEMM reaches in full waves of full tiles
  double gemm_wave_quantization = 0.1;     // share of a partial last wave's idle SMs really lost (0: split-K /
                                           // stream-K balance it away, 1: a plain tile grid loses all of it)
  double gemm_roofline_sharpness = 2.5;    // p of the smooth roofline (t_c^p + t_m^p)^(1/p): compute and
                                           // memory overlap imperfectly near the ridge; large p = max()
  double gemm_tile_m = 128;                // CTA tile used for padding and wave quantization
  double gemm_tile_n = 128;
  double gemm_min_tile_m = 16;             // smallest M of the tensor-core instruction, a fact of the
                                           // architecture, not fitted: 16 for mma.sync (Ampere, Ada,
                                           // sm_120 Blackwell), 64 for Hopper wgmma and sm_100
                                           // tcgen05 - a decode GEMM of 1-63 tokens there pays a
                                           // 64-row tile (PTX ISA, "wgmma.mma_async" shapes m64nNk16)
  double gemm_epilogue_exposed = 0;        // share of the output write (epilogue) not hidden behind the
                                           // main loop: a tile stores C after its K loop, so a short K
                                           // loop cannot cover it (large M x N, small K GEMMs)
  // Split-K: with fewer output tiles than SMs, cuBLAS splits K into floor(K / chunk) parts (at most
  // split_k_max, never more CTAs than SMs) and reduces the partial sums at the end. Without it a
  // skinny GEMM's few CTAs walk the whole K loop alone. chunk 0 = not modelled (the A100 / A40
  // fits predate the term).
  double gemm_split_k_chunk = 0;           // K elements per split
  double gemm_split_k_max = 1;             // most parts one GEMM is split into
  double gemm_split_k_reduce_s = 0;        // fixed cost of reducing the partial sums of a split GEMM
  double kernel_latency_s = 4e-6;          // fixed cost of one GEMM kernel (prologue, pipeline fill, epilogue)
  // --- element-wise kernels (norms, activations, RoPE, residual adds, embedding gathers) ---
  double elementwise_bandwidth = 0.5;      // fraction of HBM bandwidth unfused element-wise kernels reach
  double elementwise_latency_s = 2e-6;     // fixed cost of one element-wise kernel (no tile pipeline to fill)
  // --- attention (FlashAttention-class kernels) ---
  double attention_prefill_compute = 0.5;  // fraction of dense peak of the prefill QK^T / SV math
  double attention_prefill_bandwidth = 0.3;// rate (fraction of HBM bandwidth) of the per-tile Q/K/V loads
                                           // and O stores the prefill kernel does not hide behind its math
  double attention_decode_bandwidth = 0.75;// fraction of HBM bandwidth of paged decode attention streaming KV
  double attention_prefill_latency_s = 5e-6;  // fixed cost of a prefill attention call
  double attention_decode_latency_s = 15e-6;  // fixed cost of a decode attention call (split-KV partial +
                                              // reduction kernels); a mixed step pays the larger one
  double attention_decode_per_seq_s = 0;      // cost per decoding sequence beyond its KV stream (block
                                              // table walk, per-sequence partial reduction): large batches
  // Split-KV decode occupancy (FlashAttention-3 on Hopper, FlashDecoding-style kernels): the KV
  // stream of a decode runs on CTAs of one (sequence, KV head) tile, split along the context when
  // there are too few tiles to fill the SMs. With few CTAs the stream is limited by what those
  // CTAs can pull, not by HBM. Formulas: hardware/kernel_timing.hpp. The defaults switch the term
  // off (cta bandwidth 0), which is what the A100 / A40 fits (older kernels, serving-size batches)
  // were fitted without.
  double attention_decode_cta_bandwidth = 0;  // KV streaming rate of one CTA as a fraction of an SM's
                                              // share of HBM (bandwidth / SMs); 0 = not modelled
  double attention_decode_max_splits = 32;    // CTAs one KV head's decodes are spread over while the batch
                                              // is small (the kernel's split budget)
  double attention_decode_ctas_per_seq = 1;   // CTAs per (sequence, KV head) once the batch exceeds it
  double attention_decode_block_tokens = 128; // KV tokens per CTA tile (kBlockN): a sequence of L cached
                                              // tokens splits into at most ceil(L / this) parts
  double attention_decode_token_cost_s = 0;   // time one CTA spends per (KV token, head) pair beyond
                                              // moving its bytes (QK^T, softmax, PV of one key): why
                                              // head_dim 64 streams fewer bytes/s than 128 at few CTAs
  double attention_decode_tile_m = 64;        // query rows of a decode CTA's tensor-core tile: a KV head's
                                              // few query heads are padded to it (Hopper wgmma: M >= 64),
                                              // so each (token, head) pair costs 4 x head_dim x tile_m
                                              // FLOPs at the CTA's share of attention_prefill_compute
  double attention_decode_cta_overhead_s = 0; // fixed work per (sequence, KV head) tile beyond its KV
                                              // stream (Q load, softmax finalise, O store), spread over
                                              // the SMs: dominates batches of thousands of short contexts
  // Decode rows of a mixed call (a prefill chunk and decodes in one varlen kernel): 1 = each KV
  // head's cache is read once for all its query heads (FlashAttention-3 packs GQA groups with a
  // paged KV cache); 0 = once per query head (FlashAttention-2's varlen kernel, vLLM's backend on
  // Ampere and Ada, folds a group's query heads into one tile only when every query has length 1,
  // i.e. in pure-decode calls). A fact of the kernel, not fitted.
  double attention_mixed_gqa_packed = 1;
  // Without packing, the call's CTAs launch m-block first, then sequence, then query head, so the
  // query heads of one KV head run apart by (m-blocks x sequences) CTAs: their re-reads hit L2
  // while that distance fits the CTAs resident at once (SMs x this), and go to HBM beyond it.
  // FlashAttention-2's paged (split-KV) forward keeps one 64 x 128 tile CTA per SM on Ada's
  // 100 KB of shared memory (two on A100's 164 KB); each decode row pays the tile's 64 query
  // rows of math (attention_decode_tile_m).
  double attention_mixed_ctas_per_sm = 1;
  // --- host ---
  double cpu_overhead_per_step_s = 1e-3;   // scheduler + sampler + input prep + output processing per step
  double cpu_overhead_per_seq_s = 40e-6;   // extra per sequence in the batch
};

// How far to trust a GPU profile: were its efficiency values fitted on measured kernels of this
// GPU, or derived by stated rules from another GPU's fit? And the error that goes with that,
// from held-out scores (experiments/fidelity/README.md). Every run's summary carries it.
struct ProfileFidelity {
  std::string basis = "derived";   // "calibrated" or "derived"
  double step_error_pct = 0;       // expected error of a step's time (percent), from held-out kernel scores
  std::string evidence;            // the data or the rule, and where the scores are
};

struct IntraNodeLink {
  LinkType type = LinkType::pcie;
  double bandwidth_bytes_per_s = 0;  // per GPU, per direction (NVLink aggregate or PCIe x16)
  int pcie_generation = 4;
  int pcie_lanes = 16;
  double pcie_bandwidth_bytes_per_s() const;  // per direction, x16 -> ~32 GB/s for gen4
};

struct GpuSpec {
  std::string id;                    // library id, e.g. "H100-SXM"
  std::string name;                  // marketing name
  std::vector<std::string> aliases;
  // Names this card shares with its other variants ("H100" for SXM, PCIe and NVL): typed alone,
  // they are an error listing the variants, since the variants differ in memory and bandwidth.
  std::vector<std::string> family_names;
  std::string vendor;                // nvidia, amd
  std::string architecture;          // ampere, hopper, ada, blackwell, cdna3
  std::string source_file;

  double memory_bytes = 0;                 // capacity the driver reports (cudaMemGetInfo total)
  double memory_bandwidth_bytes_per_s = 0; // datasheet HBM/GDDR bandwidth
  double peak_flops[kNumComputeTypes] = {};// dense FLOP/s (or OP/s) per type; 0 = not supported
  int64_t sm_count = 0;                    // SMs (NVIDIA) or CUs (AMD)
  double l2_bytes = 0;
  IntraNodeLink link;
  std::string default_interconnect;        // preset used for TP groups inside one node
  int64_t max_gpus_per_node = 8;
  double price_per_hour_usd = 0;           // on-demand cloud price, for cost searches (0 = unknown)
  GpuEfficiency efficiency;
  ProfileFidelity fidelity;

  double peak(ComputeType type) const { return peak_flops[static_cast<int>(type)]; }
  bool supports(ComputeType type) const { return peak(type) > 0; }

  void validate() const;  // throws InputError naming the field
};

}  // namespace llmpo
