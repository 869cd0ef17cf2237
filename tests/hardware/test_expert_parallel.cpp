// Expert parallelism (hardware/expert_parallel.hpp, the MoE operators of hardware/cost_model.cpp,
// the expert sharding of models/memory_plan.cpp): all-to-all times, the busiest rank's load and
// weights per GPU worked out by hand from the formulas in expert_parallel.hpp and the presets.
#include <catch2/catch.hpp>

#include "library_fixtures.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "hardware/cost_model.hpp"
#include "hardware/expert_parallel.hpp"
#include "models/memory_plan.hpp"
#include "models/quantization.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

ParallelConfig data_expert_parallel(int64_t tp, int64_t dp, All2AllBackend backend) {
  ParallelConfig p(tp);
  p.data_parallel = dp;
  p.expert_parallel = true;
  p.all2all_backend = backend;
  return p;
}

CostModelOptions options_for(const ParallelConfig& parallel) {
  CostModelOptions options;
  options.parallel = parallel;
  options.intra_node = &links().find("nvswitch-hopper");
  options.inter_node = &links().find("infiniband-400g");
  // GPU time only: each DP rank is its own engine with its own host process, which would halve
  // the per-sequence CPU cost of the DP layout and hide what the GPUs do.
  options.include_host_overhead = false;
  return options;
}

StepShape decode_step(const CostModel& model, int64_t batch) {
  StepShape shape = model.empty_shape();
  for (int64_t i = 0; i < batch; ++i) shape.add_sequence(1024, 1);
  return shape;
}

// One layer's time of the first operator of `kind` (every MoE layer of Qwen3 is alike).
double op_time_s(const StepBreakdown& b, OpKind kind) {
  for (const auto& op : b.ops)
    if (op.kind == kind) return op.time.time_s;
  return -1;
}

}  // namespace

TEST_CASE("expert parallel: vLLM's linear placement gives the first E mod EP ranks one more expert",
          "[expert-parallel]") {
  CHECK(experts_per_rank(128, 8) == std::vector<int64_t>(8, 16));
  // 256 experts over 3 ranks: 86, 85, 85 (vLLM logs "Local/global number of experts: 86/256").
  CHECK(experts_per_rank(256, 3) == std::vector<int64_t>{86, 85, 85});
}

TEST_CASE("expert parallel: a token's top-8 of 128 experts over 8 ranks reaches 5.34 ranks on average",
          "[expert-parallel]") {
  // 16 experts per rank. Chance a rank holds none of the token's 8 distinct experts:
  //   C(112, 8) / C(128, 8) = 112/128 x 111/127 x ... x 105/121 = 0.332580
  //   D = 8 x (1 - 0.332580) = 5.339357
  CHECK(expected_destination_ranks(128, 8, 8) == Approx(5.339357).epsilon(1e-6));
  // One rank: always reached once; as many ranks as experts with top-1: exactly one rank.
  CHECK(expected_destination_ranks(128, 8, 1) == Approx(1.0));
  CHECK(expected_destination_ranks(8, 1, 8) == Approx(1.0));
}

