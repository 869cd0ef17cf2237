#pragma once
// Interconnect presets (hardware/interconnects/*.yaml) and the collective model. NCCL runs each
// collective with the protocol it predicts fastest: a low-latency protocol (LL: flags in every
// line, little setup, low bandwidth) for small messages and a bandwidth protocol (Simple) for
// large ones. Each protocol is an alpha-beta model whose fixed cost grows with the rank count:
//   protocol time = latency + latency_per_rank (p - 1) + 2 (p - 1) / p * S / (efficiency * link)
//   all-reduce    = min over the preset's protocols            (ring traffic: 2 (p - 1) / p * S)
//   send/recv     = min over protocols of latency + latency_per_rank + S / (efficiency * link)
// A preset without a small-message protocol has the bandwidth protocol only.
#include <string>
#include <vector>

#include "gpu_spec.hpp"
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
};

class InterconnectLibrary {
 public:
  static InterconnectLibrary load(const std::string& directory);
  static InterconnectLibrary load_default();
  const std::vector<InterconnectSpec>& presets() const { return presets_; }
  const InterconnectSpec& find(const std::string& name) const;  // throws with suggestions

 private:
  std::vector<InterconnectSpec> presets_;
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
};
CollectiveLink collective_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t ranks);

double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link);
double send_recv_time_s(double bytes, const CollectiveLink& link);

}  // namespace llmpo
