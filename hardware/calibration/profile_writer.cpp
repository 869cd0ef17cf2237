#include "profile_writer.hpp"

#include <algorithm>

#include <sstream>

#include <fmt/format.h>

#include "hardware/gpu_file.hpp"
#include "simulator/util/data_paths.hpp"

namespace llmpo::calibration {

std::string display_path(const std::string& path) {
  const std::string root = data_root() + "/";
  return path.rfind(root, 0) == 0 ? path.substr(root.size()) : path;
}

namespace {

bool top_level_key(const std::string& line) {
  return !line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '#';
}

// The comment of `key:` inside the preset's efficiency block, or "".
std::string preset_comment(const std::vector<std::string>& block, const std::string& key) {
  for (const auto& line : block) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos || line.compare(start, key.size() + 1, key + ":") != 0) continue;
    const auto hash = line.find('#');
    if (hash == std::string::npos) return "";
    return line.substr(line.find_first_not_of(' ', hash + 1));
  }
  return "";
}

std::string fitted_comment(const StageReport& stage, const std::string& sources) {
  return fmt::format("fitted by llmperforacle calibrate on {} ({} {} rows, MAPE {:.1f}%)", sources, stage.rows,
                     stage.stage, 100 * stage.mape);
}

}  // namespace

std::string efficiency_value_text(const GpuEfficiency& e, const std::string& key) {
  if (key == "hbm_bandwidth") return fmt::format("{:.4f}", e.hbm_bandwidth);
  if (key == "gemm_compute") return fmt::format("{:.4f}", e.gemm_compute);
  if (key == "gemm_wave_quantization") return fmt::format("{:.4f}", e.gemm_wave_quantization);
  if (key == "gemm_roofline_sharpness") return fmt::format("{:.3f}", e.gemm_roofline_sharpness);
  if (key == "elementwise_bandwidth") return fmt::format("{:.4f}", e.elementwise_bandwidth);
  if (key == "attention_prefill_compute") return fmt::format("{:.4f}", e.attention_prefill_compute);
  if (key == "attention_prefill_bandwidth") return fmt::format("{:.4f}", e.attention_prefill_bandwidth);
  if (key == "attention_decode_bandwidth") return fmt::format("{:.4f}", e.attention_decode_bandwidth);
  if (key == "attention_prefill_latency_us") return fmt::format("{:.2f}", e.attention_prefill_latency_s * 1e6);
  if (key == "attention_decode_latency_us") return fmt::format("{:.2f}", e.attention_decode_latency_s * 1e6);
  if (key == "attention_decode_per_seq_us") return fmt::format("{:.4f}", e.attention_decode_per_seq_s * 1e6);
  if (key == "attention_decode_cta_bandwidth") return fmt::format("{:.4f}", e.attention_decode_cta_bandwidth);
  if (key == "attention_decode_max_splits") return fmt::format("{:.2f}", e.attention_decode_max_splits);
  if (key == "attention_decode_ctas_per_seq") return fmt::format("{:.3f}", e.attention_decode_ctas_per_seq);
  if (key == "attention_decode_block_tokens") return fmt::format("{:.0f}", e.attention_decode_block_tokens);
  if (key == "attention_decode_token_cost_ns") return fmt::format("{:.3f}", e.attention_decode_token_cost_s * 1e9);
  if (key == "attention_decode_tile_m") return fmt::format("{:.0f}", e.attention_decode_tile_m);
  if (key == "attention_decode_cta_overhead_us") return fmt::format("{:.3f}", e.attention_decode_cta_overhead_s * 1e6);
  if (key == "attention_mixed_gqa_packed") return fmt::format("{:.0f}", e.attention_mixed_gqa_packed);
  if (key == "attention_mixed_ctas_per_sm") return fmt::format("{:.0f}", e.attention_mixed_ctas_per_sm);
  if (key == "elementwise_latency_us") return fmt::format("{:.2f}", e.elementwise_latency_s * 1e6);
  if (key == "kernel_latency_us") return fmt::format("{:.2f}", e.kernel_latency_s * 1e6);
  if (key == "gemm_tile_m") return fmt::format("{:.0f}", e.gemm_tile_m);
  if (key == "gemm_tile_n") return fmt::format("{:.0f}", e.gemm_tile_n);
  if (key == "gemm_min_tile_m") return fmt::format("{:.0f}", e.gemm_min_tile_m);
  if (key == "gemm_epilogue_exposed") return fmt::format("{:.4f}", e.gemm_epilogue_exposed);
  if (key == "gemm_split_k_chunk") return fmt::format("{:.0f}", e.gemm_split_k_chunk);
  if (key == "gemm_split_k_max") return fmt::format("{:.2f}", e.gemm_split_k_max);
  if (key == "gemm_split_k_reduce_us") return fmt::format("{:.3f}", e.gemm_split_k_reduce_s * 1e6);
  if (key == "cpu_overhead_per_step_us") return fmt::format("{:.1f}", e.cpu_overhead_per_step_s * 1e6);
  if (key == "cpu_overhead_per_seq_us") return fmt::format("{:.2f}", e.cpu_overhead_per_seq_s * 1e6);
  return "?";
}


