#include "replay_comparison.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output_format.hpp"

namespace llmpo {

namespace {

std::optional<double> relative_error(const MetricComparison& c) {
  if (!c.measured || *c.measured == 0) return std::nullopt;
  return (c.simulated - *c.measured) / *c.measured;
}

}  // namespace

DataTable comparison_table(const std::vector<MetricComparison>& rows) {
  DataTable table({"metric", "measured", "simulated", "relative_error"});
  for (const auto& c : rows) {
    const std::optional<double> error = relative_error(c);
    table.add_row({c.metric, c.measured ? data_number(*c.measured) : "", data_number(c.simulated),
                   error ? data_number(*error) : ""});
  }
  return table;
}

nlohmann::ordered_json comparison_json(const DataTable& table) {
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (std::size_t r = 0; r < table.rows().size(); ++r) {
    nlohmann::ordered_json row = table.row_json(r);
    const std::string metric = row["metric"].get<std::string>();
    row.erase("metric");
    metrics[metric] = std::move(row);
  }
  return metrics;
}

void print_comparison(std::ostream& out, TableFormat format, const std::string& heading, nlohmann::ordered_json fields,
                      const std::vector<MetricComparison>& rows) {
  const DataTable table = comparison_table(rows);
  narrative_stream(format, out) << heading;
  if (format == TableFormat::csv) {
    out << table.csv();
    return;
  }
  fields["metrics"] = comparison_json(table);
  out << fields.dump(2) << "\n";
}

TextTable comparison_display(const std::vector<MetricComparison>& rows) {
  TextTable table({"metric", "measured", "simulated", "error"});
  for (const auto& c : rows) {
    std::string error = "-";
    if (const auto e = relative_error(c)) error = fmt::format("{:+.1f}%", 100 * *e);
    else if (c.measured) error = c.simulated == 0 ? "+0.0%" : "n/a";  // measured 0
    table.add_row({c.metric, c.measured ? fmt::format("{:.2f}", *c.measured) : "-", fmt::format("{:.2f}", c.simulated),
                   error});
  }
  return table;
}

}  // namespace llmpo
