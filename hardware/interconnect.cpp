#include "interconnect.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "simulator/util/data_paths.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/units.hpp"
#include "simulator/util/yaml_key_scan.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

InterconnectSpec parse_preset(const YAML::Node& root, const std::string& file) {
  StrictMap top(root, file, "");
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
  // NVLS is all three keys or none.
  if (top.has("nvls_bus_efficiency") || top.has("nvls_latency_us")) {
    spec.nvls_bus_efficiency = top.get_double("nvls_bus_efficiency", fraction());
    spec.nvls_latency_s = top.get_double("nvls_latency_us", non_negative()) * 1e-6;
    spec.nvls_latency_per_rank_s = top.get_double("nvls_latency_per_rank_us", non_negative()) * 1e-6;
  }
  // vLLM custom all-reduce: both kernels' three keys, or none (then NCCL is always used).
  if (top.has("custom_ar_one_shot_bus_efficiency") || top.has("custom_ar_two_shot_bus_efficiency")) {
    spec.custom_one_shot_latency_s = top.get_double("custom_ar_one_shot_latency_us", non_negative()) * 1e-6;
    spec.custom_one_shot_latency_per_rank_s = top.get_double("custom_ar_one_shot_latency_per_rank_us", non_negative()) * 1e-6;
    spec.custom_one_shot_bus_efficiency = top.get_double("custom_ar_one_shot_bus_efficiency", fraction());
    spec.custom_two_shot_latency_s = top.get_double("custom_ar_two_shot_latency_us", non_negative()) * 1e-6;
    spec.custom_two_shot_latency_per_rank_s = top.get_double("custom_ar_two_shot_latency_per_rank_us", non_negative()) * 1e-6;
    spec.custom_two_shot_bus_efficiency = top.get_double("custom_ar_two_shot_bus_efficiency", fraction());
    spec.custom_max_bytes = top.opt_double("custom_ar_max_size_mib", positive()).value_or(8.0) * 1024 * 1024;
  }
  top.reject_unknown_keys({"id", "description", "topology", "bandwidth", "bandwidth_gb_per_s",
                           "latency_us", "latency_per_rank_us", "bus_efficiency", "pcie_bus_efficiency",
                           "small_message_latency_us", "small_message_latency_per_rank_us",
                           "small_message_bus_efficiency", "nvls_latency_us", "nvls_latency_per_rank_us",
                           "nvls_bus_efficiency", "custom_ar_one_shot_latency_us",
                           "custom_ar_one_shot_latency_per_rank_us", "custom_ar_one_shot_bus_efficiency",
                           "custom_ar_two_shot_latency_us", "custom_ar_two_shot_latency_per_rank_us",
                           "custom_ar_two_shot_bus_efficiency", "custom_ar_max_size_mib"});
  return spec;
}

InterconnectSpec load_preset(const std::string& file) { return parse_preset(load_yaml_file(file), file); }

// A preset file's id as parse_preset reads it (a string); nullopt when the scan is unsure.
std::optional<std::string> scanned_id(const std::string& text) {
  const auto values = scan_top_level_values(text, {"id"});
  if (!values) return std::nullopt;
  const auto id = values->find("id");
  if (id == values->end() || id->second.is_list) return std::nullopt;
  return id->second.items.front();
}

}  // namespace

InterconnectLibrary InterconnectLibrary::load(const std::string& directory) {
  InterconnectLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  library.entries_ = LazyEntries<InterconnectSpec>(files.size(), [files](std::size_t i) { return load_preset(files[i]); });
  const std::vector<InterconnectSpec>& presets = library.entries_.all();
  for (std::size_t i = 0; i < files.size(); ++i) library.names_.add({presets[i].id}, i, files[i]);
  return library;
}

InterconnectLibrary InterconnectLibrary::load_default() { return load(interconnect_dir()); }

InterconnectLibrary InterconnectLibrary::open(const std::string& directory) {
  InterconnectLibrary library;
  const std::vector<std::string> files = yaml_files_in(directory);
  auto indexed = index_library_files<InterconnectSpec, std::string>(
      files, [](const std::string& text) { return scanned_id(text); },
      [](const std::string& text, const std::string& file) { return parse_preset(load_yaml_string(text, file), file); },
      [](const InterconnectSpec& spec) { return spec.id; },
      [&](const std::string& id, std::size_t i) { library.names_.add({id}, i, files[i]); });
  library.entries_ = LazyEntries<InterconnectSpec>(files.size(), [files, ids = indexed.names](std::size_t i) {
    note_parsed_entry(files[i]);
    InterconnectSpec spec = load_preset(files[i]);
    check_indexed_names(files[i], {ids[i]}, {spec.id});
    return spec;
  });
  library.entries_.set_parsed(indexed.parsed);
  return library;
}

InterconnectLibrary InterconnectLibrary::open_default() { return open(interconnect_dir()); }

const InterconnectSpec& InterconnectLibrary::find(const std::string& name) const {
  if (const auto index = names_.find(name)) return entries_.get(*index);
  names_.throw_unknown("interconnect", "interconnect", name, "llmperforacle list interconnects");
}

bool custom_all_reduce_supported(Topology topology, int64_t ranks) {
  // custom_all_reduce.py: _SUPPORTED_WORLD_SIZES = [2, 4, 6, 8]; groups spanning nodes are
  // disabled; "more than two PCIe-only GPUs" are disabled (no full NVLink connectivity).
  if (ranks != 2 && ranks != 4 && ranks != 6 && ranks != 8) return false;
  switch (topology) {
    case Topology::all_to_all: return true;
    case Topology::pairwise:
    case Topology::pcie_host: return ranks == 2;
    case Topology::inter_node: return false;
  }
  return false;
}

