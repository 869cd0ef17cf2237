// The roofline cost model (hardware/cost_model.hpp) on decode and prefill steps, checked against
// numbers worked out by hand in the comments (constants: cost_model_fixtures.hpp).
#include <catch2/catch.hpp>

#include "library_fixtures.hpp"
#include "cost_model_fixtures.hpp"

#include <algorithm>
#include <string>

#include "hardware/cost_model.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "hardware/kernel_timing.hpp"
#include "models/model_library.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

// ---------------------------------------------------------------------------------------------
// Decode streams the weights once per step.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: a Llama-2-7B decode reads the weights once per step whatever the batch") {
  const CostModel model(models().find("Llama2-7B"), gpus().find("A100-80GB-SXM"), {});
  const StepBreakdown one = model.breakdown(decode_batch(model, 1, 1024));
  const StepBreakdown many = model.breakdown(decode_batch(model, 64, 1024));
  // Per layer: 2 RMSNorms (4096 + 1) x 2 = 2 x 8,194; QKV 4096 x 12288 x 2 = 100,663,296;
  //   O 4096 x 4096 x 2 = 33,554,432; GateUp 4096 x 22016 x 2 = 180,355,072;
  //   Down 11008 x 4096 x 2 = 90,177,536 -> 404,766,724 per layer, x 32 = 12,952,535,168.
  // Final norm 8,194 and LM head 4096 x 32000 x 2 = 262,144,000.
  // Total 12,952,535,168 + 8,194 + 262,144,000 = 13,214,687,362 bytes
  //   (= 2 bytes x (6,738,415,616 params - 131,072,000 embedding) + 65 norm "+1" entries x 2).
  CHECK(sum_weight_bytes(one) == 13214687362.0);
  CHECK(sum_weight_bytes(many) == 13214687362.0);
}

TEST_CASE("cost model: the KV bytes a Llama-2-7B decode reads grow linearly with the batch") {
  const CostModel model(models().find("Llama2-7B"), gpus().find("A100-80GB-SXM"), {});
  const StepBreakdown one = model.breakdown(decode_batch(model, 1, 1024));
  const StepBreakdown many = model.breakdown(decode_batch(model, 64, 1024));
  // One sequence: K and V of 1025 tokens, 2 x 1025 x 4096 x 2 = 16,793,600 per layer,
  // x 32 layers = 537,395,200 bytes; 64 sequences: 64 x that = 34,393,292,800.
  CHECK(sum_attention(one, &OperatorWork::kv_read_bytes) == 537395200.0);
  CHECK(sum_attention(many, &OperatorWork::kv_read_bytes) == 34393292800.0);
  // Appending the new token's K and V: 2 x 4096 x 2 = 16,384 per sequence and layer.
  CHECK(sum_attention(one, &OperatorWork::kv_write_bytes) == 524288.0);       // x 32
  CHECK(sum_attention(many, &OperatorWork::kv_write_bytes) == 33554432.0);    // x 32 x 64
}

TEST_CASE("cost model: an fp8 KV cache halves the KV bytes of a decode") {
  CostModelOptions options;
  options.kv_cache_dtype = "fp8";
  const CostModel model(models().find("Llama2-7B"), gpus().find("A100-80GB-SXM"), options);
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 1024));
  // 2 x 1025 x 4096 x 1 byte = 8,396,800 per layer, x 32 = 268,697,600
  CHECK(sum_attention(b, &OperatorWork::kv_read_bytes) == 268697600.0);
  CHECK(sum_weight_bytes(b) == 13214687362.0);  // weights untouched
}

