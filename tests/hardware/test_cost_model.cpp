// Behaviour of the roofline cost model (hardware/cost_model.hpp), checked against numbers worked
// out by hand in the comments. Model constants used below (from models/library/*.yaml):
//   Llama-2-7B:   32 layers, d 4096, 32 heads / 32 KV heads x 128, FFN 11008, vocab 32000, fp16
//   Llama-3-70B:  80 layers, d 8192, 64 heads / 8 KV heads x 128, FFN 28672, vocab 128256, bf16
//   Mixtral-8x7B: 32 layers, d 4096, 8 experts of width 14336, top-2, bf16
//   Gemma-2-9B:   42 layers alternating sliding (window 4096) / global, 16 heads / 8 KV x 256
// GPU constants (hardware/gpus/*.yaml): A100-80GB-SXM 2.039 TB/s, 312 TFLOPS bf16/fp16,
// 108 SMs, NVLink 300 GB/s; H100-SXM NVLink 450 GB/s. nvswitch (calibrated): bandwidth protocol
// 32.14 us + 0 per rank at 0.6265 of the link, low-latency protocol 8.94 us + 1.95 us per rank at 0.1649.
#include <catch2/catch.hpp>

#include "library_fixtures.hpp"

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

namespace {

const OperatorCost* find_op(const StepBreakdown& b, OpKind kind, int layer_kind) {
  for (const auto& op : b.ops)
    if (op.kind == kind && op.layer_kind == layer_kind) return &op;
  return nullptr;
}
// The result points into the breakdown: never take it from a temporary.
const OperatorCost* find_op(const StepBreakdown&& b, OpKind kind, int layer_kind) = delete;

// Per-step sums over every operator (count x per-run value).
double sum_weight_bytes(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.weight_bytes;
  return total;
}
double sum_total_bytes(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.total_bytes();
  return total;
}
double sum_flops(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count * op.work.flops;
  return total;
}
double sum_kernels(const StepBreakdown& b) {
  double total = 0;
  for (const auto& op : b.ops) total += op.count;
  return total;
}
double sum_attention(const StepBreakdown& b, double OperatorWork::*field) {
  double total = 0;
  for (const auto& op : b.ops)
    if (op.kind == OpKind::attention) total += op.count * (op.work.*field);
  return total;
}

StepShape decode_batch(const CostModel& model, int batch, int64_t cached) {
  StepShape shape = model.empty_shape();
  for (int i = 0; i < batch; ++i) shape.add_sequence(cached, 1);
  return shape;
}

CostModelOptions with_parallel(int64_t tp, int64_t pp, const InterconnectSpec* intra, bool custom_all_reduce = true) {
  CostModelOptions options;
  options.parallel.tensor_parallel = tp;
  options.parallel.pipeline_parallel = pp;
  options.intra_node = intra;
  options.use_custom_all_reduce = custom_all_reduce;
  return options;
}

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// Tensor parallelism.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: TP 2 halves Llama-2-7B's per-GPU projection weights and adds two all-reduces per layer") {
  const GpuSpec& a100 = gpus().find("A100-80GB-SXM");
  const InterconnectSpec& nvswitch = links().find("nvswitch");
  const ModelSpec& llama = models().find("Llama2-7B");
  const CostModel tp1(llama, a100, {});
  // NCCL alone (vLLM with --disable-custom-all-reduce); the custom kernel is checked below.
  const CostModel tp2(llama, a100, with_parallel(2, 1, &nvswitch, false));
  const StepBreakdown b1 = tp1.breakdown(decode_batch(tp1, 8, 1024));
  const StepBreakdown b2 = tp2.breakdown(decode_batch(tp2, 8, 1024));

