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

// The `shape` cell's key=value pairs; each value is checked as it is read, and a problem is
// an error at the row's line in the shape column naming the key.
class ShapeKeys {
 public:
  ShapeKeys(const CsvTable& csv, const CsvRow& row, std::size_t column)
      : csv_(csv), row_(row), column_(column) {
    std::istringstream in(csv.text(row, column));
    std::string token;
    while (in >> token) {
      const auto eq = token.find('=');
      if (eq == std::string::npos || eq == 0)
        csv.fail(row, column, fmt::format("'{}' is not key=value", CsvTable::shown(token)));
      values_[token.substr(0, eq)] = token.substr(eq + 1);
    }
  }
  // A value that must be given.
  double get(const std::string& key, const NumberRule& rule) const {
    const auto it = values_.find(key);
    if (it == values_.end()) csv_.fail(row_, column_, fmt::format("missing key '{}'", key));
    return parse(key, it->second, rule);
  }
  double get_or(const std::string& key, double fallback, const NumberRule& rule) const {
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : parse(key, it->second, rule);
  }

 private:
  double parse(const std::string& key, const std::string& text, const NumberRule& rule) const {
    double value = 0.0;
    std::string problem;
    if (!parse_number(text, rule, value, problem)) csv_.fail(row_, column_, fmt::format("{}: {}", key, problem));
    return value;
  }
  const CsvTable& csv_;
  const CsvRow& row_;
  std::size_t column_;
  std::map<std::string, std::string> values_;
};

// Shape sizes (tokens, dimensions, heads, ranks) and batches, within profile_readers.hpp's bounds.
NumberRule size_rule(int64_t min = 1) { return NumberRule::whole_in(min, kMaxProfileSize); }
NumberRule batch_rule() { return NumberRule::whole_in(1, kMaxProfileBatch); }

}  // namespace

void read_generic(const CsvTable& csv, ProfileSet& out) {
  const auto [c_op, c_shape, c_ms] = csv.columns({"op", "shape", "time_ms"}, "a generic profile");
  const auto c_model = csv.find("model"), c_tp = csv.find("tp"), c_net = csv.find("interconnect");
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    Measurement m;
    m.source = "generic";
    m.file = csv.path();
    m.line = row.line;
    m.ordinal = ordinal++;
    m.op = csv.text(row, c_op);
    m.shape = csv.text(row, c_shape);
    m.measured_s = csv.positive(row, c_ms) * 1e-3;
    if (c_model) m.model = csv.text(row, *c_model);
    if (c_tp && !csv.empty_cell(row, *c_tp)) m.tp = static_cast<int64_t>(profile_size(csv, row, *c_tp));
    const ShapeKeys k(csv, row, c_shape);
    if (m.op == "gemm") {
      m.kind = MeasuredKind::gemm;
      const double bytes = k.get_or("dtype_bytes", 2, NumberRule::whole_in(1, 8));
      const double rows = k.get("m", size_rule()), columns = k.get("n", size_rule()), inner = k.get("k", size_rule());
      m.work = linear_work(rows, inner, columns, bytes, bytes);
    } else if (m.op == "rms_norm") {
      m.kind = MeasuredKind::elementwise;
      LayerGeometry g;
      g.hidden = k.get("hidden", size_rule());
      m.work = rms_norm_work(g, k.get("tokens", size_rule()));
    } else if (m.op == "elementwise") {
      m.kind = MeasuredKind::elementwise;
      m.work.input_bytes = k.get("bytes", NumberRule::positive(kMaxProfileBytes));
      m.work.flops = k.get_or("flops", 0, NumberRule::non_negative(kMaxProfileFlops));
    } else if (m.op == "attention_prefill" || m.op == "attention_decode") {
      const bool prefill = m.op == "attention_prefill";
      m.kind = prefill ? MeasuredKind::attention_prefill : MeasuredKind::attention_decode;
      LayerGeometry g;
      const double head_dim = k.get("head_dim", size_rule());
      g.q_dim = k.get("q_heads", size_rule()) * head_dim;
      g.kv_dim = k.get("kv_heads", size_rule()) * head_dim;
      StepShape shape;
      const double batch = k.get_or("batch", 1, batch_rule()), cached = k.get_or("cached", 0, size_rule(0));
      // A one-token prefill would be a decode.
      const double fresh = prefill ? k.get("new", size_rule(2)) : 1;
      for (int64_t i = 0; i < static_cast<int64_t>(batch); ++i)
        shape.add_sequence(static_cast<int64_t>(cached), static_cast<int64_t>(fresh));
      m.work = attention_work(g, shape.prefill, shape.decode, Accounting::corrected);
      if (prefill) m.range = chunk_range(fresh);
    } else if (m.op == "all_reduce" || m.op == "send_recv") {
      m.kind = m.op == "all_reduce" ? MeasuredKind::all_reduce : MeasuredKind::send_recv;
      m.work.message_bytes = k.get("bytes", NumberRule::positive(kMaxProfileBytes));
      m.tp = static_cast<int64_t>(k.get_or("ranks", 2, size_rule(2)));
      if (!c_net) csv.fail(row.line, "a collective needs an interconnect column (a preset name, e.g. nvswitch)");
      m.network = csv.text(row, *c_net);
      if (m.network.empty()) csv.fail(row, *c_net, "empty cell; a collective needs an interconnect preset name (e.g. nvswitch)");
      m.range = message_range(m.work.message_bytes);
    } else {
      std::string message = fmt::format("'{}' is not a known operator (valid: {})", CsvTable::shown(m.op), join(kOps));
      const std::string hint = did_you_mean(m.op, kOps);
      if (!hint.empty()) message += "; " + hint;
      csv.fail(row, c_op, message);
    }
    out.rows.push_back(std::move(m));
  }
}

}  // namespace llmpo::calibration
