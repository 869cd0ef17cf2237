// `llmperforacle list models|gpus|interconnects|quantizations`: the libraries as tables.
#include <algorithm>

#include <fmt/format.h>

#include "commands.hpp"
#include "models/quantization.hpp"
#include "output_format.hpp"
#include "setup.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

TextTable model_table(const ModelLibrary& library) {
  TextTable table({"id", "family", "params", "active", "layers", "hidden", "heads/kv", "head_dim",
                   "ffn", "vocab", "max_len", "kv_B_per_token", "moe", "window", "hf_id"});
  for (const auto& m : library.models()) {
    const ParameterCounts counts = count_parameters(m);
    const double kv_per_token = static_cast<double>(m.num_layers * m.kv_cache_elements_per_layer()) * dtype_bytes(m.dtype);
    table.add_row({m.id, m.family, fmt::format("{:.2f}B", static_cast<double>(counts.total()) / 1e9),
                   fmt::format("{:.2f}B", static_cast<double>(counts.active_per_token) / 1e9),
                   std::to_string(m.num_layers), std::to_string(m.hidden_size),
                   fmt::format("{}/{}", m.num_attention_heads, m.num_kv_heads), std::to_string(m.head_dim),
                   m.moe.enabled() ? std::to_string(m.moe.expert_intermediate_size) : std::to_string(m.intermediate_size),
                   std::to_string(m.vocab_size), std::to_string(m.max_position_embeddings),
                   format_thousands(static_cast<int64_t>(kv_per_token)),
                   m.moe.enabled() ? fmt::format("{}x top{}", m.moe.num_experts, m.moe.experts_per_token) : "-",
                   m.sliding_window.enabled() ? std::to_string(m.sliding_window.window_tokens) : "-", m.hf_id});
  }
  return table;
}

std::string tflops_cell(const GpuSpec& gpu, ComputeType type) {
  return gpu.supports(type) ? fmt::format("{:.0f}", gpu.peak(type) / 1e12) : "-";
}

TextTable gpu_table(const GpuLibrary& library) {
  TextTable table({"id", "name", "memory_GiB", "bandwidth_TB_s", "bf16_TFLOPS", "fp8_TFLOPS", "int8_TOPS",
                   "SMs", "link", "link_GB_s", "interconnect", "usd_per_hour"});
  for (const auto& g : library.gpus()) {
    table.add_row({g.id, g.name, fmt::format("{:.1f}", g.memory_bytes / kGiB),
                   fmt::format("{:.2f}", g.memory_bandwidth_bytes_per_s / kTB), tflops_cell(g, ComputeType::bf16),
                   tflops_cell(g, ComputeType::fp8), tflops_cell(g, ComputeType::int8), std::to_string(g.sm_count),
                   to_string(g.link.type), fmt::format("{:.0f}", g.link.bandwidth_bytes_per_s / kGB),
                   g.default_interconnect, fmt::format("{:.2f}", g.price_per_hour_usd)});
  }
  return table;
}

TextTable interconnect_table(const InterconnectLibrary& library) {
  TextTable table({"id", "topology", "bandwidth", "latency_us", "bus_efficiency", "description"});
  for (const auto& p : library.presets()) {
    const char* topology[] = {"all_to_all", "pairwise", "pcie_host", "inter_node"};
    const std::string bandwidth = p.bandwidth_source == BandwidthSource::fixed
        ? fmt::format("{:.0f} GB/s", p.bandwidth_bytes_per_s / kGB)
        : p.bandwidth_source == BandwidthSource::gpu_nvlink ? "GPU link" : "GPU PCIe";
    table.add_row({p.id, topology[static_cast<int>(p.topology)], bandwidth, fmt::format("{:.1f}", p.latency_s * 1e6),
                   fmt::format("{:.2f}", p.topology == Topology::pcie_host ? p.pcie_bus_efficiency : p.bus_efficiency),
                   p.description});
  }
  return table;
}

TextTable quantization_table() {
  TextTable table({"name", "bytes_per_weight", "embeddings_quantized", "gemm_math", "source", "ollama_tag"});
  for (const auto& q : quantization_schemes()) {
    const char* math[] = {"16-bit", "fp8", "int8"};
    table.add_row({q.name, q.weight_bytes_per_param > 0 ? fmt::format("{:.2f}", q.weight_bytes_per_param) : "dtype",
                   q.quantizes_embeddings ? "yes" : "no", math[static_cast<int>(q.math)], q.source,
                   q.ollama_tag.empty() ? "-" : q.ollama_tag});
  }
  return table;
}

// --- machine formats: the same libraries as data (units in the names, full precision) ---

std::string num(double value) { return fmt::format("{}", value); }
std::string peak_or_empty(const GpuSpec& gpu, ComputeType type) { return gpu.supports(type) ? num(gpu.peak(type) / 1e12) : ""; }