TEST_CASE("expert parallel: DeepEP high-throughput dispatch of 128 tokens on 8 H100s over NVSwitch",
          "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");  // E 128, top-8, hidden 2048
  const ParallelConfig p = data_expert_parallel(1, 8, All2AllBackend::deepep_high_throughput);
  const MoeExchangeBytes bytes = moe_exchange_bytes(qwen, p, 128, 2, 8);
  // Remote destinations 5.339357 x 7/8 = 4.671937 per token.
  // Dispatch: 128 x 4.671937 x (2048 FP8 bytes + 4 x 16 scale bytes) = 1,262,992.8 bytes;
  // combine:  128 x 4.671937 x 2 x 2048 (BF16) = 2,449,440.7 bytes.
  CHECK(bytes.dispatch == Approx(1262992.84).epsilon(1e-6));
  CHECK(bytes.combine == Approx(2449440.65).epsilon(1e-6));
  CHECK(bytes.peers == 8);
  CHECK(bytes.peers_per_node == 8);
  // nvswitch-hopper on H100-SXM (450 GB/s NVLink): 7 peers,
  //   Simple: 17.74 + 0.36 x 7 = 20.26 us + 1,262,992.8 / (450e9 x 0.6456) = 4.347 us -> 24.607 us
  //   LL:      4.65 + 1.91 x 7 = 18.02 us + 1,262,992.8 / (450e9 x 0.2719) = 10.322 us -> 28.342 us
  // the faster is Simple: 24.607 us. Combine: 20.26 + 8.431 = 28.691 us (LL 38.04 us).
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CollectiveLink nvlink = collective_link(links().find("nvswitch-hopper"), h100, 8);
  CHECK(moe_exchange_time_s(bytes.dispatch, 8, 8, nvlink, nullptr) == Approx(24.607e-6).epsilon(1e-3));
  CHECK(moe_exchange_time_s(bytes.combine, 8, 8, nvlink, nullptr) == Approx(28.691e-6).epsilon(1e-3));
}

TEST_CASE("expert parallel: across two nodes the RDMA share of the dispatch sets its time", "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const ParallelConfig p = data_expert_parallel(1, 16, All2AllBackend::deepep_high_throughput);
  const MoeExchangeBytes bytes = moe_exchange_bytes(qwen, p, 128, 2, 8);
  // 8 experts per rank: C(120, 8) / C(128, 8) = 0.587718, D = 16 x 0.412282 = 6.596513;
  // remote 6.596513 x 15/16; dispatch 128 x 6.184231 x 2112 = 1,671,820.2 bytes.
  CHECK(bytes.dispatch == Approx(1671820.2).epsilon(1e-6));
  CHECK(bytes.peers == 16);
  CHECK(bytes.peers_per_node == 8);
  // 7 of 15 peers in the node: 780,182.8 bytes over NVLink, 20.26 + 2.686 = 22.95 us;
  // 8 of 15 across: 891,637.4 bytes over infiniband-400g with 8 remote peers:
  //   Simple: 32.14 + 12 x 8 = 128.14 us + 891,637.4 / (50e9 x 0.8) = 22.29 us -> 150.43 us
  //   LL:     8.94 + 13.95 x 8 = 120.54 us + 891,637.4 / (50e9 x 0.2104) = 84.76 us -> 205.30 us
  // The two run at once: max(22.95, 150.43) = 150.43 us.
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CollectiveLink nvlink = collective_link(links().find("nvswitch-hopper"), h100, 8);
  const CollectiveLink ib = collective_link(links().find("infiniband-400g"), h100, 16);
  CHECK(moe_exchange_time_s(bytes.dispatch, 16, 8, nvlink, &ib) == Approx(150.43e-6).epsilon(1e-3));
}

TEST_CASE("expert parallel: the default all-gather / reduce-scatter moves every DP rank's hidden states",
          "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const ParallelConfig p = data_expert_parallel(1, 4, All2AllBackend::allgather_reducescatter);
  // (4 - 1) x 64 tokens x 2048 x 2 bytes = 786,432 bytes each way, over the DP group of 4.
  const MoeExchangeBytes bytes = moe_exchange_bytes(qwen, p, 64, 2, 8);
  CHECK(bytes.dispatch == 786432.0);
  CHECK(bytes.combine == 786432.0);
  CHECK(bytes.peers == 4);
  // One DP rank (EP = TP): the TP ranks already hold every token, nothing is exchanged.
  const MoeExchangeBytes none = moe_exchange_bytes(qwen, data_expert_parallel(4, 1, All2AllBackend::deepep_low_latency), 64, 2, 8);
  CHECK(none.dispatch == 0.0);
  CHECK(none.combine == 0.0);
}

