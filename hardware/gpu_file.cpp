#include "gpu_file.hpp"

#include "simulator/util/units.hpp"

namespace llmpo {

const std::vector<std::string>& efficiency_keys() {
  static const std::vector<std::string> keys = {
      "hbm_bandwidth", "gemm_compute", "gemm_wave_quantization", "gemm_roofline_sharpness",
      "kernel_latency_us", "gemm_tile_m", "gemm_tile_n", "gemm_min_tile_m", "gemm_epilogue_exposed",
      "gemm_split_k_chunk", "gemm_split_k_max", "gemm_split_k_reduce_us", "elementwise_bandwidth", "elementwise_latency_us",
      "attention_prefill_compute", "attention_prefill_bandwidth", "attention_prefill_latency_us",
      "attention_decode_bandwidth", "attention_decode_latency_us", "attention_decode_per_seq_us",
      "attention_decode_cta_bandwidth", "attention_decode_max_splits", "attention_decode_ctas_per_seq",
      "attention_decode_block_tokens", "attention_decode_token_cost_ns", "attention_decode_tile_m", "attention_decode_cta_overhead_us", "attention_mixed_gqa_packed", "attention_mixed_ctas_per_sm", "cpu_overhead_per_step_us",
      "cpu_overhead_per_seq_us"};
  return keys;
}

namespace {

const std::vector<std::string> kLinkTypes = {"nvlink", "pcie", "infinity_fabric"};

LinkType link_from(const std::string& name) {
  if (name == "nvlink") return LinkType::nvlink;
  if (name == "infinity_fabric") return LinkType::infinity_fabric;
  return LinkType::pcie;
}

// Reads `key` when present (or throws when required and absent), converting with `scale`.
template <typename Target>
void read_number(StrictMap& map, const std::string& key, bool required, double scale,
                 NumberRange range, Target& target) {
  if (!required && !map.has(key)) {
    map.opt_double(key);  // marks the key as known
    return;
  }
  target = static_cast<Target>(map.get_double(key, range) * scale);
}

void read_link(StrictMap& link, IntraNodeLink& out, bool required) {
  if (required || link.has("type")) out.type = link_from(link.get_choice("type", kLinkTypes));
  else link.opt_string("type");
  read_number(link, "bandwidth_gb_per_s", required, kGB, {1e-3, 1e9, false}, out.bandwidth_bytes_per_s);
  read_number(link, "pcie_generation", required, 1.0, {3, 6, false}, out.pcie_generation);
  read_number(link, "pcie_lanes", required, 1.0, {1, 32, false}, out.pcie_lanes);
  link.reject_unknown_keys({"type", "bandwidth_gb_per_s", "pcie_generation", "pcie_lanes"});
}

// The keys of the original schema are required in library files; the keys the calibration
// work added (gemm_wave_quantization, gemm_roofline_sharpness, elementwise_bandwidth,
// elementwise_latency_us, attention_prefill_bandwidth, attention_*_latency_us) are optional, so GPU files written before
// them still load, with the documented GpuEfficiency defaults.
void read_efficiency(StrictMap& e, GpuEfficiency& out, bool required) {
  read_number(e, "hbm_bandwidth", required, 1.0, fraction(), out.hbm_bandwidth);
  read_number(e, "gemm_compute", required, 1.0, fraction(), out.gemm_compute);
  read_number(e, "gemm_wave_quantization", false, 1.0, {0, 1, false}, out.gemm_wave_quantization);
  read_number(e, "gemm_roofline_sharpness", false, 1.0, {1, 1000, false}, out.gemm_roofline_sharpness);
  read_number(e, "elementwise_bandwidth", false, 1.0, fraction(), out.elementwise_bandwidth);
  read_number(e, "attention_prefill_compute", required, 1.0, fraction(), out.attention_prefill_compute);
  read_number(e, "attention_prefill_bandwidth", false, 1.0, fraction(), out.attention_prefill_bandwidth);
  read_number(e, "attention_decode_bandwidth", required, 1.0, fraction(), out.attention_decode_bandwidth);
  read_number(e, "attention_prefill_latency_us", false, 1e-6, {0, 1e4, false}, out.attention_prefill_latency_s);
  read_number(e, "attention_decode_latency_us", false, 1e-6, {0, 1e4, false}, out.attention_decode_latency_s);
  read_number(e, "attention_decode_per_seq_us", false, 1e-6, {0, 1e3, false}, out.attention_decode_per_seq_s);
  read_number(e, "attention_decode_cta_bandwidth", false, 1.0, {0, 100, false}, out.attention_decode_cta_bandwidth);
  read_number(e, "attention_decode_max_splits", false, 1.0, {1, 1024, false}, out.attention_decode_max_splits);
  read_number(e, "attention_decode_ctas_per_seq", false, 1.0, {0.01, 64, false}, out.attention_decode_ctas_per_seq);
  read_number(e, "attention_decode_block_tokens", false, 1.0, {1, 65536, false}, out.attention_decode_block_tokens);
  read_number(e, "attention_decode_token_cost_ns", false, 1e-9, {0, 1e6, false}, out.attention_decode_token_cost_s);
  read_number(e, "attention_decode_tile_m", false, 1.0, {1, 1024, false}, out.attention_decode_tile_m);
  read_number(e, "attention_decode_cta_overhead_us", false, 1e-6, {0, 1e3, false}, out.attention_decode_cta_overhead_s);
  read_number(e, "attention_mixed_gqa_packed", false, 1.0, {0, 1, false}, out.attention_mixed_gqa_packed);
  read_number(e, "attention_mixed_ctas_per_sm", false, 1.0, {1, 64, false}, out.attention_mixed_ctas_per_sm);
  read_number(e, "elementwise_latency_us", false, 1e-6, {0, 1e4, false}, out.elementwise_latency_s);
  read_number(e, "kernel_latency_us", required, 1e-6, {0, 1e4, false}, out.kernel_latency_s);
  read_number(e, "gemm_tile_m", required, 1.0, {1, 1024, false}, out.gemm_tile_m);
  read_number(e, "gemm_tile_n", required, 1.0, {1, 1024, false}, out.gemm_tile_n);
  read_number(e, "gemm_min_tile_m", false, 1.0, {1, 1024, false}, out.gemm_min_tile_m);
  read_number(e, "gemm_epilogue_exposed", false, 1.0, {0, 1, false}, out.gemm_epilogue_exposed);
  read_number(e, "gemm_split_k_chunk", false, 1.0, {0, 1e7, false}, out.gemm_split_k_chunk);
  read_number(e, "gemm_split_k_max", false, 1.0, {1, 1024, false}, out.gemm_split_k_max);
  read_number(e, "gemm_split_k_reduce_us", false, 1e-6, {0, 1e4, false}, out.gemm_split_k_reduce_s);
  read_number(e, "cpu_overhead_per_step_us", required, 1e-6, {0, 1e6, false}, out.cpu_overhead_per_step_s);
  read_number(e, "cpu_overhead_per_seq_us", required, 1e-6, {0, 1e6, false}, out.cpu_overhead_per_seq_s);
  e.reject_unknown_keys(efficiency_keys());
}

void read_fidelity(StrictMap& f, ProfileFidelity& out) {
  out.basis = f.get_choice("basis", {"calibrated", "derived"});
  out.step_error_pct = f.get_double("step_error_pct", {0, 1000, false});
  out.evidence = f.get_string("evidence");
  f.reject_unknown_keys({"basis", "step_error_pct", "evidence"});
}

void read_peaks(StrictMap& peaks, GpuSpec& gpu, bool replace_all) {
  if (replace_all)
    for (double& value : gpu.peak_flops) value = 0;
  const auto& names = compute_type_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (auto tflops = peaks.opt_double(names[i], {1e-6, 1e9, false})) gpu.peak_flops[i] = *tflops * kTera;
  peaks.reject_unknown_keys(names);
}

}  // namespace

void read_gpu_fields(StrictMap& fields, GpuSpec& gpu, bool require_all) {
  std::vector<std::string> known = {"memory_gib", "memory_bandwidth_tb_per_s", "peak_dense_tflops",
                                    "sm_count", "l2_cache_mib", "intra_node_link",
                                    "default_interconnect", "max_gpus_per_node",
                                    "price_per_hour_usd", "efficiency", "fidelity"};
  if (require_all) {
    gpu.id = fields.get_string("id");
    gpu.name = fields.get_string("name");
    gpu.aliases = fields.opt_string_list("aliases");
    gpu.family_names = fields.opt_string_list("family_names");
    gpu.vendor = fields.get_choice("vendor", {"nvidia", "amd"});
    gpu.architecture = fields.get_string("architecture");
    known.insert(known.end(), {"id", "name", "aliases", "family_names", "vendor", "architecture"});
  }
  // At most a million GiB: beyond that KV block counts overflow int64 (found by fuzzing).
  read_number(fields, "memory_gib", require_all, kGiB, {0, 1e6, true}, gpu.memory_bytes);
  // Bandwidths and peaks between a millionth and a million times today's: a slower part made a
  // step last longer than the simulated clock holds (1e-300 TB/s), a faster one inf bytes/s.
  read_number(fields, "memory_bandwidth_tb_per_s", require_all, kTB, {1e-6, 1e6, false},
              gpu.memory_bandwidth_bytes_per_s);
  if (require_all || fields.has("peak_dense_tflops")) {
    StrictMap peaks = fields.get_map("peak_dense_tflops");
    read_peaks(peaks, gpu, require_all);
  }
  read_number(fields, "sm_count", require_all, 1.0, {1, 1e5, false}, gpu.sm_count);
  read_number(fields, "l2_cache_mib", require_all, kMiB, {0, 1e6, false}, gpu.l2_bytes);
  if (require_all || fields.has("intra_node_link")) {
    StrictMap link = fields.get_map("intra_node_link");
    read_link(link, gpu.link, require_all);
  }
  if (require_all || fields.has("default_interconnect"))
    gpu.default_interconnect = fields.get_string("default_interconnect");
  read_number(fields, "max_gpus_per_node", require_all, 1.0, {1, 1024, false}, gpu.max_gpus_per_node);
  read_number(fields, "price_per_hour_usd", require_all, 1.0, non_negative(), gpu.price_per_hour_usd);
  if (require_all || fields.has("efficiency")) {
    StrictMap efficiency = fields.get_map("efficiency");
    read_efficiency(efficiency, gpu.efficiency, require_all);
  }
  if (require_all || fields.has("fidelity")) {
    StrictMap fidelity = fields.get_map("fidelity");
    read_fidelity(fidelity, gpu.fidelity);
  }
  fields.reject_unknown_keys(known);
}

namespace {

GpuSpec parse_gpu_node(const YAML::Node& root, const std::string& file) {
  StrictMap top(root, file, "");
  GpuSpec gpu;
  gpu.source_file = file;
  read_gpu_fields(top, gpu, true);
  try {
    gpu.validate();
  } catch (const InputError& error) {
    throw InputError(position_at_path(root, error.key_path(), file), error.key_path(), error.message());
  }
  return gpu;
}

}  // namespace

GpuSpec parse_gpu_yaml(const std::string& text, const std::string& pretend_file) {
  return parse_gpu_node(load_yaml_string(text, pretend_file), pretend_file);
}

GpuSpec load_gpu_file(const std::string& path) { return parse_gpu_node(load_yaml_file(path), path); }

}  // namespace llmpo
