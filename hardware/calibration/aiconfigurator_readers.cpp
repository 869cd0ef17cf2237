// aiconfigurator's kernel tables (ai-dynamo/aiconfigurator), converted from parquet to CSV:
// `latency` is in milliseconds; collective `message_size` counts ELEMENTS of the listed dtype.
// Heads in the attention tables are per GPU. Shapes map onto hardware/operators.hpp's work.
#include <cstdio>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "hardware/step_shape.hpp"
#include "simulator/util/csv_table.hpp"
#include "profile_readers.hpp"
#include "simulator/util/text.hpp"

namespace llmpo::calibration {

namespace {

constexpr double kMs = 1e-3;
constexpr double kVllmCustomMaxBytes = 8192.0 * 1024;  // CustomAllreduce max_size default

// Bytes per element of the dtype names the tables use.
const std::map<std::string, double>& dtype_bytes() {
  static const std::map<std::string, double> bytes = {
      {"half", 2}, {"float16", 2}, {"fp16", 2}, {"bfloat16", 2}, {"bf16", 2}, {"float", 4},
      {"float32", 4}, {"fp32", 4}, {"int8", 1}, {"fp8", 1}, {"float8", 1}, {"fp8_e4m3", 1}, {"fp8_block", 1}};
  return bytes;
}

// Bytes per element of a dtype cell; an unknown name is an error at its row, listing the known.
double element_bytes(const CsvTable& csv, const CsvRow& row, std::size_t column) {
  const std::string& dtype = csv.text(row, column);
  const auto it = dtype_bytes().find(to_lower(dtype));
  if (it != dtype_bytes().end()) return it->second;
  std::vector<std::string> known;
  for (const auto& entry : dtype_bytes()) known.push_back(entry.first);
  csv.fail(row, column, fmt::format("'{}' is not a known dtype (known: {})", CsvTable::shown(dtype), join(known)));
}

Measurement base(const CsvTable& csv, const CsvRow& row, int64_t ordinal) {
  Measurement m;
  m.source = "aiconfigurator";
  m.file = csv.path();
  m.line = row.line;
  m.ordinal = ordinal;
  m.model = "aiconfigurator";
  return m;
}

// Tables of vLLM 0.19 and later (the H200 data) are split by model shape (predictor.hpp,
// in_split); the older tables keep the row split the shipped A100-SXM calibration was scored on.
// The `version` column holds the framework version ("0.19.0"); tables without it split by row.
bool split_by_shape(const CsvTable& csv) {
  const std::optional<std::size_t> c_version = csv.find("version");
  if (!c_version || csv.rows().empty()) return false;
  const std::string& version = csv.text(csv.rows().front(), *c_version);
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major > 0 || minor >= 19;
}

// `gemm_dtype` bfloat16 / float16 rows time the 16-bit path; `fp8` rows (per-tensor scaled W8A8,
// vLLM's cutlass_scaled_mm) the fp8 path: 1-byte operands on the fp8 tensor cores, 16-bit output.
// Block-scaled fp8 (`fp8_block`, 128x128 scales) and other formats are not modelled: skipped.
void read_gemm(const CsvTable& csv, ProfileSet& out) {
  const auto [c_m, c_n, c_k, c_dtype, c_ms] =
      csv.columns({"m", "n", "k", "gemm_dtype", "latency"}, "an aiconfigurator gemm_perf table");
  const bool by_shape = split_by_shape(csv);
  const std::size_t first = out.rows.size();
  int64_t ordinal = 0;
  std::map<std::string, int64_t> skipped;
  for (const CsvRow& row : csv.rows()) {
    const double m_ = profile_size(csv, row, c_m), n = profile_size(csv, row, c_n), k = profile_size(csv, row, c_k);
    const double ms = csv.positive(row, c_ms);
    const std::string dtype = to_lower(csv.text(row, c_dtype));
    const double bytes = element_bytes(csv, row, c_dtype);  // an unknown name is an error here
    const bool fp8 = dtype == "fp8";
    if (!fp8 && bytes != 2) {
      ++skipped[dtype];
      continue;
    }
    Measurement m = base(csv, row, ordinal++);
    m.kind = MeasuredKind::gemm;
    m.op = fp8 ? "gemm_fp8" : "gemm";
    m.dtype = fp8 ? "fp8" : dtype == "bfloat16" ? "bfloat16" : "float16";
    m.work = linear_work(m_, k, n, fp8 ? 1 : 2, fp8 ? 1 : 2);
    if (fp8) m.work.output_bytes = m_ * n * 2;  // the scaled GEMM writes bf16
    m.measured_s = ms * kMs;
    m.shape = fmt::format("M={:.0f} N={:.0f} K={:.0f}", m_, n, k);
    if (by_shape) m.shape_key = {static_cast<int64_t>(n), static_cast<int64_t>(k)};
    out.rows.push_back(std::move(m));
  }
  if (by_shape) assign_shape_groups(out.rows, first);
  for (const auto& [dtype, count] : skipped)
    out.notes.push_back(fmt::format("{}: skipped {} GEMM rows of gemm_dtype {} (not modelled)", csv.path(), count, dtype));
}

void read_attention(const CsvTable& csv, ProfileSet& out, bool context) {
  const auto [c_batch, c_isl, c_q, c_kv, c_dim, c_step, c_kv_dtype, c_ms] =
      csv.columns({"batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "step", "kv_cache_dtype", "latency"},
                  context ? "an aiconfigurator context_attention table" : "an aiconfigurator generation_attention table");
  int64_t ordinal = 0, skipped = 0;
  const bool by_shape = !context && split_by_shape(csv);
  const std::size_t first = out.rows.size();
  for (const CsvRow& row : csv.rows()) {
    const double batch = static_cast<double>(csv.whole(row, c_batch, 1, kMaxProfileBatch));
    const double isl = profile_size(csv, row, c_isl), q = profile_size(csv, row, c_q), kv = profile_size(csv, row, c_kv),
                 dim = profile_size(csv, row, c_dim), step = profile_size(csv, row, c_step, 0);
    const double ms = csv.positive(row, c_ms);
    const double kv_bytes = element_bytes(csv, row, c_kv_dtype);
    // A one-token context is a decode in the cost model's terms; those rows are left out.
    if (context && isl < 2) {
      ++skipped;
      continue;
    }
    LayerGeometry g;
    g.q_dim = q * dim;
    g.kv_dim = kv * dim;
    g.kv_bytes = kv_bytes;
    g.head_dim = dim;
    StepShape shape;
    // Context: batch prompts of isl tokens, no cached prefix. Generation: one new token on top of
    // `step` cached tokens. The window_size column is not read: vLLM 0.19's rows with window 128
    // time the same as full-context rows of the same shape (batch 16, 8191 cached: 130.1 vs
    // 132.4 us), so the window never reached the kernel and every row is a full-context decode.
    for (int64_t i = 0; i < static_cast<int64_t>(batch); ++i)
      shape.add_sequence(context ? 0 : static_cast<int64_t>(step), context ? static_cast<int64_t>(isl) : 1);
    Measurement m = base(csv, row, ordinal++);
    m.kind = context ? MeasuredKind::attention_prefill : MeasuredKind::attention_decode;
    m.op = context ? "attention_prefill" : "attention_decode";
    m.dtype = "bfloat16";
    m.work = attention_work(g, shape.prefill, shape.decode, Accounting::corrected);
    m.measured_s = ms * kMs;
    m.shape = context ? fmt::format("batch={:.0f} chunk={:.0f} heads={:.0f}/{:.0f}", batch, isl, q, kv)
                      : fmt::format("batch={:.0f} cached={:.0f} heads={:.0f}/{:.0f}", batch, step, q, kv);
    m.range = context ? chunk_range(isl) : "";
    // head_dim leads the key: groups sorted (head_dim, heads, KV heads) alternate within each
    // head_dim, so both halves hold every head_dim (led by heads, the alternation fell on the
    // head_dim pairs and the fit never saw head_dim 128, the width of most current models).
    if (by_shape) m.shape_key = {static_cast<int64_t>(dim), static_cast<int64_t>(q), static_cast<int64_t>(kv)};
    out.rows.push_back(std::move(m));
  }
  if (by_shape) assign_shape_groups(out.rows, first);
  if (skipped > 0)
    out.notes.push_back(fmt::format("{}: skipped {} one-token context rows (a decode, not a prefill)", csv.path(), skipped));
}

// NCCL (all_reduce only: the cost model has no other collective) and vLLM's custom all-reduce
// (CUDA-graph rows; eager rows add ~40 us of host launch per call and are left out).
void read_collective(const CsvTable& csv, ProfileSet& out, bool custom) {
  const auto [c_op, c_dtype, c_gpus, c_size, c_ms] =
      csv.columns({"op_name", custom ? "allreduce_dtype" : "nccl_dtype", "num_gpus", "message_size", "latency"},
                  custom ? "an aiconfigurator custom_allreduce_perf table" : "an aiconfigurator nccl_perf table");
  const std::optional<std::size_t> c_source = csv.find("kernel_source");
  // aiconfigurator measures on HGX/DGX boards: NVSwitch. Hopper boards (third-generation
  // NVSwitch with NVLS) have their own preset, nvswitch-hopper; the `device` column names the GPU.
  std::string network = "nvswitch";
  if (const std::optional<std::size_t> c_device = csv.find("device"); c_device && !csv.rows().empty()) {
    const std::string device = to_lower(csv.text(csv.rows().front(), *c_device));
    if (device.find("h100") != std::string::npos || device.find("h200") != std::string::npos) network = "nvswitch-hopper";
  }
  int64_t ordinal = 0;
  std::map<std::string, int64_t> skipped;
  for (const CsvRow& row : csv.rows()) {
    const double gpus = profile_size(csv, row, c_gpus), elements = csv.positive(row, c_size, kMaxProfileBytes), ms = csv.positive(row, c_ms);
    const std::string& op = csv.text(row, c_op);
    if (op != "all_reduce") {
      ++skipped[op];
      continue;
    }
    if (custom && c_source && to_lower(csv.text(row, *c_source)).find("graph") == std::string::npos) {
      ++skipped["eager-mode custom all_reduce"];
      continue;
    }
    const double bytes_per_element = element_bytes(csv, row, c_dtype);
    // vLLM runs its custom kernel only below max_size (8 MiB by default, custom_all_reduce.py);
    // larger rows time a configuration vLLM never uses (it runs NCCL there).
    if (custom && elements * bytes_per_element >= kVllmCustomMaxBytes) {
      ++skipped["custom all_reduce at or above vLLM's 8 MiB max_size"];
      continue;
    }
    Measurement m = base(csv, row, ordinal++);
    m.kind = MeasuredKind::all_reduce;
    m.op = custom ? "custom_all_reduce" : "all_reduce";
    m.model = custom ? "vllm-custom" : "nccl";
    m.tp = static_cast<int64_t>(gpus);
    m.network = network;
    m.work.message_bytes = elements * bytes_per_element;
    m.measured_s = ms * kMs;
    m.shape = fmt::format("bytes={:.0f} ranks={:.0f}", m.work.message_bytes, gpus);
    m.range = message_range(m.work.message_bytes);
    out.rows.push_back(std::move(m));
  }
  for (const auto& [op, count] : skipped)
    out.notes.push_back(fmt::format("{}: skipped {} {} rows (not modelled)", csv.path(), count, op));
}

}  // namespace

void read_aiconfigurator(const CsvTable& csv, ProfileSet& out) {
  if (csv.has("gemm_dtype")) return read_gemm(csv, out);
  if (csv.has("nccl_dtype")) return read_collective(csv, out, false);
  if (csv.has("allreduce_dtype")) return read_collective(csv, out, true);
  // The attention tables share their columns; op_name tells them apart (the first row's, since
  // a table holds one kind).
  const std::size_t c_op = csv.column("op_name", "an aiconfigurator table");
  const CsvRow& first = csv.rows().front();
  const std::string& op = csv.text(first, c_op);
  if (op == "context_attention") return read_attention(csv, out, true);
  if (op == "generation_attention") return read_attention(csv, out, false);
  csv.fail(first, c_op, fmt::format("'{}' is not a known aiconfigurator table (gemm_dtype, nccl_dtype or "
                                    "allreduce_dtype columns, or op_name context_attention or generation_attention)",
                                    CsvTable::shown(op)));
}

}  // namespace llmpo::calibration