TEST_CASE("expert parallel: the busiest of 8 ranks under uniform routing, closed form against sampling",
          "[expert-parallel]") {
  // 128 tokens x top-8 = 1024 assignments over 8 ranks of 16 experts: q = 1/8, mean 128,
  // sd sqrt(1024 x 1/8 x 7/8) = 10.583; z_8 = Phi^-1(7.625 / 8.25) = Phi^-1(0.924242) = 1.4342;
  // busiest = 128 + 1.4342 x 10.583 = 143.18.
  const double share = busiest_rank_share(128, 8, {});
  CHECK(share == Approx(0.125));
  CHECK(expected_max_standard_normal(8) == Approx(1.4342).epsilon(1e-4));
  const double closed_form = expected_busiest_rank_assignments(1024, share, 8);
  CHECK(closed_form == Approx(143.18).epsilon(1e-4));
  // Sampled: 4000 steps of 128 tokens, each picking 8 distinct experts uniformly.
  std::mt19937_64 engine(7);
  double sum_of_max = 0;
  constexpr int kSteps = 4000;
  for (int step = 0; step < kSteps; ++step) {
    std::vector<int> load(8, 0);
    for (int token = 0; token < 128; ++token) {
      std::vector<int> experts(128);
      for (int e = 0; e < 128; ++e) experts[static_cast<std::size_t>(e)] = e;
      for (int j = 0; j < 8; ++j) {
        const auto pick = j + static_cast<int>(engine() % static_cast<uint64_t>(128 - j));
        std::swap(experts[static_cast<std::size_t>(j)], experts[static_cast<std::size_t>(pick)]);
        load[static_cast<std::size_t>(experts[static_cast<std::size_t>(j)] / 16)] += 1;
      }
    }
    sum_of_max += *std::max_element(load.begin(), load.end());
  }
  // Drawing without replacement inside a token narrows the spread a little: within 2%.
  CHECK(sum_of_max / kSteps == Approx(closed_form).epsilon(0.02));
}

TEST_CASE("expert parallel: a zipf skew makes the busiest rank's share larger than uniform", "[expert-parallel]") {
  ExpertLoad zipf;
  zipf.distribution = ExpertLoadDistribution::zipf;
  zipf.zipf_exponent = 1.0;
  const double skewed = busiest_rank_share(128, 8, zipf);
  CHECK(skewed > 0.125);
  CHECK(skewed < 1.0);
  // A steeper skew concentrates more; exponent -> 0 tends to uniform.
  zipf.zipf_exponent = 2.0;
  CHECK(busiest_rank_share(128, 8, zipf) > skewed);
  zipf.zipf_exponent = 1e-9;
  CHECK(busiest_rank_share(128, 8, zipf) == Approx(0.125).epsilon(0.05));
}

TEST_CASE("expert parallel: Qwen3-30B-A3B weights per GPU at TP2, TP2 + EP2 and DP2 + EP2", "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const QuantizationInfo& none = find_quantization("none");
  const auto weights = [&](const ParallelConfig& p) { return stage_weight_bytes(qwen, p, none, 0, qwen.num_layers); };
  const ParallelConfig tp2(2);
  ParallelConfig tp2_ep2(2);
  tp2_ep2.expert_parallel = true;
  const ParallelConfig dp2_ep2 = data_expert_parallel(1, 2, All2AllBackend::allgather_reducescatter);
  // Experts per layer: TP2 holds 128 x 3 x 2048 x 384 = 301,989,888 parameters; EP2 holds
  // 64 whole experts, 64 x 3 x 2048 x 768 = 301,989,888: the same bytes, so TP2 + EP2 = TP2.
  CHECK(weights(tp2_ep2) == weights(tp2));
  // DP2 + EP2 keeps attention whole on each GPU (TP 1): per layer QKV + O is
  //   2048 x (4096 + 2 x 512) + 4096 x 2048 = 18,874,368 instead of TP2's 9,437,184:
  //   + 9,437,184 x 48 layers x 2 bytes = 905,969,664 bytes;
  // and the untied embedding and LM head are not split: + 2 x 151,936 x 2048 / 2 x 2 bytes
  //   = 622,329,856 bytes. In all 1,528,299,520 bytes more per GPU.
  CHECK(weights(dp2_ep2) - weights(tp2) == 1528299520.0);
  // Without expert parallelism DP2 shards every expert's columns over TP x DP = 2 ranks.
  ParallelConfig dp2(1);
  dp2.data_parallel = 2;
  CHECK(weights(dp2) == weights(dp2_ep2));
}