TEST_CASE("cost model: a batch-1 Llama-2-7B decode on A100 is memory-bound and its time lies between bandwidth bounds") {
  const GpuSpec& gpu = gpus().find("A100-80GB-SXM");
  const CostModel model(models().find("Llama2-7B"), gpu, {});
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 1024));

  // Bytes by hand, per layer (corrected accounting, 1 token, 1025 keys):
  //   attn norm 8,194 w + 8,192 in + 8,192 out            = 24,578
  //   QKV 100,663,296 w + 8,192 in + 24,576 out           = 100,696,064
  //   RoPE 16,384 in + 16,384 out                          = 32,768
  //   SDPA Q 8,192 + KV 16,793,600 + O 8,192 + append 16,384 = 16,826,368
  //   O proj 33,554,432 w + 8,192 + 8,192                  = 33,570,816
  //   residual 16,384 + 8,192                              = 24,576
  //   ffn norm                                             = 24,578
  //   GateUp 180,355,072 w + 8,192 + 44,032                = 180,407,296
  //   ActMul 44,032 + 22,016                               = 66,048
  //   Down 90,177,536 w + 22,016 + 8,192                   = 90,207,744
  //   residual                                             = 24,576
  //   -> 421,905,412 per layer, x 32 = 13,500,973,184
  // Model level: embedding 8,192 + 8,192 = 16,384; final norm 24,578;
  //   LM head 262,144,000 + 8,192 + 64,000 = 262,216,192; sampling 32000 x 4 + 8 = 128,008.
  // Total 13,763,358,346 bytes, of which SDPA 32 x 16,826,368 = 538,443,776.
  const double total_bytes = 13763358346.0;
  const double attention_bytes = 538443776.0;
  REQUIRE(sum_total_bytes(b) == total_bytes);
  REQUIRE(sum_attention(b, &OperatorWork::decode_bytes) == attention_bytes);
  // Kernels: 11 per layer x 32 + embedding + final norm + LM head + sampling = 356.
  const double kernels = 356;
  REQUIRE(sum_kernels(b) == kernels);

  // Every kernel is memory-bound at batch 1.
  for (const auto& op : b.ops) {
    INFO(op_name(op.kind));
    CHECK(op.time.bound == Bound::memory);
  }

  // Every kernel is memory-bound here, so its time is its bytes at its class's achievable
  // bandwidth plus its class's fixed cost (hardware/kernel_timing.hpp), with A100-80GB-SXM's
  // calibrated values (hardware/gpus/a100-80gb-sxm.yaml):
  //   GEMMs         hbm_bandwidth 0.7241, kernel_latency 3.76 us, smooth roofline p = 2.265,
  //                 gemm_compute 0.8375, wave quantization 0.6538, 64 x 64 tiles (min M tile 16),
  //                 epilogue fully exposed (1.0); split-K (chunk 1024) never applies here: every
  //                 grid with fewer tiles than SMs has 64 tiles, and floor(108 / 64) = 1
  //   element-wise  elementwise_bandwidth 0.4622, elementwise_latency 2.98 us
  //   decode SDPA   attention_decode_bandwidth 0.7360, attention_decode_latency 14.60 us,
  //                 attention_decode_per_seq 0; split-KV occupancy: cta_bandwidth 20, max_splits
  //                 10.69, ctas_per_seq 3.657, block 128, token_cost 0, tile_m 64, cta_overhead
  //                 3.206 us; attention_prefill_compute 0.5912 (the per-pair tile math)
  const double bw = gpu.memory_bandwidth_bytes_per_s;  // 2.039e12
  const GpuEfficiency& e = gpu.efficiency;
  const double t = b.latency_s;
  const double lowest_eff = std::min({e.hbm_bandwidth, e.elementwise_bandwidth, e.attention_decode_bandwidth});
  const double largest_latency = std::max({e.kernel_latency_s, e.elementwise_latency_s, e.attention_decode_latency_s});
  CHECK(t >= total_bytes / bw);                                                         // ~6.75 ms
  CHECK(t <= total_bytes / (bw * lowest_eff) * 1.02 + kernels * largest_latency + b.cpu_overhead_s);
  // By hand, per class (bytes from the sums above):
  //   element-wise: per layer 2 norms 2 x 24,578 + RoPE 32,768 + 2 residuals 2 x 24,576 + ActMul
  //     66,048 = 197,124; x 32 = 6,307,968; model level: embedding 16,384 + final norm 24,578 +
  //     sampling 128,008 = 168,970 -> 6,476,938 B / (2.039e12 x 0.4622 = 942.43e9 B/s) = 6.873 us,
  //     plus (6 x 32 + 3) = 195 kernels x 2.98 us = 581.1 us -> 0.587973 ms.
  //   decode SDPA, one sequence of 1025 keys, 32 KV heads: ceil(1025 / 128) = 9 tiles, so
  //     max(min(10.69, 9), 1 x min(3.657, 9)) = 9 CTAs per head, 288 in all, 108 at once, each
  //     20 x 2.039e12 / 108 = 377.59e9 B/s; per pair 4 x 128 x 64 FLOPs at 312e12 x 0.5912 / 108
  //     = 19.186 ns: (16,826,368 / 377.59e9 + 1025 x 32 x 19.186 ns) / 108 = 6.2395 us, below the
  //     HBM time 16,826,368 / (2.039e12 x 0.7360) = 11.2123 us, which therefore holds; tile
  //     overhead 3.206 us x 1 x 32 / 108 = 0.94993 us; per layer 11.2123 + 0.9499 + 0 + 14.60 =
  //     26.7622 us, x 32 = 0.856392 ms (its FLOPs, 4 x 1025 x 4096 = 16.8 M, take 0.09 us at
  //     0.5912 x 312e12).
  //   GEMMs, M = 1: the output store (x 1.0 exposed) follows the main loop: t_epi = out bytes /
  //     (2.039e12 x 0.7241); the rest streams, t_m = (bytes - out) / (2.039e12 x 0.7241); with
  //     the M tile shrunk to 16 (padding x16) and 64-wide N tiles, t_c = N (2K - 1) x 16 x (1 +
  //     0.6538 (1 / wave efficiency - 1)) / (312e12 x 0.8375); t_c / t_m ~ 0.08-0.13, so the
  //     smooth roofline adds (1 + (t_c/t_m)^2.265)^(1/2.265) - 1 ~ 0.2-0.4 %:
  //       QKV    100,696,064 B (out 24,576): t_m 68.185 us, 192 tiles = 2 waves of 108 (0.889),
  //              x 1.00228, + t_epi 0.0166 + 3.76 = 72.117 us
  //       O       33,570,816 B (out 8,192):  t_m 22.732 us, 64 tiles = 1 wave (0.593), x 1.00441,
  //              + 0.0055 + 3.76 = 26.598 us
  //       GateUp 180,407,296 B (out 44,032): t_m 122.161 us, 344 tiles = 4 waves (0.796), x 1.00270,
  //              + 0.0298 + 3.76 = 126.281 us
  //       Down    90,207,744 B (out 8,192):  t_m 61.093 us, 64 tiles (0.593), x 1.00441, + 0.0055
  //              + 3.76 = 65.128 us
  //     per layer 290.124 us, x 32 = 9.283954 ms; LM head 262,216,192 B (out 64,000): t_m 177.557
  //     us, 500 tiles = 5 waves (0.926), x 1.00214, + 0.0433 + 3.76 = 181.740 us. GEMMs: 9.465694 ms.
  //   CPU (Vidur-calibrated host cost): 1092.9 us + 42.75 us x 1 sequence = 1.13565 ms.
  //   Total: 9.465694 + 0.587973 + 0.856392 + 1.13565 = 12.045709 ms.
  const double elementwise = 6476938.0 / (bw * e.elementwise_bandwidth) + 195 * e.elementwise_latency_s;
  const double attention = 32 * (attention_bytes / 32 / (bw * e.attention_decode_bandwidth) +
                                 1 * e.attention_decode_per_seq_s + e.attention_decode_latency_s +
                                 e.attention_decode_cta_overhead_s * 32 / 108);
  CHECK(elementwise == Approx(0.587973e-3).epsilon(1e-5));
  CHECK(attention == Approx(0.856392e-3).epsilon(1e-5));
  CHECK(b.cpu_overhead_s == Approx(1.13565e-3).epsilon(1e-9));
  double gemms = 0;
  for (const auto& op : b.ops)
    if (op_class(op.kind) == OpClass::gemm) gemms += op.total_time_s();
  CHECK(gemms == Approx(9.465694e-3).epsilon(1e-5));
  CHECK(t == Approx(12.045709e-3).epsilon(1e-5));
  // One stage, no transfers.
  REQUIRE(b.stage_time_s.size() == 1);
  CHECK(b.transfer_time_s == 0.0);
  CHECK(b.bottleneck_stage_s == Approx(b.stage_time_s[0]));
}

