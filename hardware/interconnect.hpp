#pragma once
// Interconnect presets (hardware/interconnects/*.yaml) and the collective model. NCCL runs each
// collective with the protocol it predicts fastest: a low-latency protocol (LL: flags in every
// line, little setup, low bandwidth) for small messages and a bandwidth protocol (Simple) for
// large ones. Each protocol is an alpha-beta model whose fixed cost grows with the rank count:
//   protocol time = latency + latency_per_rank (p - 1) + 2 (p - 1) / p * S / (efficiency * link)
//   all-reduce    = min over the preset's protocols            (ring traffic: 2 (p - 1) / p * S)
//   send/recv     = min over protocols of latency + latency_per_rank + S / (efficiency * link)
// A preset without a small-message protocol has the bandwidth protocol only.
// Hopper NVSwitch systems add NVLS (NVLink SHARP: the switch reduces, so each rank sends and
// receives its S bytes once instead of the ring's 2 (p - 1) / p S):
//   NVLS          = nvls_latency + nvls_latency_per_rank (p - 1) + S / (nvls_efficiency * link)
// and NCCL takes the fastest of the protocols the preset has.
//
// vLLM's custom all-reduce (vllm/distributed/device_communicators/custom_all_reduce.py and
// csrc/custom_all_reduce.cuh) is a separate protocol: each rank reads its peers' buffers over
// NVLink / PCIe P2P directly.
//   one-shot (cross_device_reduce_1stage): every rank reads all p - 1 peers' full buffers:
//       latency + latency_per_rank (p - 1) + (p - 1) S / (one_shot_efficiency * link)
//   two-shot (cross_device_reduce_2stage): reduce-scatter then all-gather through the peers:
//       latency + latency_per_rank (p - 1) + 2 (p - 1) / p S / (two_shot_efficiency * link)
// vLLM uses it (custom_all_reduce.py should_custom_ar / __init__) only inside one node, for world
// sizes 2, 4, 6, 8, with NVLink between all GPUs or exactly two PCIe P2P GPUs, for messages
// smaller than max_size (8 MiB by default) whose size is a multiple of 16 bytes; otherwise NCCL.
// The kernel (custom_all_reduce.cuh, CustomAllreduce::allreduce) picks one-shot for 2 ranks, and
// for a fully connected group below 512 KiB at <= 4 ranks or below 256 KiB at <= 8 ranks;
// two-shot otherwise.
#include <string>
#include <vector>

#include "gpu_spec.hpp"
#include "simulator/util/lazy_entries.hpp"
#include "simulator/util/name_index.hpp"

namespace llmpo {

enum class Topology { all_to_all, pairwise, pcie_host, inter_node };
enum class BandwidthSource { fixed, gpu_nvlink, gpu_pcie };

struct InterconnectSpec {
  std::string id;
  std::string description;
  std::string source_file;
  Topology topology = Topology::all_to_all;
  BandwidthSource bandwidth_source = BandwidthSource::fixed;
  double bandwidth_bytes_per_s = 0;  // per GPU per direction, when fixed
  double latency_s = 0;              // bandwidth protocol: fixed cost of one collective
  double latency_per_rank_s = 0;     // bandwidth protocol: extra fixed cost per rank beyond the first
  double bus_efficiency = 1;         // achieved fraction of the link rate for large messages
  double pcie_bus_efficiency = 1;    // the same over PCIe hops (pairwise groups > 2, pcie_host)
  // Low-latency protocol for small messages; bus efficiency 0 = the preset has none. Its
  // efficiency is a fraction of the same link rate as the bandwidth protocol's.
  double small_latency_s = 0;
  double small_latency_per_rank_s = 0;
  double small_bus_efficiency = 0;
  // NVLS (in-switch reduction, Hopper NVSwitch); bus efficiency 0 = the preset has none.
  double nvls_latency_s = 0;
  double nvls_latency_per_rank_s = 0;
  double nvls_bus_efficiency = 0;
  // vLLM custom all-reduce on this fabric; both efficiencies 0 = not available (NCCL is used).
  double custom_max_bytes = 8.0 * 1024 * 1024;  // vLLM's max_size default (8192 * 1024 bytes)
  double custom_one_shot_latency_s = 0;
  double custom_one_shot_latency_per_rank_s = 0;
  double custom_one_shot_bus_efficiency = 0;
  double custom_two_shot_latency_s = 0;
  double custom_two_shot_latency_per_rank_s = 0;
  double custom_two_shot_bus_efficiency = 0;
};

class InterconnectLibrary {
 public:
  // Parses every preset now; throws InputError for a malformed file or an id two files claim.
  static InterconnectLibrary load(const std::string& directory);
  static InterconnectLibrary load_default();
  // Reads every file's id now and parses a preset when first used, as ModelLibrary::open does.
  static InterconnectLibrary open(const std::string& directory);
  static InterconnectLibrary open_default();
  // Every preset, in file order; parses those not parsed yet (throws the first bad one's error).
  const std::vector<InterconnectSpec>& presets() const { return entries_.all(); }
  const InterconnectSpec& find(const std::string& name) const;  // throws with suggestions

