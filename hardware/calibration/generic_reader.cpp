// The generic measured-profile format, for users whose measurements come from their own harness
// (documented in experiments/fidelity/README.md, "Generic format"):
//   op,shape,time_ms[,model][,tp][,interconnect]
//   gemm,m=128 n=4096 k=4096,0.031
//   attention_decode,batch=64 cached=1024 q_heads=32 kv_heads=8 head_dim=128,0.21
//   all_reduce,bytes=1048576 ranks=8,0.045,,,nvswitch
// `shape` holds key=value pairs separated by spaces; every op names the keys it needs.
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "hardware/step_shape.hpp"
#include "simulator/util/csv_table.hpp"
#include "profile_readers.hpp"
#include "simulator/util/text.hpp"

namespace llmpo::calibration {

namespace {

const std::vector<std::string> kOps = {"gemm", "rms_norm", "elementwise", "attention_prefill", "attention_decode",
                                       "all_reduce", "send_recv"};

class ShapeKeys {
 public:
  ShapeKeys(const CsvTable& csv, const CsvRow& row, const std::string& text) : csv_(csv), row_(row) {
    std::istringstream in(text);
    std::string token;
    while (in >> token) {
      const auto eq = token.find('=');
      if (eq == std::string::npos || eq == 0)
        csv.fail(row.line, fmt::format("shape: '{}' is not key=value", token));
      values_[token.substr(0, eq)] = token.substr(eq + 1);
    }
  }
  double get(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) csv_.fail(row_.line, fmt::format("shape: missing key '{}'", key));
    return parse(key, it->second);
  }
  double get_or(const std::string& key, double fallback) const {
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : parse(key, it->second);
  }

 private:
  double parse(const std::string& key, const std::string& text) const {
    try {
      std::size_t used = 0;
      const double value = std::stod(text, &used);
      if (used == text.size() && value >= 0) return value;
    } catch (const std::exception&) {
    }
    csv_.fail(row_.line, fmt::format("shape: {}='{}' is not a non-negative number", key, text));
  }
  const CsvTable& csv_;
  const CsvRow& row_;
  std::map<std::string, std::string> values_;
};

}  // namespace

void read_generic(const std::string& path, ProfileSet& out) {
  const CsvTable csv = CsvTable::read(path);
  const std::size_t c_op = csv.column("op"), c_shape = csv.column("shape"), c_ms = csv.column("time_ms");
  const auto c_model = csv.find("model"), c_tp = csv.find("tp"), c_net = csv.find("interconnect");
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    Measurement m;
    m.source = "generic";
    m.file = path;
    m.line = row.line;
    m.ordinal = ordinal++;
    m.op = csv.text(row, c_op);
    m.shape = csv.text(row, c_shape);
    m.measured_s = csv.number(row, c_ms) * 1e-3;
    if (m.measured_s <= 0) csv.fail(row.line, "column 'time_ms': must be positive");
    if (c_model) m.model = csv.text(row, *c_model);
    if (c_tp && !csv.text(row, *c_tp).empty()) m.tp = static_cast<int64_t>(csv.number(row, *c_tp));
    const ShapeKeys k(csv, row, m.shape);
    if (m.op == "gemm") {
      m.kind = MeasuredKind::gemm;
      const double bytes = k.get_or("dtype_bytes", 2);
      m.work = linear_work(k.get("m"), k.get("k"), k.get("n"), bytes, bytes);
    } else if (m.op == "rms_norm") {
      m.kind = MeasuredKind::elementwise;
      LayerGeometry g;
      g.hidden = k.get("hidden");
      m.work = rms_norm_work(g, k.get("tokens"));
    } else if (m.op == "elementwise") {
      m.kind = MeasuredKind::elementwise;
      m.work.input_bytes = k.get("bytes");
      m.work.flops = k.get_or("flops", 0);
    } else if (m.op == "attention_prefill" || m.op == "attention_decode") {
      const bool prefill = m.op == "attention_prefill";
      m.kind = prefill ? MeasuredKind::attention_prefill : MeasuredKind::attention_decode;
      LayerGeometry g;
      g.q_dim = k.get("q_heads") * k.get("head_dim");
      g.kv_dim = k.get("kv_heads") * k.get("head_dim");
      StepShape shape;
      const double batch = k.get_or("batch", 1), cached = k.get_or("cached", 0);
      const double fresh = prefill ? k.get("new") : 1;
      if (prefill && fresh < 2) csv.fail(row.line, "shape: attention_prefill needs new >= 2");
      for (int64_t i = 0; i < static_cast<int64_t>(batch); ++i)
        shape.add_sequence(static_cast<int64_t>(cached), static_cast<int64_t>(fresh));
      m.work = attention_work(g, shape.prefill, shape.decode, Accounting::corrected);
      if (prefill) m.range = chunk_range(fresh);
    } else if (m.op == "all_reduce" || m.op == "send_recv") {
      m.kind = m.op == "all_reduce" ? MeasuredKind::all_reduce : MeasuredKind::send_recv;
      m.work.message_bytes = k.get("bytes");
      m.tp = static_cast<int64_t>(k.get_or("ranks", 2));
      m.network = c_net ? csv.text(row, *c_net) : "";
      if (m.network.empty()) csv.fail(row.line, "column 'interconnect': a collective needs an interconnect preset name");
      m.range = message_range(m.work.message_bytes);
    } else {
      std::string message = fmt::format("column 'op': '{}' is not a known operator (valid: {})", m.op, join(kOps));
      const std::string hint = did_you_mean(m.op, kOps);
      if (!hint.empty()) message += "; " + hint;
      csv.fail(row.line, message);
    }
    out.rows.push_back(std::move(m));
  }
}

}  // namespace llmpo::calibration
