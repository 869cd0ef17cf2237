#pragma once
// One self-contained HTML page of Vega-Lite charts, as `report` and `bench` write it: the vega,
// vega-lite and vega-embed bundles inlined from simulator/report/node_modules (pinned by its
// package-lock.json, installed by ./dev.sh) so the page opens offline, the style, and a page
// script that embeds each chart and leaves a status object in the DOM (charts, rendered,
// marks per chart, console errors; SVGs under #export; under #layout the box of every visible
// text of each chart, for the label-overlap test) for headless checks (headless.hpp).
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "simulator/report/chart_kit.hpp"
#include "simulator/report/results_folder.hpp"

namespace llmpo::report {

struct ChartLibrary {
  std::string name;  // "vega 6.4.0"
  std::string code;
};

// The three bundles; InputError naming the missing files and how to install them.
std::vector<ChartLibrary> load_chart_libraries();
// True when every bundle is installed (`bench` skips its page without them).
bool chart_libraries_installed();

struct Page {
  std::string title;       // <title> and <h1>
  std::string meta;        // the first line under the title (what made the page)
  std::string intro_html;  // tables and notes between the title and the charts
  std::vector<Chart> charts;
};

std::string page_html(const Page& page, const std::vector<ChartLibrary>& libraries);

std::string html_escape(const std::string& text);

// A number cell as the page's tables show it: four significant digits (no decimals from 1,000
// up); whole numbers and text as written. The CSV files keep every digit.
std::string display_number(const std::string& cell);

struct TableCell {
  TableCell(std::string text_, std::string style_ = "") : text(std::move(text_)), style(std::move(style_)) {}
  std::string text;   // escaped when written, unless is_html
  std::string style;  // CSS of the <td>, "" for none
  bool is_html = false;
};
// A cell of markup the page made itself (a badge), written as is.
TableCell html_cell(std::string html);
// <table> with a header row; text is escaped.
std::string html_table(const std::vector<std::string>& headers, const std::vector<std::vector<TableCell>>& rows);
// The `columns` (CSV column, header) that `table` has, of `rows`, as an HTML table of the CSV
// text (numbers through display_number); `style` gives a cell's CSS ("" for none).
// `extra` columns follow, their cells made from each row by the page.
using CellStyle = std::function<std::string(const CsvRow& row, const std::string& column)>;
struct ExtraColumn {
  std::string header;
  std::function<TableCell(const CsvRow& row)> cell;
};
std::string csv_table_html(const Table& table, const std::vector<std::pair<std::string, std::string>>& columns,
                           const std::vector<const CsvRow*>& rows, const CellStyle& style = {},
                           const std::vector<ExtraColumn>& extra = {});
// The red "overloaded" badge of a run that did not keep up with its load, the reason as its
// tooltip and beside it.
std::string overloaded_badge_html(const std::string& reason);
// <ul class="notes"> of the notes, "" when there are none.
std::string notes_html(const std::vector<std::string>& notes);

}  // namespace llmpo::report
