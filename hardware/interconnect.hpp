#pragma once
// Interconnect presets (hardware/interconnects/*.yaml) and the alpha-beta collective model:
// a ring all-reduce over p ranks of a message of S bytes takes
//   2 (p - 1) alpha + 2 (p - 1) / p * S / (efficiency * bandwidth)
// and a point-to-point transfer alpha + S / (efficiency * bandwidth).
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
  double latency_s = 0;              // alpha: per ring step
  double bus_efficiency = 1;         // achieved fraction of the link rate for large messages
  double pcie_bus_efficiency = 1;    // the same over PCIe hops (pairwise groups > 2, pcie_host)
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
  double bandwidth_bytes_per_s = 0;  // already multiplied by the achieved efficiency
  double latency_s = 0;
};
CollectiveLink collective_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t ranks);

double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link);
double send_recv_time_s(double bytes, const CollectiveLink& link);

}  // namespace llmpo
