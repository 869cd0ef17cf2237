#include "interconnect.hpp"

#include <algorithm>

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
  spec.latency_per_rank_s = top.opt_double("latency_per_rank_us", non_negative()).value_or(0.0) * 1e-6;
  const bool uses_pcie = spec.topology == Topology::pairwise || spec.topology == Topology::pcie_host;
  if (spec.topology != Topology::pcie_host) spec.bus_efficiency = top.get_double("bus_efficiency", fraction());
  if (uses_pcie) spec.pcie_bus_efficiency = top.get_double("pcie_bus_efficiency", fraction());
  // The small-message protocol is all three keys or none.
  if (top.has("small_message_bus_efficiency") || top.has("small_message_latency_us")) {
    spec.small_bus_efficiency = top.get_double("small_message_bus_efficiency", fraction());
    spec.small_latency_s = top.get_double("small_message_latency_us", non_negative()) * 1e-6;
    spec.small_latency_per_rank_s = top.get_double("small_message_latency_per_rank_us", non_negative()) * 1e-6;
  }
  top.reject_unknown_keys({"id", "description", "topology", "bandwidth", "bandwidth_gb_per_s",
                           "latency_us", "latency_per_rank_us", "bus_efficiency", "pcie_bus_efficiency",
                           "small_message_latency_us", "small_message_latency_per_rank_us",
                           "small_message_bus_efficiency"});
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
  link.latency_per_rank_s = preset.latency_per_rank_s;
  const double pcie_raw = gpu.link.pcie_bandwidth_bytes_per_s();
  double raw = 0;         // the link rate the ring runs at
  double efficiency = 1;  // the bandwidth protocol's share of it
  switch (preset.topology) {
    case Topology::pcie_host:
      raw = pcie_raw;
      efficiency = preset.pcie_bus_efficiency;
      break;
    case Topology::pairwise:
      // Two GPUs share a bridge; a ring over more crosses PCIe and runs at its slowest hop.
      raw = ranks <= 2 ? gpu.link.bandwidth_bytes_per_s : pcie_raw;
      efficiency = ranks <= 2 ? preset.bus_efficiency : preset.pcie_bus_efficiency;
      break;
    case Topology::all_to_all:
    case Topology::inter_node:
      raw = preset.bandwidth_source == BandwidthSource::fixed      ? preset.bandwidth_bytes_per_s
            : preset.bandwidth_source == BandwidthSource::gpu_pcie ? pcie_raw
                                                                   : gpu.link.bandwidth_bytes_per_s;
      efficiency = preset.bus_efficiency;
      break;
  }
  link.bandwidth_bytes_per_s = raw * efficiency;
  if (preset.small_bus_efficiency > 0) {
    // The low-latency protocol never beats the bandwidth protocol's rate on the same link.
    link.small_bandwidth_bytes_per_s = raw * std::min(preset.small_bus_efficiency, efficiency);
    link.small_latency_s = preset.small_latency_s;
    link.small_latency_per_rank_s = preset.small_latency_per_rank_s;
  }
  return link;
}

namespace {

// One protocol's time for `traffic` bytes per rank after `steps` = ranks - 1 extra ranks.
double protocol_time(double latency, double per_rank, double steps, double traffic, double bandwidth) {
  return latency + per_rank * steps + traffic / bandwidth;
}

double fastest(const CollectiveLink& link, double steps, double traffic) {
  double t = protocol_time(link.latency_s, link.latency_per_rank_s, steps, traffic, link.bandwidth_bytes_per_s);
  if (link.small_bandwidth_bytes_per_s > 0)
    t = std::min(t, protocol_time(link.small_latency_s, link.small_latency_per_rank_s, steps, traffic,
                                  link.small_bandwidth_bytes_per_s));
  return t;
}

}  // namespace

double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  const double p = static_cast<double>(ranks);
  return fastest(link, p - 1.0, 2.0 * (p - 1.0) / p * bytes);
}

double send_recv_time_s(double bytes, const CollectiveLink& link) {
  if (bytes <= 0) return 0.0;
  return fastest(link, 1.0, bytes);
}

}  // namespace llmpo