  // Per-GPU weights at TP 2: QKV 4096 x 6144 x 2 = 50,331,648; O 2048 x 4096 x 2 = 16,777,216;
  // GateUp 4096 x 11008 x 2 = 90,177,536; Down 5504 x 4096 x 2 = 45,088,768.
  CHECK(find_op(b2, OpKind::qkv_proj, 0)->work.weight_bytes == 50331648.0);
  CHECK(find_op(b2, OpKind::o_proj, 0)->work.weight_bytes == 16777216.0);
  CHECK(find_op(b2, OpKind::gate_up_proj, 0)->work.weight_bytes == 90177536.0);
  CHECK(find_op(b2, OpKind::down_proj, 0)->work.weight_bytes == 45088768.0);
  for (OpKind kind : {OpKind::qkv_proj, OpKind::o_proj, OpKind::gate_up_proj, OpKind::down_proj}) {
    INFO(op_name(kind));
    CHECK(find_op(b2, kind, 0)->work.weight_bytes * 2 == find_op(b1, kind, 0)->work.weight_bytes);
  }

  // Two all-reduces per layer (after O and after Down), 32 layers each.
  const OperatorCost* attn_ar = find_op(b2, OpKind::attn_all_reduce, 0);
  const OperatorCost* ffn_ar = find_op(b2, OpKind::ffn_all_reduce, 0);
  REQUIRE(attn_ar != nullptr);
  REQUIRE(ffn_ar != nullptr);
  CHECK(attn_ar->count == 32.0);
  CHECK(ffn_ar->count == 32.0);
  CHECK(find_op(b1, OpKind::attn_all_reduce, 0) == nullptr);

  // Message: 8 tokens x 4096 x 2 bytes = 65,536. Ring over 2 ranks on nvswitch/A100 (NVLink
  // 300e9 B/s; hardware/interconnects/nvswitch.yaml), the faster of NCCL's two protocols:
  //   bandwidth protocol: 32.14e-6 + 0 x 1 + 2 (2 - 1)/2 x 65,536 / (0.6265 x 300e9)
  //                       = 32.14e-6 + 0.348688e-6 = 32.488688e-6 s
  //   low-latency:        8.94e-6 + 1.95e-6 x 1 + 65,536 / (0.1649 x 300e9)
  //                       = 10.89e-6 + 1.324762e-6 = 12.214762e-6 s   <- faster
  const double bytes = 8 * 4096 * 2;
  const double by_hand = 8.94e-6 + 1.95e-6 * (2 - 1) + 2.0 * (2 - 1) / 2 * bytes / (0.1649 * 300e9);
  CHECK(attn_ar->work.message_bytes == 65536.0);
  CHECK(attn_ar->time.time_s == Approx(by_hand));
  CHECK(attn_ar->time.time_s == Approx(12.214762e-6).epsilon(1e-6));
  CHECK(ffn_ar->time.time_s == Approx(by_hand));
  CHECK(attn_ar->time.time_s == Approx(all_reduce_time_s(bytes, 2, collective_link(nvswitch, a100, 2))));
  CHECK(attn_ar->time.bound == Bound::network);

  // vLLM's default: its custom all-reduce, one-shot at 2 ranks (65,536 B < 8 MiB), with the
  // nvswitch preset's A100 fit: 4.61e-6 + 0.34e-6 x 1 + 1 x 65,536 / (0.6687 x 300e9)
  //   = 4.95e-6 + 0.326684e-6 = 5.276684e-6 s
  const CostModel custom(llama, a100, with_parallel(2, 1, &nvswitch));
  const StepBreakdown custom_b = custom.breakdown(decode_batch(custom, 8, 1024));
  const OperatorCost* custom_ar = find_op(custom_b, OpKind::attn_all_reduce, 0);
  REQUIRE(custom_ar != nullptr);
  CHECK(custom_ar->time.time_s == Approx(5.276684e-6).epsilon(1e-6));
}