CollectiveLink collective_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t ranks, bool custom_all_reduce) {
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
  if (preset.nvls_bus_efficiency > 0) {
    link.nvls_bandwidth_bytes_per_s = raw * preset.nvls_bus_efficiency;
    link.nvls_latency_s = preset.nvls_latency_s;
    link.nvls_latency_per_rank_s = preset.nvls_latency_per_rank_s;
  }
  const bool has_custom = preset.custom_one_shot_bus_efficiency > 0 && preset.custom_two_shot_bus_efficiency > 0;
  if (has_custom) {
    // The custom kernel reads peers' memory directly: over NVLink where the group has it
    // (pairwise bridges join two GPUs), else PCIe P2P.
    const bool nvlink = preset.topology == Topology::all_to_all ||
                        (preset.topology == Topology::pairwise && ranks <= 2);
    const double custom_raw = preset.topology == Topology::pcie_host ? pcie_raw : nvlink ? raw : pcie_raw;
    link.custom_usable = custom_all_reduce && custom_all_reduce_supported(preset.topology, ranks);
    // vLLM's fully_connected: every pair of GPUs joined by NVLink (is_fully_connected).
    link.custom_fully_connected = preset.topology == Topology::all_to_all;
    link.custom_max_bytes = preset.custom_max_bytes;
    link.custom_one_shot_bandwidth_bytes_per_s = custom_raw * preset.custom_one_shot_bus_efficiency;
    link.custom_one_shot_latency_s = preset.custom_one_shot_latency_s;
    link.custom_one_shot_latency_per_rank_s = preset.custom_one_shot_latency_per_rank_s;
    link.custom_two_shot_bandwidth_bytes_per_s = custom_raw * preset.custom_two_shot_bus_efficiency;
    link.custom_two_shot_latency_s = preset.custom_two_shot_latency_s;
    link.custom_two_shot_latency_per_rank_s = preset.custom_two_shot_latency_per_rank_s;
  }
  return link;
}

const char* to_string(AllReduceAlgorithm algorithm) {
  switch (algorithm) {
    case AllReduceAlgorithm::nccl: return "nccl";
    case AllReduceAlgorithm::custom_one_shot: return "custom one-shot";
    case AllReduceAlgorithm::custom_two_shot: return "custom two-shot";
  }
  return "?";
}

AllReduceAlgorithm custom_kernel_choice(double bytes, int64_t ranks, bool fully_connected) {
  // csrc/custom_all_reduce.cuh, CustomAllreduce::allreduce (REDUCE_CASE): two ranks always run
  // the one-stage kernel; a fully connected group runs it below 512 KiB at <= 4 ranks or 256 KiB
  // at <= 8 ranks, and the two-stage kernel above.
  if (ranks == 2) return AllReduceAlgorithm::custom_one_shot;
  if (fully_connected && ((ranks <= 4 && bytes < 512 * kKiB) || (ranks <= 8 && bytes < 256 * kKiB)))
    return AllReduceAlgorithm::custom_one_shot;
  return AllReduceAlgorithm::custom_two_shot;
}

AllReduceAlgorithm choose_all_reduce(double bytes, int64_t ranks, const CollectiveLink& link) {
  // custom_all_reduce.py should_custom_ar: the byte size must be a multiple of 16 and below
  // max_size; world size 2 or a fully connected group (already in custom_usable).
  if (!link.custom_usable || ranks <= 1 || bytes <= 0) return AllReduceAlgorithm::nccl;
  if (std::fmod(bytes, 16.0) != 0.0 || bytes >= link.custom_max_bytes) return AllReduceAlgorithm::nccl;
  return custom_kernel_choice(bytes, ranks, link.custom_fully_connected);
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

double nccl_all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  const double p = static_cast<double>(ranks);
  double t = fastest(link, p - 1.0, 2.0 * (p - 1.0) / p * bytes);
  if (link.nvls_bandwidth_bytes_per_s > 0)  // the switch reduces: S out and S back per rank
    t = std::min(t, protocol_time(link.nvls_latency_s, link.nvls_latency_per_rank_s, p - 1.0, bytes,
                                  link.nvls_bandwidth_bytes_per_s));
  return t;
}

double custom_all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link, AllReduceAlgorithm algorithm) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  const double p = static_cast<double>(ranks);
  if (algorithm == AllReduceAlgorithm::custom_one_shot)
    return protocol_time(link.custom_one_shot_latency_s, link.custom_one_shot_latency_per_rank_s, p - 1.0,
                         (p - 1.0) * bytes, link.custom_one_shot_bandwidth_bytes_per_s);
  return protocol_time(link.custom_two_shot_latency_s, link.custom_two_shot_latency_per_rank_s, p - 1.0,
                       2.0 * (p - 1.0) / p * bytes, link.custom_two_shot_bandwidth_bytes_per_s);
}

double all_reduce_time_s(double bytes, int64_t ranks, const CollectiveLink& link) {
  const AllReduceAlgorithm algorithm = choose_all_reduce(bytes, ranks, link);
  if (algorithm == AllReduceAlgorithm::nccl) return nccl_all_reduce_time_s(bytes, ranks, link);
  return custom_all_reduce_time_s(bytes, ranks, link, algorithm);
}

double send_recv_time_s(double bytes, const CollectiveLink& link) {
  if (bytes <= 0) return 0.0;
  return fastest(link, 1.0, bytes);
}

double all_to_all_time_s(double bytes, int64_t ranks, const CollectiveLink& link) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  return fastest(link, static_cast<double>(ranks) - 1.0, bytes);
}

}  // namespace llmpo
