#include "predictor.hpp"

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
    case MeasuredKind::gemm: return time_gemm(m.work, gpu, sixteen_bit_peak(gpu, m.dtype));
    case MeasuredKind::elementwise: return time_elementwise(m.work, gpu);
    case MeasuredKind::attention_prefill:
    case MeasuredKind::attention_decode: return time_attention(m.work, gpu, sixteen_bit_peak(gpu, m.dtype));
    case MeasuredKind::all_reduce:
      return time_all_reduce(m.work, m.tp, collective_link(preset_for(m, presets), gpu, m.tp));
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
  } else {
    fit = m.ordinal % 2 == 0;
  }
  return split == Split::fit ? fit : !fit;
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