TEST_CASE("cost model: a TP 2 prefill all-reduce carries every token's hidden state") {
  const GpuSpec& a100 = gpus().find("A100-80GB-SXM");
  const CostModel tp2(models().find("Llama2-7B"), a100, with_parallel(2, 1, &links().find("nvswitch"), false));
  StepShape shape = tp2.empty_shape();
  shape.add_sequence(0, 512);
  const StepBreakdown b = tp2.breakdown(shape);
  const OperatorCost* ar = find_op(b, OpKind::ffn_all_reduce, 0);
  REQUIRE(ar != nullptr);
  // 512 x 4096 x 2 = 4,194,304 bytes; the bandwidth protocol wins at this size:
  //   32.14e-6 + 4,194,304 / (0.6265 x 300e9 = 187.95e9) = 32.14e-6 + 22.316063e-6 = 54.456063e-6 s
  //   (low-latency: 10.89e-6 + 4,194,304 / 49.47e9 = 95.675e-6 s)
  CHECK(ar->work.message_bytes == 4194304.0);
  CHECK(ar->time.time_s == Approx(54.456063e-6).epsilon(1e-6));
  // With vLLM's custom all-reduce (4 MiB < 8 MiB max size, 2 ranks: one-shot):
  //   4.61e-6 + 0.34e-6 + 4,194,304 / (0.6687 x 300e9 = 200.61e9) = 4.95e-6 + 20.907752e-6 = 25.857752e-6 s
  const CostModel custom(models().find("Llama2-7B"), a100, with_parallel(2, 1, &links().find("nvswitch")));
  const StepBreakdown custom_b = custom.breakdown(shape);
  const OperatorCost* custom_ar = find_op(custom_b, OpKind::ffn_all_reduce, 0);
  REQUIRE(custom_ar != nullptr);
  CHECK(custom_ar->time.time_s == Approx(25.857752e-6).epsilon(1e-6));
}

TEST_CASE("cost model: the pairwise-nvlink preset runs a 4-rank TP group at PCIe speed") {
  const GpuSpec& gpu = gpus().find("A100-80GB-PCIe");
  const InterconnectSpec& pairwise = links().find("pairwise-nvlink");
  const ModelSpec& llama = models().find("Llama2-7B");
  const CostModel tp2(llama, gpu, with_parallel(2, 1, &pairwise));
  const CostModel tp4(llama, gpu, with_parallel(4, 1, &pairwise));
  const StepBreakdown b2 = tp2.breakdown(decode_batch(tp2, 8, 1024));
  const StepBreakdown b4 = tp4.breakdown(decode_batch(tp4, 8, 1024));
  const OperatorCost* ar2 = find_op(b2, OpKind::attn_all_reduce, 0);
  const OperatorCost* ar4 = find_op(b4, OpKind::attn_all_reduce, 0);
  REQUIRE(ar2 != nullptr);
  REQUIRE(ar4 != nullptr);
  // Message 8 x 4096 x 2 = 65,536 bytes (hardware/interconnects/pairwise-nvlink.yaml).
  // 2 ranks over the 300e9 bridge:
  //   bandwidth protocol: 35.79e-6 + 7.47e-6 + 65,536 / (0.664 x 300e9) = 43.26e-6 + 0.328996e-6 = 43.588996e-6
  //   low-latency:        9.44e-6 + 16.89e-6 + 65,536 / (0.0278 x 300e9) = 26.33e-6 + 7.858034e-6 = 34.188034e-6 <- faster
  CHECK(ar2->time.time_s == Approx(34.188034e-6).epsilon(1e-6));
  // 4 ranks over PCIe gen4 x16 (31.52e9 B/s): ring traffic 1.5 x 65,536 = 98,304 bytes
  //   bandwidth protocol: 35.79e-6 + 3 x 7.47e-6 + 98,304 / (0.7491 x 31.52e9) = 58.2e-6 + 4.163395e-6 = 62.363395e-6 <- faster
  //   low-latency:        9.44e-6 + 3 x 16.89e-6 + 98,304 / (0.0278 x 31.52e9) = 60.11e-6 + 112.187e-6
  CHECK(ar4->time.time_s == Approx(62.363395e-6).epsilon(1e-6));
}