TEST_CASE("expert parallel: vLLM's checks of the layout", "[expert-parallel]") {
  ParallelConfig p(2);
  p.expert_parallel = true;
  CHECK_THROWS_WITH(check_parallel_config(models().find("Llama2-7B"), p), Contains("needs an MoE model"));
  // Mixtral has 8 experts: EP 16 is more ranks than experts.
  const ParallelConfig too_many = data_expert_parallel(2, 8, All2AllBackend::allgather_reducescatter);
  CHECK_THROWS_WITH(check_parallel_config(models().find("Mixtral-8x7B"), too_many), Contains("exceeds"));
  CHECK_NOTHROW(check_parallel_config(models().find("Mixtral-8x7B"), data_expert_parallel(1, 8, All2AllBackend::allgather_reducescatter)));
}

TEST_CASE("expert parallel: the step breakdown names dispatch and combine, and decode pays their latency",
          "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CostModel tp2(qwen, h100, options_for(ParallelConfig(2)));
  const CostModel ep(qwen, h100, options_for(data_expert_parallel(1, 2, All2AllBackend::allgather_reducescatter)));
  const StepBreakdown small_ep = ep.breakdown(decode_step(ep, 1));
  // A 1-token decode on each of 2 DP ranks: the all-gather of 1 x 2048 x 2 = 4,096 bytes from the
  // one peer, Simple 17.74 + 0.36 = 18.10 us + 4096 / 290.52e9 (0.014 us) vs LL 4.65 + 1.91 = 6.56 us
  // + 4096 / (450e9 x 0.2719) = 0.033 us -> 6.593 us, per layer, each way.
  CHECK(op_time_s(small_ep, OpKind::moe_dispatch) == Approx(6.593e-6).epsilon(1e-3));
  CHECK(op_time_s(small_ep, OpKind::moe_combine) == Approx(6.593e-6).epsilon(1e-3));
  // Tensor parallelism alone exchanges nothing: its all-reduces combine the expert columns.
  CHECK(op_time_s(tp2.breakdown(decode_step(tp2, 2)), OpKind::moe_dispatch) < 0);
}

TEST_CASE("expert parallel: DP2 + EP2 against TP2 on two H100s, same tokens in flight", "[expert-parallel]") {
  // Both layouts decode 2B sequences on two GPUs: TP2 as one batch of 2B, DP2 + EP2 as B on each
  // rank. At B = 1 the DP rank pays two exchanges per layer (2 x 48 x 6.6 us, the LL protocol's
  // latency) and reads QKV / O whole, against TP's custom all-reduces of a few us: TP is ahead
  // (4.37 vs 5.16 ms). At B = 256 each GPU normalises, adds and samples only its own 256 tokens
  // (TP: all 512), its experts run at full width, and no TP all-reduce runs; the 1 MiB
  // all-gather / reduce-scatter costs less than those: EP is ahead, narrowly (26.04 vs 26.37 ms).
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CostModel tp2(qwen, h100, options_for(ParallelConfig(2)));
  const CostModel ep(qwen, h100, options_for(data_expert_parallel(1, 2, All2AllBackend::allgather_reducescatter)));
  const double tp_small = tp2.step_time_s(decode_step(tp2, 2));
  const double ep_small = ep.step_time_s(decode_step(ep, 1));
  const double tp_large = tp2.step_time_s(decode_step(tp2, 512));
  const double ep_large = ep.step_time_s(decode_step(ep, 256));
  CAPTURE(tp_small, ep_small, tp_large, ep_large);
  CHECK(ep_small > tp_small);
  CHECK(ep_large < tp_large);
}

