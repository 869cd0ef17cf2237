// vLLM's custom all-reduce (hardware/interconnect.hpp) against vLLM's own rule, worked out by hand
// from vllm/distributed/device_communicators/custom_all_reduce.py (world sizes 2, 4, 6, 8; one
// node; > 2 ranks need full NVLink; bytes a multiple of 16 and < max_size = 8 MiB) and
// csrc/custom_all_reduce.cuh (one-shot for 2 ranks, or below 512 KiB at <= 4 ranks / 256 KiB at
// <= 8 ranks; two-shot otherwise). The preset here is made up so the times are easy by hand.
#include <catch2/catch.hpp>

#include "hardware/interconnect.hpp"

using namespace llmpo;

namespace {

InterconnectSpec preset(Topology topology) {
  InterconnectSpec p;
  p.id = "test";
  p.topology = topology;
  p.bandwidth_source = BandwidthSource::fixed;
  p.bandwidth_bytes_per_s = 400e9;
  p.latency_s = 20e-6;
  p.bus_efficiency = 0.5;
  p.pcie_bus_efficiency = 0.5;
  p.custom_one_shot_latency_s = 4e-6;
  p.custom_one_shot_latency_per_rank_s = 0.1e-6;
  p.custom_one_shot_bus_efficiency = 0.5;
  p.custom_two_shot_latency_s = 8e-6;
  p.custom_two_shot_latency_per_rank_s = 0.2e-6;
  p.custom_two_shot_bus_efficiency = 0.8;
  return p;
}

GpuSpec gpu() {
  GpuSpec g;
  g.link.bandwidth_bytes_per_s = 400e9;
  g.link.pcie_generation = 4;
  return g;
}

constexpr double kKiB = 1024, kMiB = 1024 * 1024;

AllReduceAlgorithm choice(Topology topology, int64_t ranks, double bytes, bool enabled = true) {
  return choose_all_reduce(bytes, ranks, collective_link(preset(topology), gpu(), ranks, enabled));
}

}  // namespace

TEST_CASE("custom all-reduce: one-shot below the kernel's threshold, two-shot above") {
  using A = AllReduceAlgorithm;
  // 8 ranks on NVSwitch: one-shot below 256 KiB only.
  CHECK(choice(Topology::all_to_all, 8, 128 * kKiB) == A::custom_one_shot);
  CHECK(choice(Topology::all_to_all, 8, 256 * kKiB - 16) == A::custom_one_shot);
  CHECK(choice(Topology::all_to_all, 8, 256 * kKiB) == A::custom_two_shot);
  CHECK(choice(Topology::all_to_all, 6, 300 * kKiB) == A::custom_two_shot);  // 6 > 4: the 256 KiB rule
  // 4 ranks: one-shot below 512 KiB.
  CHECK(choice(Topology::all_to_all, 4, 300 * kKiB) == A::custom_one_shot);
  CHECK(choice(Topology::all_to_all, 4, 512 * kKiB) == A::custom_two_shot);
  // 2 ranks: always one-shot, up to max size.
  CHECK(choice(Topology::all_to_all, 2, 4 * kMiB) == A::custom_one_shot);
  CHECK(choice(Topology::all_to_all, 2, 8 * kMiB - 16) == A::custom_one_shot);
}

TEST_CASE("custom all-reduce: NCCL above max size, across nodes, unsupported world sizes, disabled") {
  using A = AllReduceAlgorithm;
  CHECK(choice(Topology::all_to_all, 8, 8 * kMiB) == A::nccl);         // inp_size < max_size is false
  CHECK(choice(Topology::all_to_all, 2, 16 * kMiB) == A::nccl);
  CHECK(choice(Topology::inter_node, 8, 64 * kKiB) == A::nccl);         // spans nodes
  CHECK(choice(Topology::all_to_all, 3, 64 * kKiB) == A::nccl);         // not in [2, 4, 6, 8]
  CHECK(choice(Topology::all_to_all, 16, 64 * kKiB) == A::nccl);
  CHECK(choice(Topology::all_to_all, 8, 64 * kKiB + 8) == A::nccl);     // not a multiple of 16 bytes
  CHECK(choice(Topology::all_to_all, 8, 64 * kKiB, false) == A::nccl);  // --disable-custom-all-reduce
  // PCIe: two P2P GPUs may use it (one-shot); more than two PCIe-only GPUs may not.
  CHECK(choice(Topology::pcie_host, 2, 64 * kKiB) == A::custom_one_shot);
  CHECK(choice(Topology::pcie_host, 4, 64 * kKiB) == A::nccl);
  CHECK(choice(Topology::pairwise, 2, 1 * kMiB) == A::custom_one_shot);
  CHECK(choice(Topology::pairwise, 4, 64 * kKiB) == A::nccl);
  // A preset without custom all-reduce parameters always runs NCCL.
  InterconnectSpec plain = preset(Topology::all_to_all);
  plain.custom_one_shot_bus_efficiency = plain.custom_two_shot_bus_efficiency = 0;
  CHECK(choose_all_reduce(64 * kKiB, 8, collective_link(plain, gpu(), 8, true)) == A::nccl);
}

TEST_CASE("custom all-reduce: times worked out by hand") {
  const CollectiveLink link = collective_link(preset(Topology::all_to_all), gpu(), 8, true);
  // One-shot, 8 ranks, 128 KiB = 131072 B: 4 us + 0.1 us x 7 + 7 x 131072 B / (0.5 x 400 GB/s)
  //   = 4.7 us + 917504 / 2e11 s = 4.7 us + 4.58752 us = 9.28752 us
  CHECK(all_reduce_time_s(128 * kKiB, 8, link) == Approx(9.28752e-6));
  // Two-shot, 8 ranks, 1 MiB = 1048576 B: 8 us + 0.2 us x 7 + 2 x 7/8 x 1048576 / (0.8 x 400 GB/s)
  //   = 9.4 us + 1835008 / 3.2e11 s = 9.4 us + 5.7344 us = 15.1344 us
  CHECK(all_reduce_time_s(1 * kMiB, 8, link) == Approx(15.1344e-6));
  // Above max size the NCCL bandwidth protocol: 20 us + 2 x 7/8 x 16 MiB / (0.5 x 400 GB/s)
  //   = 20 us + 29360128 / 2e11 s = 20 us + 146.80064 us = 166.80064 us
  CHECK(all_reduce_time_s(16 * kMiB, 8, link) == Approx(166.80064e-6));
}
