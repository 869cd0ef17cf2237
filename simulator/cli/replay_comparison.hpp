#pragma once
// What both kinds of `replay` print: each metric measured against simulated, with the relative
// error. One table feeds the terminal, --format csv and --format json, so they show the same
// figures (the terminal rounded, the machine formats at full precision).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "simulator/util/data_table.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

struct MetricComparison {
  std::string metric;               // a vLLM result key or the timestamp run's name, units in it
  std::optional<double> measured;   // absent when the measurement does not have it
  double simulated = 0;
};

// metric, measured, simulated, relative_error = (simulated - measured) / measured; a cell with
// no value (no measurement, or a measured 0 that a ratio cannot use) is empty.
DataTable comparison_table(const std::vector<MetricComparison>& rows);

// {"metric": {"measured", "simulated", "relative_error"}, ...}: the table keyed by metric.
nlohmann::ordered_json comparison_json(const DataTable& table);

// --format csv|json: `heading` to the narrative stream (stderr), then csv the table, or json
// `fields` (the run's counts) with "metrics": comparison_json.
void print_comparison(std::ostream& out, TableFormat format, const std::string& heading, nlohmann::ordered_json fields,
                      const std::vector<MetricComparison>& rows);

// The terminal's table: two decimals and the error in percent ("-" for no value).
TextTable comparison_display(const std::vector<MetricComparison>& rows);

}  // namespace llmpo