TEST_CASE("cost model: a multi-GPU configuration without an interconnect is an input error") {
  const ModelSpec& llama = models().find("Llama2-7B");
  const GpuSpec& a100 = gpus().find("A100-80GB-SXM");
  CHECK_THROWS_AS(CostModel(llama, a100, with_parallel(2, 1, nullptr)), InputError);
  CHECK_THROWS_AS(CostModel(llama, a100, with_parallel(1, 2, nullptr)), InputError);
  try {
    (void)CostModel(llama, a100, with_parallel(2, 1, nullptr));
  } catch (const InputError& error) {
    CHECK(error.key_path() == "interconnect");
  }
  // 16 GPUs span two 8-GPU nodes: without an inter-node preset that is an error too.
  CHECK_THROWS_AS(CostModel(llama, a100, with_parallel(16, 1, &links().find("nvswitch"))), InputError);
  CostModelOptions spanning = with_parallel(16, 1, &links().find("nvswitch"));
  spanning.inter_node = &links().find("infiniband-400g");
  CHECK_NOTHROW(CostModel(llama, a100, spanning));
}

TEST_CASE("cost model: a TP degree that does not divide the attention heads is an input error") {
  const ModelSpec& llama = models().find("Llama2-7B");  // 32 heads
  const GpuSpec& a100 = gpus().find("A100-80GB-SXM");
  const InterconnectSpec* nvswitch = &links().find("nvswitch");
  for (int64_t tp : {3, 5, 6, 7}) {
    INFO("TP " << tp);
    try {
      (void)CostModel(llama, a100, with_parallel(tp, 1, nvswitch));
      FAIL("no InputError thrown");
    } catch (const InputError& error) {
      CHECK(error.key_path() == "tensor_parallel_degree");
      CHECK_THAT(std::string(error.what()), Contains("does not divide"));
    }
  }
  // KV heads must divide by TP or TP by them: 12 KV heads with TP 8 do neither.
  ModelSpec odd = llama;
  odd.num_kv_heads = 12;
  CHECK_THROWS_AS(CostModel(odd, a100, with_parallel(8, 1, nvswitch)), InputError);
  CHECK_NOTHROW(CostModel(llama, a100, with_parallel(8, 1, nvswitch)));
}

// ---------------------------------------------------------------------------------------------
// Mixture of experts.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: one Mixtral-8x7B token touches exactly two experts' weights") {
  const CostModel model(models().find("Mixtral-8x7B"), gpus().find("H100-SXM"), {});
  REQUIRE(model.layer_kinds().size() == 1);
  CHECK(model.layer_kinds()[0].moe);
  CHECK(model.layer_kinds()[0].count == 32);
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 100));
  const OperatorCost* gate_up = find_op(b, OpKind::expert_gate_up, 0);
  const OperatorCost* down = find_op(b, OpKind::expert_down, 0);
  const OperatorCost* router = find_op(b, OpKind::moe_router, 0);
  REQUIRE(gate_up != nullptr);
  REQUIRE(down != nullptr);
  REQUIRE(router != nullptr);
  CHECK(find_op(b, OpKind::gate_up_proj, 0) == nullptr);  // no dense FFN in Mixtral
  // Touched experts: E (1 - (1 - k/E)^T) = 8 (1 - 0.75^1) = 2.
  CHECK(gate_up->work.instances == Approx(2.0));
  // One expert's GateUp: 4096 x 28672 x 2 bytes = 234,881,024; two experts = 469,762,048.
  CHECK(gate_up->work.weight_bytes == Approx(469762048.0));
  // One expert's Down: 14336 x 4096 x 2 = 117,440,512; two = 234,881,024.
  CHECK(down->work.weight_bytes == Approx(234881024.0));
  CHECK(gate_up->work.gemm_m == Approx(1.0));  // 1 token x top-2 / 2 experts
  CHECK(router->work.weight_bytes == 65536.0); // 4096 x 8 x 2
}

