#include "predictor.hpp"

#include <map>
#include <tuple>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo::calibration {

PresetMap presets_of(const InterconnectLibrary& library) {
  PresetMap out;
  for (const auto& preset : library.presets()) out[preset.id] = preset;
  return out;
}

namespace {

double sixteen_bit_peak(const GpuSpec& gpu, const std::string& dtype) {
  if (dtype == "bfloat16" && gpu.supports(ComputeType::bf16)) return gpu.peak(ComputeType::bf16);
  return gpu.supports(ComputeType::fp16) ? gpu.peak(ComputeType::fp16) : gpu.peak(ComputeType::bf16);
}

const InterconnectSpec& preset_for(const Measurement& m, const PresetMap& presets) {
  const auto it = presets.find(m.network);
  if (it != presets.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [name, preset] : presets) names.push_back(name);
  throw InputError(SourcePos{m.file, m.line, 0}, "interconnect",
                   fmt::format("unknown interconnect preset '{}' (valid: {})", m.network, join(names)));
}

}  // namespace

OpTime predict(const Measurement& m, const GpuSpec& gpu, const PresetMap& presets) {
  switch (m.kind) {
    case MeasuredKind::gemm:
      // fp8 (per-tensor scaled) GEMMs run on the fp8 tensor cores, as the cost model prices them
      // (cost_model.cpp gemm_peak).
      if (m.dtype == "fp8" && gpu.supports(ComputeType::fp8)) return time_gemm(m.work, gpu, gpu.peak(ComputeType::fp8));
      return time_gemm(m.work, gpu, sixteen_bit_peak(gpu, m.dtype));
    case MeasuredKind::elementwise: return time_elementwise(m.work, gpu);
    case MeasuredKind::attention_prefill:
    case MeasuredKind::attention_decode: return time_attention(m.work, gpu, sixteen_bit_peak(gpu, m.dtype));
    case MeasuredKind::all_reduce: {
      if (m.op != "custom_all_reduce")  // NCCL: the preset's NCCL protocols only
        return time_all_reduce(m.work, m.tp, collective_link(preset_for(m, presets), gpu, m.tp));
      // vLLM's custom kernel, one- or two-shot as its kernel picks for this size.
      const CollectiveLink link = collective_link(preset_for(m, presets), gpu, m.tp, true);
      if (link.custom_one_shot_bandwidth_bytes_per_s <= 0)  // a preset without it: what NCCL would take
        return time_all_reduce(m.work, m.tp, collective_link(preset_for(m, presets), gpu, m.tp));
      OpTime t;
      t.memory_s = custom_all_reduce_time_s(m.work.message_bytes, m.tp, link,
                                            custom_kernel_choice(m.work.message_bytes, m.tp, link.custom_fully_connected));
      t.time_s = t.memory_s;
      t.bound = Bound::network;
      return t;
    }
    case MeasuredKind::send_recv: return time_transfer(m.work, collective_link(preset_for(m, presets), gpu, 2));
    case MeasuredKind::cpu_overhead: {
      OpTime t;
      t.time_s = gpu.efficiency.cpu_overhead_per_step_s + gpu.efficiency.cpu_overhead_per_seq_s * m.batch;
      t.memory_s = t.time_s;
      return t;
    }
  }
  return {};
}

std::string regime(const Measurement& m, const OpTime& time) {
  if (m.kind == MeasuredKind::cpu_overhead) return "host";
  if (time.bound == Bound::network) return "network";
  return time.bound == Bound::compute ? "compute-bound" : "memory-bound";
}

Split parse_split(const std::string& text) {
  if (text == "fit") return Split::fit;
  if (text == "score") return Split::score;
  if (text == "all") return Split::all;
  throw InputError({}, "--split", fmt::format("'{}' is not valid (valid: fit, score, all)", text));
}

const std::vector<std::string>& fit_models() {
  static const std::vector<std::string> models = {"Llama-2-7b-hf", "CodeLlama-34b-Instruct-hf"};
  return models;
}

bool in_split(const Measurement& m, Split split) {
  if (split == Split::all) return true;
  bool fit = false;
  const bool by_model = m.source == "vidur" && (m.kind == MeasuredKind::gemm || m.kind == MeasuredKind::elementwise ||
                                                m.kind == MeasuredKind::cpu_overhead);
  if (by_model) {
    for (const auto& name : fit_models()) fit = fit || iequals(name, m.model);
  } else if (m.shape_group >= 0) {
    fit = m.shape_group % 2 == 0;
  } else {
    fit = m.ordinal % 2 == 0;
  }
  return split == Split::fit ? fit : !fit;
}

void assign_shape_groups(std::vector<Measurement>& rows, std::size_t first) {
  std::map<std::tuple<std::string, int, std::vector<int64_t>>, int64_t> rank;
  for (std::size_t i = first; i < rows.size(); ++i)
    if (!rows[i].shape_key.empty()) rank[{rows[i].file, static_cast<int>(rows[i].kind), rows[i].shape_key}] = 0;
  // Ranks count within one (file, kind); the map iterates keys in ascending order.
  std::map<std::pair<std::string, int>, int64_t> next;
  for (auto& [key, value] : rank) value = next[{std::get<0>(key), std::get<1>(key)}]++;
  for (std::size_t i = first; i < rows.size(); ++i)
    if (!rows[i].shape_key.empty())
      rows[i].shape_group = rank[{rows[i].file, static_cast<int>(rows[i].kind), rows[i].shape_key}];
}

std::vector<Measurement> select_rows(const std::vector<Measurement>& rows, Split split,
                                     const std::vector<std::string>& models) {
  std::vector<Measurement> out;
  for (const auto& m : rows) {
    if (!in_split(m, split)) continue;
    bool wanted = models.empty();
    for (const auto& name : models) wanted = wanted || iequals(name, m.model);
    if (wanted) out.push_back(m);
  }
  return out;
}

}  // namespace llmpo::calibration
