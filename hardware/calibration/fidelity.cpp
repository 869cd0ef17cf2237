#include "fidelity.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "simulator/util/data_table.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/units.hpp"

namespace llmpo::calibration {

std::vector<ScoredRow> score(const std::vector<Measurement>& rows, const GpuSpec& gpu, const PresetMap& presets) {
  std::vector<ScoredRow> out;
  out.reserve(rows.size());
  for (const auto& m : rows) {
    if (m.measured_s <= 0) continue;
    const OpTime t = predict(m, gpu, presets);
    out.push_back({&m, t.time_s, t.time_s / m.measured_s - 1.0, regime(m, t)});
  }
  return out;
}

namespace {

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

std::string percent(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }
std::string signed_percent(double fraction) { return fmt::format("{:+.1f}%", 100 * fraction); }

std::string worst_text(const ScoredRow& r) {
  return fmt::format("{} {}: {} vs {} ({})", r.row->model.empty() ? r.row->op : r.row->model, r.row->shape,
                     format_seconds(r.predicted_s), format_seconds(r.row->measured_s), signed_percent(r.error));
}

void print_groups(std::ostream& out, const std::string& title, const std::string& column,
                  const std::vector<GroupStats>& groups) {
  out << "\n" << title << ":\n";
  TextTable table({column, "rows", "MAPE", "median err", "p90 |err|", "worst row (predicted vs measured)"});
  for (const auto& g : groups)
    table.add_row({g.key, std::to_string(g.rows), percent(g.mape), signed_percent(g.median_signed), percent(g.p90_abs),
                   g.worst ? worst_text(*g.worst) : ""});
  table.print(out);
}

struct Grouping {
  const char* name;
  std::function<std::string(const ScoredRow&)> key;
};

std::vector<Grouping> groupings() {
  return {
      {"operator", op_key},
      {"model", [](const ScoredRow& r) { return r.row->model.empty() ? std::string("-") : r.row->model; }},
      {"tp", [](const ScoredRow& r) { return fmt::format("{} {}", r.row->kind == MeasuredKind::all_reduce ||
                                                                          r.row->kind == MeasuredKind::send_recv
                                                                      ? "ranks"
                                                                      : "TP",
                                                         r.row->tp); }},
      {"regime", [](const ScoredRow& r) { return fmt::format("{} ({})", r.regime, to_string(r.row->kind)); }},
  };
}

}  // namespace

std::string op_key(const ScoredRow& row) {
  return row.row->range.empty() ? row.row->op : fmt::format("{} [{}]", row.row->op, row.row->range);
}

std::vector<GroupStats> group_stats(const std::vector<ScoredRow>& rows,
                                    const std::function<std::string(const ScoredRow&)>& key) {
  std::map<std::string, std::vector<const ScoredRow*>> groups;
  for (const auto& r : rows) {
    std::string k = key(r);
    if (!k.empty()) groups[k].push_back(&r);
  }
  std::vector<GroupStats> out;
  for (const auto& [k, members] : groups) {
    GroupStats g;
    g.key = k;
    g.rows = members.size();
    std::vector<double> signed_errors, abs_errors;
    for (const ScoredRow* r : members) {
      signed_errors.push_back(r->error);
      abs_errors.push_back(std::abs(r->error));
      g.mape += std::abs(r->error);
      if (g.worst == nullptr || std::abs(r->error) > std::abs(g.worst->error)) g.worst = r;
    }
    g.mape /= static_cast<double>(members.size());
    g.median_signed = percentile(signed_errors, 0.5);
    g.p90_abs = percentile(abs_errors, 0.9);
    out.push_back(g);
  }
  return out;
}

void print_report(std::ostream& out, const std::vector<ScoredRow>& rows, std::size_t worst_rows) {
  const auto all = group_stats(rows, [](const ScoredRow&) { return std::string("all rows"); });
  if (!all.empty())
    out << fmt::format("{} rows: MAPE {}, median error {}, p90 |error| {}\n", all[0].rows, percent(all[0].mape),
                       signed_percent(all[0].median_signed), percent(all[0].p90_abs));
  const char* titles[] = {"by operator [size bucket]", "by model (or source)", "by TP degree (ranks for collectives)",
                          "by regime (predicted bound)"};
  const char* columns[] = {"operator", "model", "TP", "regime"};
  const auto kinds = groupings();
  for (std::size_t i = 0; i < kinds.size(); ++i) print_groups(out, titles[i], columns[i], group_stats(rows, kinds[i].key));
  const std::vector<ScoredRow> worst = largest_errors(rows, worst_rows);
  out << fmt::format("\nworst {} rows:\n", worst.size());
  TextTable table({"operator", "model", "TP", "shape", "measured", "predicted", "error", "where"});
  for (const ScoredRow& r : worst) {
    table.add_row({r.row->op, r.row->model, std::to_string(r.row->tp), r.row->shape, format_seconds(r.row->measured_s),
                   format_seconds(r.predicted_s), signed_percent(r.error),
                   fmt::format("{}:{}", r.row->file.substr(r.row->file.rfind('/') + 1), r.row->line)});
  }
  table.print(out);
}

std::vector<ScoredRow> largest_errors(const std::vector<ScoredRow>& rows, std::size_t count) {
  std::vector<ScoredRow> sorted = rows;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ScoredRow& a, const ScoredRow& b) { return std::abs(a.error) > std::abs(b.error); });
  if (sorted.size() > count) sorted.resize(count);
  return sorted;
}

DataTable rows_table(const std::vector<ScoredRow>& rows) {
  DataTable table({"source", "file", "line", "op", "range", "model", "tp", "shape", "regime", "measured_ms",
                   "predicted_ms", "error"});
  for (const auto& r : rows) {
    const Measurement& m = *r.row;
    table.add_row({m.source, m.file, std::to_string(m.line), m.op, m.range, m.model, std::to_string(m.tp), m.shape,
                   r.regime, fmt::format("{:.6g}", m.measured_s * 1e3), fmt::format("{:.6g}", r.predicted_s * 1e3),
                   fmt::format("{:.5f}", r.error)});
  }
  return table;
}

std::string rows_csv(const std::vector<ScoredRow>& rows) { return rows_table(rows).csv(); }

DataTable summary_table(const std::vector<ScoredRow>& rows) {
  DataTable table({"grouping", "group", "rows", "mape", "median_signed_error", "p90_abs_error"});
  auto add = [&](const std::string& grouping, const std::vector<GroupStats>& groups) {
    for (const auto& g : groups)
      table.add_row({grouping, g.key, std::to_string(g.rows), fmt::format("{:.5f}", g.mape),
                     fmt::format("{:.5f}", g.median_signed), fmt::format("{:.5f}", g.p90_abs)});
  };
  add("all", group_stats(rows, [](const ScoredRow&) { return std::string("all rows"); }));
  for (const auto& g : groupings()) add(g.name, group_stats(rows, g.key));
  // The finest cut, for targets stated per operator, source and rank count (e.g. all-reduce
  // error of one NCCL table at 8 ranks).
  add("operator/model/tp", group_stats(rows, [](const ScoredRow& r) {
        return fmt::format("{} / {} / {}", op_key(r), r.row->model.empty() ? "-" : r.row->model, r.row->tp);
      }));
  return table;
}

std::string summary_csv(const std::vector<ScoredRow>& rows) { return summary_table(rows).csv(); }

}  // namespace llmpo::calibration