TEST_CASE("cost model: Mixtral-8x7B expert weights grow with tokens towards all eight experts") {
  const CostModel model(models().find("Mixtral-8x7B"), gpus().find("H100-SXM"), {});
  const double expert_gate_up = 234881024.0;  // 4096 x 28672 x 2
  // T = 2: 8 (1 - 0.75^2) = 8 x 0.4375 = 3.5 experts -> 822,083,584 bytes
  const StepBreakdown b2 = model.breakdown(decode_batch(model, 2, 100));
  const OperatorCost* two = find_op(b2, OpKind::expert_gate_up, 0);
  REQUIRE(two != nullptr);
  CHECK(two->work.instances == Approx(3.5));
  CHECK(two->work.weight_bytes == Approx(3.5 * expert_gate_up));
  // T = 4: 8 (1 - 0.75^4) = 8 x 0.68359375 = 5.46875 experts -> 1,284,505,600 bytes
  const StepBreakdown b4 = model.breakdown(decode_batch(model, 4, 100));
  const OperatorCost* four = find_op(b4, OpKind::expert_gate_up, 0);
  REQUIRE(four != nullptr);
  CHECK(four->work.instances == Approx(5.46875));
  CHECK(four->work.weight_bytes == Approx(1284505600.0));
  // T = 4096: 0.75^4096 is ~1e-512, so all 8 experts: 8 x 234,881,024 = 1,879,048,192 bytes,
  // and each expert sees 4096 x 2 / 8 = 1024 tokens.
  StepShape prefill = model.empty_shape();
  prefill.add_sequence(0, 4096);
  const StepBreakdown b4096 = model.breakdown(prefill);
  const OperatorCost* all = find_op(b4096, OpKind::expert_gate_up, 0);
  REQUIRE(all != nullptr);
  CHECK(all->work.instances == Approx(8.0));
  CHECK(all->work.weight_bytes == Approx(1879048192.0));
  CHECK(all->work.gemm_m == Approx(1024.0));
}

// ---------------------------------------------------------------------------------------------
// Sliding-window attention.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: Mistral-7B-v0.3 has no sliding window") {
  const CostModel model(models().find("Mistral-7B-v0.3"), gpus().find("H100-SXM"), {});
  CHECK_FALSE(model.model().sliding_window.enabled());
  CHECK(model.empty_shape().window_tokens == 0);
  REQUIRE(model.layer_kinds().size() == 1);
  CHECK_FALSE(model.layer_kinds()[0].sliding);
  CHECK(model.layer_kinds()[0].count == 32);
}

TEST_CASE("cost model: Gemma-2-9B splits 21 sliding and 21 global layers and a long decode reads less KV on the sliding ones") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  CHECK(model.empty_shape().window_tokens == 4096);
  REQUIRE(model.layer_kinds().size() == 2);
  int sliding = -1, global = -1;
  for (int k = 0; k < 2; ++k) (model.layer_kinds()[static_cast<std::size_t>(k)].sliding ? sliding : global) = k;
  REQUIRE(sliding >= 0);
  REQUIRE(global >= 0);
  // 42 layers, every 2nd (1-based) global: layers 2, 4, ..., 42 global (21), the rest sliding (21).
  CHECK(model.layer_kinds()[static_cast<std::size_t>(sliding)].count == 21);
  CHECK(model.layer_kinds()[static_cast<std::size_t>(global)].count == 21);

  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 8192));
  const OperatorCost* local = find_op(b, OpKind::attention, sliding);
  const OperatorCost* full = find_op(b, OpKind::attention, global);
  REQUIRE(local != nullptr);
  REQUIRE(full != nullptr);
  CHECK(local->count == 21.0);
  CHECK(full->count == 21.0);
  // kv_dim = 8 KV heads x 256 = 2048; q_dim = 16 x 256 = 4096.
  // Sliding: min(8192 + 1, 4096) = 4096 keys -> 2 x 4096 x 2048 x 2 = 33,554,432 bytes
  // Global:  8193 keys                       -> 2 x 8193 x 2048 x 2 = 67,117,056 bytes
  CHECK(local->work.kv_read_bytes == 33554432.0);
  CHECK(full->work.kv_read_bytes == 67117056.0);
  // Corrected FLOPs: 4 x keys x q_dim: 4 x 4096 x 4096 = 67,108,864 and 4 x 8193 x 4096 = 134,234,112
  CHECK(local->work.flops == 67108864.0);
  CHECK(full->work.flops == 134234112.0);
  // The new token's K/V is written on both: 2 x 2048 x 2 = 8,192 bytes.
  CHECK(local->work.kv_write_bytes == 8192.0);
  CHECK(full->work.kv_write_bytes == 8192.0);
  CHECK(local->time.time_s < full->time.time_s);
  // Whole step: 21 x 33,554,432 + 21 x 67,117,056 = 704,643,072 + 1,409,458,176 = 2,114,101,248
  CHECK(sum_attention(b, &OperatorWork::kv_read_bytes) == 2114101248.0);
}

