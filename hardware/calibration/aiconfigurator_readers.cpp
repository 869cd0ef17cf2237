// aiconfigurator's kernel tables (ai-dynamo/aiconfigurator), converted from parquet to CSV:
// `latency` is in milliseconds; collective `message_size` counts ELEMENTS of the listed dtype.
// Heads in the attention tables are per GPU. Shapes map onto hardware/operators.hpp's work.
#include <map>

#include <fmt/format.h>

#include "hardware/step_shape.hpp"
#include "simulator/util/csv_table.hpp"
#include "profile_readers.hpp"
#include "simulator/util/text.hpp"

namespace llmpo::calibration {

namespace {

constexpr double kMs = 1e-3;

// Bytes per element of the dtype names the tables use; 0 = unknown.
double element_bytes(const std::string& dtype) {
  static const std::map<std::string, double> bytes = {
      {"half", 2}, {"float16", 2}, {"fp16", 2}, {"bfloat16", 2}, {"bf16", 2}, {"float", 4},
      {"float32", 4}, {"fp32", 4}, {"int8", 1}, {"fp8", 1}, {"float8", 1}, {"fp8_e4m3", 1}};
  const auto it = bytes.find(to_lower(dtype));
  return it == bytes.end() ? 0 : it->second;
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

void read_gemm(const CsvTable& csv, ProfileSet& out) {
  const std::size_t c_m = csv.column("m"), c_n = csv.column("n"), c_k = csv.column("k"),
                    c_dtype = csv.column("gemm_dtype"), c_ms = csv.column("latency");
  int64_t ordinal = 0, skipped = 0;
  for (const CsvRow& row : csv.rows()) {
    const double m_ = csv.number(row, c_m), n = csv.number(row, c_n), k = csv.number(row, c_k);
    if (m_ <= 0 || n <= 0 || k <= 0) csv.fail(row.line, "m, n and k must be positive");
    const double ms = csv.number(row, c_ms);
    const std::string& dtype = csv.text(row, c_dtype);
    if (element_bytes(dtype) != 2) {  // the fitted rates are the 16-bit tensor-core ones
      ++skipped;
      continue;
    }
    Measurement m = base(csv, row, ordinal++);
    m.kind = MeasuredKind::gemm;
    m.op = "gemm";
    m.dtype = to_lower(dtype) == "bfloat16" ? "bfloat16" : "float16";
    m.work = linear_work(m_, k, n, 2, 2);
    m.measured_s = ms * kMs;
    m.shape = fmt::format("M={:.0f} N={:.0f} K={:.0f}", m_, n, k);
    out.rows.push_back(std::move(m));
  }
  if (skipped > 0) out.notes.push_back(fmt::format("{}: skipped {} GEMM rows that are not 16-bit", csv.path(), skipped));
}

void read_attention(const CsvTable& csv, ProfileSet& out, bool context) {
  const std::size_t c_batch = csv.column("batch_size"), c_isl = csv.column("isl"), c_q = csv.column("num_heads"),
                    c_kv = csv.column("num_key_value_heads"), c_dim = csv.column("head_dim"),
                    c_step = csv.column("step"), c_kv_dtype = csv.column("kv_cache_dtype"), c_ms = csv.column("latency");
  int64_t ordinal = 0, skipped = 0;
  for (const CsvRow& row : csv.rows()) {
    const double batch = csv.number(row, c_batch), isl = csv.number(row, c_isl), q = csv.number(row, c_q),
                 kv = csv.number(row, c_kv), dim = csv.number(row, c_dim), step = csv.number(row, c_step);
    const double ms = csv.number(row, c_ms);
    if (batch <= 0 || q <= 0 || dim <= 0) csv.fail(row.line, "batch_size, num_heads and head_dim must be positive");
    const double kv_bytes = element_bytes(csv.text(row, c_kv_dtype));
    if (kv_bytes == 0) csv.fail(row.line, fmt::format("kv_cache_dtype '{}' is not known", csv.text(row, c_kv_dtype)));
    // A one-token context is a decode in the cost model's terms; those rows are left out.
    if (context && isl < 2) {
      ++skipped;
      continue;
    }
    LayerGeometry g;
    g.q_dim = q * dim;
    g.kv_dim = kv * dim;
    g.kv_bytes = kv_bytes;
    StepShape shape;
    // Context: batch prompts of isl tokens, no cached prefix. Generation: one new token on top of
    // `step` cached tokens.
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
    out.rows.push_back(std::move(m));
  }
  if (skipped > 0)
    out.notes.push_back(fmt::format("{}: skipped {} one-token context rows (a decode, not a prefill)", csv.path(), skipped));
}

// NCCL (all_reduce only: the cost model has no other collective) and vLLM's custom all-reduce
// (CUDA-graph rows; eager rows add ~40 us of host launch per call and are left out).
void read_collective(const CsvTable& csv, ProfileSet& out, bool custom) {
  const std::size_t c_op = csv.column("op_name"), c_dtype = csv.column(custom ? "allreduce_dtype" : "nccl_dtype"),
                    c_gpus = csv.column("num_gpus"), c_size = csv.column("message_size"), c_ms = csv.column("latency");
  const std::optional<std::size_t> c_source = csv.find("kernel_source");
  int64_t ordinal = 0;
  std::map<std::string, int64_t> skipped;
  for (const CsvRow& row : csv.rows()) {
    const double gpus = csv.number(row, c_gpus), elements = csv.number(row, c_size), ms = csv.number(row, c_ms);
    const std::string& op = csv.text(row, c_op);
    if (op != "all_reduce") {
      ++skipped[op];
      continue;
    }
    if (custom && c_source && to_lower(csv.text(row, *c_source)).find("graph") == std::string::npos) {
      ++skipped["eager-mode custom all_reduce"];
      continue;
    }
    const double bytes_per_element = element_bytes(csv.text(row, c_dtype));
    if (bytes_per_element == 0) csv.fail(row.line, fmt::format("dtype '{}' is not known", csv.text(row, c_dtype)));
    Measurement m = base(csv, row, ordinal++);
    m.kind = MeasuredKind::all_reduce;
    m.op = custom ? "custom_all_reduce" : "all_reduce";
    m.model = custom ? "vllm-custom" : "nccl";
    m.tp = static_cast<int64_t>(gpus);
    m.network = "nvswitch";  // aiconfigurator measures on HGX/DGX boards (NVSwitch)
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

void read_aiconfigurator(const std::string& path, ProfileSet& out) {
  const CsvTable csv = CsvTable::read(path);
  if (csv.has("gemm_dtype")) return read_gemm(csv, out);
  if (csv.has("nccl_dtype")) return read_collective(csv, out, false);
  if (csv.has("allreduce_dtype")) return read_collective(csv, out, true);
  const std::size_t c_op = csv.column("op_name");
  const std::string& op = csv.text(csv.rows().front(), c_op);
  if (op == "context_attention") return read_attention(csv, out, true);
  if (op == "generation_attention") return read_attention(csv, out, false);
  csv.fail(csv.rows().front().line, fmt::format("op_name '{}' is not a known aiconfigurator table "
                                                "(gemm, context_attention, generation_attention, nccl, custom all_reduce)", op));
}

}  // namespace llmpo::calibration