std::string gpu_yaml(const CalibrationResult& result, const std::string& preset_text, const std::string& sources) {
  std::vector<std::string> lines, old_block;
  std::istringstream in(preset_text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::string out = fmt::format("# Calibrated GPU profile written by `llmperforacle calibrate` from {} and measured rows of {}.\n"
                                "# Datasheet fields are the preset's; efficiency values say whether they were fitted or kept.\n",
                                display_path(result.gpu.source_file), sources);
  std::size_t i = 0;
  for (; i < lines.size() && lines[i].rfind("efficiency:", 0) != 0; ++i) out += lines[i] + "\n";
  if (i < lines.size()) ++i;
  for (; i < lines.size() && !top_level_key(lines[i]); ++i) old_block.push_back(lines[i]);

  out += "efficiency:                        # see hardware/gpu_spec.hpp (meaning) and experiments/fidelity (scores)\n";
  for (const std::string& key : efficiency_keys()) {
    std::string comment;
    const bool occupancy_key = key == "attention_decode_cta_bandwidth" || key == "attention_decode_max_splits" ||
                               key == "attention_decode_ctas_per_seq" || key == "attention_decode_token_cost_ns" ||
                               key == "attention_decode_cta_overhead_us";
    const bool gemm_extension_key = key == "gemm_epilogue_exposed" || key == "gemm_split_k_chunk" ||
                                    key == "gemm_split_k_max" || key == "gemm_split_k_reduce_us";
    const StageReport* stage = result.stage_of(key);
    if (stage != nullptr && occupancy_key && result.gpu.efficiency.attention_decode_cta_bandwidth <= 0)
      comment = fmt::format("split-KV occupancy term off: fitting it on {} did not lower the attention fit cost by 10%", sources);
    else if (stage != nullptr && gemm_extension_key && result.gpu.efficiency.gemm_split_k_chunk <= 0)
      comment = fmt::format("epilogue and split-K terms off: fitting them on {} did not lower the GEMM fit cost by 10%", sources);
    else if (stage != nullptr) comment = fitted_comment(*stage, sources);
    else if (std::string kept = preset_comment(old_block, key); !kept.empty()) comment = "kept from the preset: " + kept;
    else comment = "kept from the preset (not fitted: no rows exercise it)";
    const std::string entry = fmt::format("  {}: {}", key, efficiency_value_text(result.gpu.efficiency, key));
    out += fmt::format("{:<34} # {}\n", entry, comment);
  }
  // The rest of the preset, less its fidelity block: this profile's is its own fit.
  for (; i < lines.size(); ++i) {
    if (lines[i].rfind("fidelity:", 0) == 0) {
      while (i + 1 < lines.size() && lines[i + 1].rfind(" ", 0) == 0) ++i;
      continue;
    }
    out += lines[i] + "\n";
  }
  double worst_mape = 0;
  for (const auto& stage : result.stages)
    if (stage.stage == "GEMM" || stage.stage == "attention") worst_mape = std::max(worst_mape, stage.mape);
  out += "fidelity:                          # this calibration's own; score held-out rows with `llmperforacle fidelity`\n";
  out += "  basis: calibrated\n";
  out += fmt::format("  step_error_pct: {:.1f}\n", 100 * worst_mape);
  out += fmt::format("  evidence: \"fitted by llmperforacle calibrate on {}; the larger fit MAPE of its GEMM and attention stages\"\n",
                     sources);
  return out;
}

std::string interconnect_yaml(const InterconnectSpec& preset, const CalibrationResult& result, const std::string& sources) {
  // NCCL and vLLM custom all-reduce parameters come from their own stages.
  auto comment = [&](const std::string& key) {
    for (const auto& stage : result.stages) {
      if (stage.stage != "all_reduce " + preset.id && stage.stage != "custom_all_reduce " + preset.id) continue;
      for (const auto& k : stage.keys)
        if (k == key) return fitted_comment(stage, sources);
    }
    return std::string("kept from the preset");
  };
  const char* topology = preset.topology == Topology::all_to_all  ? "all_to_all"
                         : preset.topology == Topology::pairwise  ? "pairwise"
                         : preset.topology == Topology::pcie_host ? "pcie_host"
                                                                  : "inter_node";
  std::string out = fmt::format("# Interconnect preset written by `llmperforacle calibrate` from {}.\n", display_path(preset.source_file));
  out += fmt::format("id: {}\ndescription: {}\ntopology: {}\n", preset.id, preset.description, topology);
  if (preset.bandwidth_source == BandwidthSource::fixed)
    out += fmt::format("bandwidth_gb_per_s: {:.3f}\n", preset.bandwidth_bytes_per_s / 1e9);
  else
    out += fmt::format("bandwidth: {}\n", preset.bandwidth_source == BandwidthSource::gpu_nvlink ? "gpu_nvlink" : "gpu_pcie");
  auto line = [&](const std::string& key, const std::string& value) {
    out += fmt::format("{:<41} # {}\n", key + ": " + value, comment(key));
  };
  line("latency_us", fmt::format("{:.2f}", preset.latency_s * 1e6));
  line("latency_per_rank_us", fmt::format("{:.2f}", preset.latency_per_rank_s * 1e6));
  if (preset.topology != Topology::pcie_host) line("bus_efficiency", fmt::format("{:.4f}", preset.bus_efficiency));
  if (preset.topology == Topology::pairwise || preset.topology == Topology::pcie_host)
    line("pcie_bus_efficiency", fmt::format("{:.4f}", preset.pcie_bus_efficiency));
  if (preset.small_bus_efficiency > 0) {
    line("small_message_latency_us", fmt::format("{:.2f}", preset.small_latency_s * 1e6));
    line("small_message_latency_per_rank_us", fmt::format("{:.2f}", preset.small_latency_per_rank_s * 1e6));
    line("small_message_bus_efficiency", fmt::format("{:.4f}", preset.small_bus_efficiency));
  }
  if (preset.nvls_bus_efficiency > 0) {
    line("nvls_latency_us", fmt::format("{:.2f}", preset.nvls_latency_s * 1e6));
    line("nvls_latency_per_rank_us", fmt::format("{:.2f}", preset.nvls_latency_per_rank_s * 1e6));
    line("nvls_bus_efficiency", fmt::format("{:.4f}", preset.nvls_bus_efficiency));
  }
  if (preset.custom_one_shot_bus_efficiency > 0 && preset.custom_two_shot_bus_efficiency > 0) {
    line("custom_ar_max_size_mib", fmt::format("{:.0f}", preset.custom_max_bytes / (1024.0 * 1024.0)));
    line("custom_ar_one_shot_latency_us", fmt::format("{:.2f}", preset.custom_one_shot_latency_s * 1e6));
    line("custom_ar_one_shot_latency_per_rank_us", fmt::format("{:.2f}", preset.custom_one_shot_latency_per_rank_s * 1e6));
    line("custom_ar_one_shot_bus_efficiency", fmt::format("{:.4f}", preset.custom_one_shot_bus_efficiency));
    line("custom_ar_two_shot_latency_us", fmt::format("{:.2f}", preset.custom_two_shot_latency_s * 1e6));
    line("custom_ar_two_shot_latency_per_rank_us", fmt::format("{:.2f}", preset.custom_two_shot_latency_per_rank_s * 1e6));
    line("custom_ar_two_shot_bus_efficiency", fmt::format("{:.4f}", preset.custom_two_shot_bus_efficiency));
  }
  return out;
}

}  // namespace llmpo::calibration