TEST_CASE("expert parallel: DeepEP low-latency exchanges of a DeepSeek-V3-shaped layer beside DeepEP's published latencies",
          "[expert-parallel]") {
  // DeepEP's legacy README (deepseek-ai/DeepEP docs/legacy.md, "Low-latency kernels with pure
  // RDMA", H800 + CX7 400 Gb/s): 128 tokens per rank, hidden 7168, top-8 of 256 experts, FP8
  // dispatch, BF16 combine: dispatch 77 us (EP 8), 118 us (EP 16); combine 114 us, 195 us.
  // The same shape here, on H100-SXM with nvswitch-hopper in the node and infiniband-400g across.
  ModelSpec v3 = models().find("Qwen3-30B-A3B");
  v3.hidden_size = 7168;
  v3.moe.num_experts = 256;
  v3.moe.experts_per_token = 8;
  const GpuSpec& h100 = gpus().find("H100-SXM");
  const CollectiveLink nvlink = collective_link(links().find("nvswitch-hopper"), h100, 8);
  const CollectiveLink ib = collective_link(links().find("infiniband-400g"), h100, 16);
  const auto time_us = [&](int64_t ranks, bool dispatch) {
    const MoeExchangeBytes b =
        moe_exchange_bytes(v3, data_expert_parallel(1, ranks, All2AllBackend::deepep_low_latency), 128, 2, 8);
    return 1e6 * moe_exchange_time_s(dispatch ? b.dispatch : b.combine, b.peers, b.peers_per_node, nvlink, &ib);
  };
  // EP 8, one node: dispatch 128 x 8 x 7/8 x (7168 + 224) = 6,623,232 bytes over NVLink,
  //   20.26 + 6,623,232 / 290.52e9 (22.80) = 43.06 us (DeepEP 77 us over RDMA);
  // combine 128 x 7 x 14,336 = 12,845,056 bytes: 20.26 + 44.21 = 64.47 us (DeepEP 114 us).
  CHECK(time_us(8, true) == Approx(43.06).epsilon(2e-3));
  CHECK(time_us(8, false) == Approx(64.47).epsilon(2e-3));
  // EP 16, two nodes: dispatch 7,096,320 bytes, 8/15 of it (3,784,704) over InfiniBand:
  //   Simple 32.14 + 12 x 8 + 3,784,704 / 40e9 (94.62) = 222.76 us (DeepEP 118 us);
  // combine 13,762,560 bytes, 7,340,032 across: 128.14 + 183.50 = 311.64 us (DeepEP 195 us).
  CHECK(time_us(16, true) == Approx(222.76).epsilon(2e-3));
  CHECK(time_us(16, false) == Approx(311.64).epsilon(2e-3));
}

TEST_CASE("expert parallel: a skewed expert load slows the busiest rank's experts, not the exchange", "[expert-parallel]") {
  const ModelSpec& qwen = models().find("Qwen3-30B-A3B");
  const GpuSpec& h100 = gpus().find("H100-SXM");
  ParallelConfig skewed = data_expert_parallel(1, 8, All2AllBackend::deepep_high_throughput);
  skewed.expert_load.distribution = ExpertLoadDistribution::zipf;
  skewed.expert_load.zipf_exponent = 1.2;
  const CostModel uniform_model(qwen, h100, options_for(data_expert_parallel(1, 8, All2AllBackend::deepep_high_throughput)));
  const CostModel skewed_model(qwen, h100, options_for(skewed));
  const StepBreakdown u = uniform_model.breakdown(decode_step(uniform_model, 256));
  const StepBreakdown z = skewed_model.breakdown(decode_step(skewed_model, 256));
  // The busiest rank receives more assignments: more rows through its experts' GEMMs.
  CHECK(op_time_s(z, OpKind::expert_gate_up) > op_time_s(u, OpKind::expert_gate_up));
  CHECK(op_time_s(z, OpKind::expert_act_mul) > op_time_s(u, OpKind::expert_act_mul));
  // Dispatch bytes depend on where tokens go, which the model takes as uniform ranks either way.
  CHECK(op_time_s(z, OpKind::moe_dispatch) == op_time_s(u, OpKind::moe_dispatch));
}
