#pragma once
// The pieces every chart of the report pages shares: the Vega-Lite schema, one colour per
// framework or GPU type (the same in every chart of a page), encodings of a field with its
// title (titles carry the units, "TTFT (ms)"), and tooltip entries.
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmpo::report {

using json = nlohmann::json;

inline constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";

// Tableau 10: colour i of a domain listed in order of first appearance.
inline constexpr std::array<const char*, 10> kPalette = {"#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                                                         "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"};
inline const char* palette_color(std::size_t index) { return kPalette[index % kPalette.size()]; }

// One chart of a page: a <section> with its title, description, the chart and, when given, an
// HTML table under it.
struct Chart {
  std::string id;  // the element id (chart-ID) and the --export-svg file name (ID.svg)
  std::string title;
  std::string description;
  json spec;
  std::string table_html = "";
};

// A colour encoding of a nominal field whose domain maps to the palette in order, so that a
// value keeps its colour across the charts of a page.
json color_by(const std::string& field, const std::string& title, const std::vector<std::string>& domain,
              bool with_legend = true);

// An encoding channel: {field, type, title}. The title names the unit: "memory per GPU (GiB)".
json axis(const std::string& field, const std::string& type, const std::string& title);
inline json quantitative(const std::string& field, const std::string& title) {
  return axis(field, "quantitative", title);
}

// A tooltip entry: the field alone, or with a title and a d3 number format (either "" for none).
json tip(const std::string& field);
json tip(const std::string& field, const std::string& title, const std::string& format = "");

// The ticks of a log axis over data in [lo, hi] (both > 0) that `length_px` long can label
// without collisions: 1-2-5 values (10, 20, 50, 100, ...) when they fit, else powers of ten,
// every k-th of them labelled when even those are too many. The domain is snapped outward to
// the first and last tick, so the axis ends on ticks.
struct LogTicks {
  double domain_lo = 1, domain_hi = 10;
  std::vector<double> values;    // every tick (and grid line)
  std::vector<double> labelled;  // the ticks with a label: all of them, or every k-th power
};
// `label_px`: the room one label needs along the axis (its width on a horizontal axis, its
// height on a vertical one).
LogTicks clean_log_ticks(double lo, double hi, double length_px, double label_px);

// Makes `channel` (an x or y encoding) a log scale with clean_log_ticks: the snapped domain,
// labels only at the tick values, in compact form (200, 2k, 20k, 2M) so they stay short.
void use_log_scale(json& channel, double lo, double hi, double length_px, bool horizontal);

}  // namespace llmpo::report
