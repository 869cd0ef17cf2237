#include "interconnect.hpp"

#include "simulator/util/data_paths.hpp"
#include "simulator/util/units.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

InterconnectSpec load_preset(const std::string& file) {
  StrictMap top(load_yaml_file(file), file, "");
  InterconnectSpec spec;
  spec.source_file = file;
  spec.id = top.get_string("id");
  spec.description = top.get_string("description");
  const std::string topology =
      top.get_choice("topology", {"all_to_all", "pairwise", "pcie_host", "inter_node"});
  spec.topology = topology == "all_to_all" ? Topology::all_to_all
                  : topology == "pairwise" ? Topology::pairwise
                  : topology == "pcie_host" ? Topology::pcie_host
                                            : Topology::inter_node;
  if (top.has("bandwidth_gb_per_s")) {
    spec.bandwidth_source = BandwidthSource::fixed;
    spec.bandwidth_bytes_per_s = top.get_double("bandwidth_gb_per_s", positive()) * kGB;
  } else {
    const std::string source = top.get_choice("bandwidth", {"gpu_nvlink", "gpu_pcie"});
    spec.bandwidth_source = source == "gpu_nvlink" ? BandwidthSource::gpu_nvlink : BandwidthSource::gpu_pcie;
  }
  spec.latency_s = top.get_double("latency_us", non_negative()) * 1e-6;
  const bool uses_pcie = spec.topology == Topology::pairwise || spec.topology == Topology::pcie_host;
  if (spec.topology != Topology::pcie_host) spec.bus_efficiency = top.get_double("bus_efficiency", fraction());
  if (uses_pcie) spec.pcie_bus_efficiency = top.get_double("pcie_bus_efficiency", fraction());
  top.reject_unknown_keys({"id", "description", "topology", "bandwidth", "bandwidth_gb_per_s",
                           "latency_us", "bus_efficiency", "pcie_bus_efficiency"});
  return spec;
}

}  // namespace

InterconnectLibrary InterconnectLibrary::load(const std::string& directory) {
  InterconnectLibrary library;
  for (const auto& file : yaml_files_in(directory)) {
    InterconnectSpec spec = load_preset(file);
    library.names_.add({spec.id}, library.presets_.size(), file);
    library.presets_.push_back(std::move(spec));
  }
  return library;
}

InterconnectLibrary InterconnectLibrary::load_default() { return load(interconnect_dir()); }

const InterconnectSpec& InterconnectLibrary::find(const std::string& name) const {
  if (const auto index = names_.find(name)) return presets_[*index];
  names_.throw_unknown("interconnect", "interconnect", name, "llmperforacle list interconnects");
}

CollectiveLink collective_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t ranks) {
  CollectiveLink link;
  link.latency_s = preset.latency_s;
  const double pcie = gpu.link.pcie_bandwidth_bytes_per_s() * preset.pcie_bus_efficiency;
  switch (preset.topology) {
    case Topology::pcie_host:
      link.bandwidth_bytes_per_s = pcie;
      break;
    case Topology::pairwise:
      // Two GPUs share a bridge; a ring over more crosses PCIe and runs at its slowest hop.
      link.bandwidth_bytes_per_s = ranks <= 2 ? gpu.link.bandwidth_bytes_per_s * preset.bus_efficiency : pcie;
      break;
    case Topology::all_to_all:
    case Topology::inter_node: {
      const double raw = preset.bandwidth_source == BandwidthSource::fixed ? preset.bandwidth_bytes_per_s
                         : preset.bandwidth_source == BandwidthSource::gpu_pcie
                             ? gpu.link.pcie_bandwidth_bytes_per_s()
                             : gpu.link.bandwidth_bytes_per_s;
      link.bandwidth_bytes_per_s = raw * preset.bus_efficiency;
      break;
    }
  }
  return link;
}

double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  const double p = static_cast<double>(ranks);
  return 2.0 * (p - 1.0) * link.latency_s + 2.0 * (p - 1.0) / p * bytes / link.bandwidth_bytes_per_s;
}

double send_recv_time_s(double bytes, const CollectiveLink& link) {
  if (bytes <= 0) return 0.0;
  return link.latency_s + bytes / link.bandwidth_bytes_per_s;
}

}  // namespace llmpo