 private:
  LazyEntries<InterconnectSpec> entries_;
  NameIndex names_;
};

// The effective link a group of `ranks` GPUs of type `gpu` sees on `preset`.
struct CollectiveLink {
  double bandwidth_bytes_per_s = 0;  // bandwidth protocol, already multiplied by its efficiency
  double latency_s = 0;
  double latency_per_rank_s = 0;
  double small_bandwidth_bytes_per_s = 0;  // low-latency protocol; 0 = none
  double small_latency_s = 0;
  double small_latency_per_rank_s = 0;
  double nvls_bandwidth_bytes_per_s = 0;  // NVLS, already multiplied by its efficiency; 0 = none
  double nvls_latency_s = 0;
  double nvls_latency_per_rank_s = 0;
  // vLLM custom all-reduce: usable = the preset has it, the group is one node, a supported world
  // size and connectivity, and the caller allows it (CostModelOptions::use_custom_all_reduce).
  bool custom_usable = false;
  bool custom_fully_connected = false;
  double custom_max_bytes = 0;
  double custom_one_shot_bandwidth_bytes_per_s = 0;
  double custom_one_shot_latency_s = 0;
  double custom_one_shot_latency_per_rank_s = 0;
  double custom_two_shot_bandwidth_bytes_per_s = 0;
  double custom_two_shot_latency_s = 0;
  double custom_two_shot_latency_per_rank_s = 0;
};
// `custom_all_reduce`: whether the caller's framework runs vLLM's custom all-reduce (vLLM does
// unless --disable-custom-all-reduce); it is then used where vLLM's rule allows it.
CollectiveLink collective_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t ranks,
                               bool custom_all_reduce = false);

enum class AllReduceAlgorithm { nccl, custom_one_shot, custom_two_shot };
const char* to_string(AllReduceAlgorithm algorithm);
// vLLM's world-size / connectivity rule (custom_all_reduce.py __init__): may a group of `ranks`
// on a preset of this topology use the custom all-reduce at all?
bool custom_all_reduce_supported(Topology topology, int64_t ranks);
// What vLLM runs for an all-reduce of `bytes` on `link` (NCCL when the custom kernel is not
// usable, the message is too large or not a multiple of 16 bytes).
AllReduceAlgorithm choose_all_reduce(double bytes, int64_t ranks, const CollectiveLink& link);
// The custom kernel's one-shot / two-shot choice alone (CustomAllreduce::allreduce).
AllReduceAlgorithm custom_kernel_choice(double bytes, int64_t ranks, bool fully_connected);
// Time of the custom kernel as `algorithm` (one- or two-shot) runs it.
double custom_all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link, AllReduceAlgorithm algorithm);
// NCCL alone: the fastest of the preset's protocols.
double nccl_all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link);
// What the cost model charges: choose_all_reduce, then that algorithm's time.
double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link);
double send_recv_time_s(double bytes, const CollectiveLink& link);
// An all-to-all in which each of `ranks` ranks sends `bytes` in all, spread over its peers (MoE
// dispatch / combine): the fastest of the Simple and LL protocols of
//   latency + latency_per_rank (ranks - 1) + bytes / bandwidth  (no in-switch reduction applies).
double all_to_all_time_s(double bytes, int64_t ranks, const CollectiveLink& link);

}  // namespace llmpo