// ---------------------------------------------------------------------------------------------
// Prefill is compute-bound.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: a 4096-token Llama-2-7B prefill is compute-bound and costs about 2 x params x tokens FLOPs") {
  const CostModel model(models().find("Llama2-7B"), gpus().find("A100-80GB-SXM"), {});
  StepShape shape = model.empty_shape();
  shape.add_sequence(0, 4096);
  const StepBreakdown b = model.breakdown(shape);

  for (OpKind kind : {OpKind::qkv_proj, OpKind::o_proj, OpKind::gate_up_proj, OpKind::down_proj, OpKind::attention}) {
    INFO(op_name(kind));
    const OperatorCost* op = find_op(b, kind, 0);
    REQUIRE(op != nullptr);
    CHECK(op->time.bound == Bound::compute);
  }
  // Linear parameters per layer: 4096 x 12288 + 4096 x 4096 + 4096 x 22016 + 11008 x 4096
  //   = 50,331,648 + 16,777,216 + 90,177,536 + 45,088,768 = 202,375,168; x 32 = 6,476,005,376.
  // GEMMs: 2 x 6,476,005,376 x 4096 = 53,051,436,040,192.
  // Causal attention: 4 x (4096 x 4097 / 2) x 4096 x 32 = 4,399,120,252,928.
  // LM head on the last token only: 2 x 4096 x 32000 = 262,144,000.
  // Sum 57,450,818,437,120; element-wise ops add ~0.03 % and the (2k - 1) counts remove ~0.01 %.
  const double expected = 53051436040192.0 + 4399120252928.0 + 262144000.0;
  CHECK(sum_flops(b) == Approx(expected).epsilon(0.02));
  CHECK(sum_flops(b) > 0.99 * expected);
}

TEST_CASE("cost model: wave efficiency counts the idle SMs of the last wave") {
  CHECK(wave_efficiency(132, 132) == 1.0);
  CHECK(wave_efficiency(133, 132) == Approx(133.0 / 264.0));  // 2 waves of 132, 133 tiles busy
  CHECK(wave_efficiency(66, 132) == Approx(0.5));
  CHECK(wave_efficiency(264, 132) == 1.0);
  CHECK(wave_efficiency(0, 132) == 1.0);  // nothing to schedule
}