TEST_CASE("cost model: a short Gemma-2-9B decode inside the window reads the same KV on every layer") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 1000));
  // 1001 keys < 4096: both kinds read 2 x 1001 x 2048 x 2 = 8,200,192 bytes.
  for (int k = 0; k < 2; ++k) {
    const OperatorCost* op = find_op(b, OpKind::attention, k);
    REQUIRE(op != nullptr);
    CHECK(op->work.kv_read_bytes == 8200192.0);
  }
}

// ---------------------------------------------------------------------------------------------
// Pipeline parallelism.
// ---------------------------------------------------------------------------------------------

TEST_CASE("cost model: PP 2 on Llama-3-70B gives two stages, latency = stages + transfer, bottleneck = max stage + transfer") {
  const ModelSpec& llama = models().find("Llama3-70B");
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const InterconnectSpec& nvswitch = links().find("nvswitch");
  const CostModel pp1(llama, h100, {});
  const CostModel pp2(llama, h100, with_parallel(1, 2, &nvswitch));
  const StepBreakdown b1 = pp1.breakdown(decode_batch(pp1, 16, 1024));
  const StepBreakdown b2 = pp2.breakdown(decode_batch(pp2, 16, 1024));

  REQUIRE(b2.stage_time_s.size() == 2);
  const double s0 = b2.stage_time_s[0];
  const double s1 = b2.stage_time_s[1];
  CHECK(s0 > 0);
  CHECK(s1 > 0);
  // One hop between the stages: 16 tokens x 8192 x 2 bytes = 262,144 bytes over nvswitch on
  // H100 (NVLink 450e9 B/s), the faster protocol of hardware/interconnects/nvswitch.yaml:
  //   bandwidth:   32.14e-6 + 0 + 262,144 / (0.6265 x 450e9) = 32.14e-6 + 0.929836e-6 = 33.069836e-6 s
  //   low-latency: 8.94e-6 + 1.95e-6 + 262,144 / (0.1649 x 450e9) = 10.89e-6 + 3.532700e-6 = 14.422700e-6 s
  const double transfer = 8.94e-6 + 1.95e-6 + 262144.0 / (0.1649 * 450e9);
  CHECK(b2.transfer_time_s == Approx(transfer));
  CHECK(b2.transfer_time_s == Approx(14.4227e-6).epsilon(1e-6));
  const OperatorCost* send = find_op(b2, OpKind::pp_transfer, -1);
  REQUIRE(send != nullptr);
  CHECK(send->count == 1.0);
  CHECK(send->work.message_bytes == 262144.0);

  CHECK(b2.latency_s == Approx(s0 + s1 + transfer + b2.cpu_overhead_s));
  CHECK(b2.bottleneck_stage_s == Approx(std::max(s0, s1) + transfer));
  // PP does not shard a layer: each stage holds 40 of the 80 layers at full width, so the two
  // stages together cost what the single GPU does, and PP only adds the transfer.
  CHECK(s0 + s1 == Approx(b1.stage_time_s[0]));
  CHECK(b2.latency_s == Approx(b1.latency_s + transfer));
  // The stages differ only by their model-level ops: embedding first, norm + LM head + sampling last.
  double embedding = 0, tail = 0;
  for (const auto& op : b2.ops) {
    if (op.kind == OpKind::embedding) embedding += op.total_time_s();
    if (op.kind == OpKind::final_norm || op.kind == OpKind::lm_head || op.kind == OpKind::sampling)
      tail += op.total_time_s();
  }
  CHECK(s1 - s0 == Approx(tail - embedding));
}

