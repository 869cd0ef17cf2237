// The cost model's tensor and pipeline parallelism: per-GPU weights, all-reduces, stages and
// transfers, worked out by hand (constants: cost_model_fixtures.hpp).
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