std::vector<DataRow> model_rows(const ModelLibrary& library) {
  std::vector<DataRow> rows;
  for (const auto& m : library.models()) {
    const ParameterCounts counts = count_parameters(m);
    const double kv_per_token = static_cast<double>(m.num_layers * m.kv_cache_elements_per_layer()) * dtype_bytes(m.dtype);
    rows.push_back({{"id", m.id},
                    {"family", m.family},
                    {"params", std::to_string(counts.total())},
                    {"active_params_per_token", std::to_string(counts.active_per_token)},
                    {"layers", std::to_string(m.num_layers)},
                    {"hidden_size", std::to_string(m.hidden_size)},
                    {"attention_heads", std::to_string(m.num_attention_heads)},
                    {"kv_heads", std::to_string(m.num_kv_heads)},
                    {"head_dim", std::to_string(m.head_dim)},
                    {"intermediate_size", std::to_string(m.moe.enabled() ? m.moe.expert_intermediate_size : m.intermediate_size)},
                    {"vocab_size", std::to_string(m.vocab_size)},
                    {"max_position_embeddings", std::to_string(m.max_position_embeddings)},
                    {"kv_bytes_per_token", num(kv_per_token)},
                    {"moe_experts", m.moe.enabled() ? std::to_string(m.moe.num_experts) : ""},
                    {"moe_experts_per_token", m.moe.enabled() ? std::to_string(m.moe.experts_per_token) : ""},
                    {"sliding_window_tokens", m.sliding_window.enabled() ? std::to_string(m.sliding_window.window_tokens) : ""},
                    {"hf_id", m.hf_id}});
  }
  return rows;
}

std::vector<DataRow> gpu_rows(const GpuLibrary& library) {
  std::vector<DataRow> rows;
  for (const auto& g : library.gpus())
    rows.push_back({{"id", g.id},
                    {"name", g.name},
                    {"architecture", g.architecture},
                    {"memory_bytes", num(g.memory_bytes)},
                    {"memory_bandwidth_bytes_per_s", num(g.memory_bandwidth_bytes_per_s)},
                    {"bf16_tflops", peak_or_empty(g, ComputeType::bf16)},
                    {"fp8_tflops", peak_or_empty(g, ComputeType::fp8)},
                    {"int8_tops", peak_or_empty(g, ComputeType::int8)},
                    {"sm_count", std::to_string(g.sm_count)},
                    {"link_type", to_string(g.link.type)},
                    {"link_bandwidth_bytes_per_s", num(g.link.bandwidth_bytes_per_s)},
                    {"default_interconnect", g.default_interconnect},
                    {"price_per_hour_usd", num(g.price_per_hour_usd)},
                    {"profile_basis", g.fidelity.basis},
                    {"profile_step_error_pct", num(g.fidelity.step_error_pct)}});
  return rows;
}

std::vector<DataRow> interconnect_rows(const InterconnectLibrary& library) {
  std::vector<DataRow> rows;
  const char* topology[] = {"all_to_all", "pairwise", "pcie_host", "inter_node"};
  const char* source[] = {"fixed", "gpu_nvlink", "gpu_pcie"};
  for (const auto& p : library.presets())
    rows.push_back({{"id", p.id},
                    {"topology", topology[static_cast<int>(p.topology)]},
                    {"bandwidth_source", source[static_cast<int>(p.bandwidth_source)]},
                    {"bandwidth_bytes_per_s", p.bandwidth_source == BandwidthSource::fixed ? num(p.bandwidth_bytes_per_s) : ""},
                    {"latency_us", num(p.latency_s * 1e6)},
                    {"bus_efficiency", num(p.bus_efficiency)},
                    {"pcie_bus_efficiency", num(p.pcie_bus_efficiency)},
                    {"description", p.description}});
  return rows;
}

std::vector<DataRow> quantization_rows() {
  std::vector<DataRow> rows;
  const char* math[] = {"16-bit", "fp8", "int8"};
  for (const auto& q : quantization_schemes())
    rows.push_back({{"name", q.name},
                    {"bytes_per_weight", q.weight_bytes_per_param > 0 ? num(q.weight_bytes_per_param) : ""},
                    {"embeddings_quantized", q.quantizes_embeddings ? "true" : "false"},
                    {"gemm_math", math[static_cast<int>(q.math)]},
                    {"source", q.source},
                    {"ollama_tag", q.ollama_tag}});
  return rows;
}

}  // namespace

int command_list(const Args& args, std::ostream& out) {
  ArgParser parser("llmperforacle list", "Print a library as a table: models, gpus, interconnects or quantizations.");
  const std::vector<std::string> valid = {"models", "gpus", "interconnects", "quantizations"};
  parser.positional("WHAT", "the library to print");
  parser.choices("WHAT", valid);  // also what `completion` offers after `list`
  declare_format_option(parser);
  if (!parser.parse(args)) {
    out << parser.help_text();
    return kExitOk;
  }
  const std::string what = parser.positional_value("WHAT").value_or("");
  const TableFormat format = format_from(parser);

  if (format != TableFormat::table && std::find(valid.begin(), valid.end(), what) != valid.end()) {
    // Data: full values with units in the column names (bytes_per_weight empty = the model's dtype).
    if (what == "models") print_data_rows(out, format, model_rows(ModelLibrary::load_default()));
    else if (what == "gpus") print_data_rows(out, format, gpu_rows(GpuLibrary::load_default()));
    else if (what == "interconnects") print_data_rows(out, format, interconnect_rows(InterconnectLibrary::load_default()));
    else print_data_rows(out, format, quantization_rows());
    return kExitOk;
  }
  TextTable table({""});
  if (what == "models") table = model_table(ModelLibrary::load_default());
  else if (what == "gpus") table = gpu_table(GpuLibrary::load_default());
  else if (what == "interconnects") table = interconnect_table(InterconnectLibrary::load_default());
  else if (what == "quantizations") table = quantization_table();
  else {
    std::string message = what.empty() ? "say what to list" : "cannot list '" + what + "'";
    message += " (valid: " + join(valid) + ")";
    const std::string hint = what.empty() ? "" : did_you_mean(what, valid);
    if (!hint.empty()) message += "; " + hint;
    throw InputError({}, "list", message);
  }
  table.print(out, format);
  return kExitOk;
}

}  // namespace llmpo