TEST_CASE("cost model: PP 3 on Llama-3-70B splits the 80 layers 27 / 27 / 26") {
  const ModelSpec& llama = models().find("Llama3-70B");
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CostModel pp3(llama, h100, with_parallel(1, 3, &links().find("nvswitch")));
  const StepBreakdown b = pp3.breakdown(decode_batch(pp3, 16, 1024));
  REQUIRE(b.stage_time_s.size() == 3);
  // vLLM's split: 80 / 3 = 26 remainder 2, one extra layer each to the two stages before the
  // last -> 27, 27, 26. Stage 0 = 27 layers + embedding, stage 1 = 27 layers,
  // stage 2 = 26 layers + final norm + LM head + sampling.
  double embedding = 0, tail = 0;
  for (const auto& op : b.ops) {
    if (op.kind == OpKind::embedding) embedding += op.total_time_s();
    if (op.kind == OpKind::final_norm || op.kind == OpKind::lm_head || op.kind == OpKind::sampling)
      tail += op.total_time_s();
  }
  const double layer = b.stage_time_s[1] / 27;
  CHECK(b.stage_time_s[0] == Approx(27 * layer + embedding));
  CHECK(b.stage_time_s[2] == Approx(26 * layer + tail));
  // Two hops of 262,144 bytes: 2 x 14.4227e-6 s (see the PP 2 case above).
  const OperatorCost* send = find_op(b, OpKind::pp_transfer, -1);
  REQUIRE(send != nullptr);
  CHECK(send->count == 2.0);
  CHECK(b.transfer_time_s == Approx(2 * 14.4227e-6).epsilon(1e-6));
  CHECK(b.latency_s == Approx(b.stage_time_s[0] + b.stage_time_s[1] + b.stage_time_s[2] +
                              b.transfer_time_s + b.cpu_overhead_s));
}

// Gemma-2 has four RMSNorms per layer (pre- and post-attention, pre- and post-feed-forward;
// norms_per_layer = 4), and each must be charged. Expected, by hand, for Gemma-2-9B: (42 layers x 4 + 1 final) x 3584 x 2 bytes = 1,211,392
// norm-weight bytes per step at least (the seed counts (d + 1) x 2 per norm, a little more).
TEST_CASE("cost model: a Gemma-2-9B step reads all four RMSNorm weight vectors of every layer") {
  const CostModel model(models().find("Gemma2-9B"), gpus().find("H100-SXM"), {});
  const StepBreakdown b = model.breakdown(decode_batch(model, 1, 100));
  double norm_bytes = 0, norm_kernels = 0;
  for (const auto& op : b.ops) {
    if (op.kind == OpKind::attn_norm || op.kind == OpKind::ffn_norm || op.kind == OpKind::final_norm ||
        op.kind == OpKind::attn_post_norm || op.kind == OpKind::ffn_post_norm) {
      norm_bytes += op.count * op.work.weight_bytes;
      norm_kernels += op.count;
    }
  }
  CHECK(norm_bytes >= 1211392.0);
  CHECK(norm_kernels >= 169.0);  // 42 x 4 + 1
}
