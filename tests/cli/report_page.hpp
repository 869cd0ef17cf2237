#pragma once
// Reading the pages `report` and `bench` write, for the chart-data tests: the page's chart list
// as the page script reads it, one chart by id, and CSV rows by column name.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"
#include "simulator/report/html_page.hpp"
#include "simulator/util/data_paths.hpp"

namespace llmpo::test {

// The page's chart list ({id, spec} per chart) as the page script reads it.
inline nlohmann::json charts_of(const std::string& html_path) {
  const std::string html = read_file(html_path);
  const std::string open_tag = "<script type=\"application/json\" id=\"llmpo-charts\">";
  const auto start = html.find(open_tag);
  REQUIRE(start != std::string::npos);
  const auto end = html.find("</script>", start);
  return nlohmann::json::parse(html.substr(start + open_tag.size(), end - start - open_tag.size()));
}

inline const nlohmann::json& chart(const nlohmann::json& charts, const std::string& id) {
  for (const auto& c : charts)
    if (c["id"] == id) return c["spec"];
  FAIL("no chart " << id);
  return charts;
}

// Whether the page has a chart of this id (the optional charts appear only with their data).
inline bool has_chart(const nlohmann::json& charts, const std::string& id) {
  for (const auto& c : charts)
    if (c["id"] == id) return true;
  return false;
}

// A CSV row as column -> cell (row 0 is the header).
inline std::map<std::string, std::string> row_of(const std::vector<std::vector<std::string>>& rows, std::size_t r) {
  std::map<std::string, std::string> out;
  for (std::size_t c = 0; c < rows[0].size(); ++c) out[rows[0][c]] = rows[r][c];
  return out;
}

// True (with a warning) when simulator/report/node_modules is missing: the page tests skip.
inline bool libraries_missing() {
  if (llmpo::report::chart_libraries_installed()) return false;
  WARN("skipped: simulator/report/node_modules is not installed (./dev.sh runs npm ci)");
  return true;
}

// An example experiment of experiments/, to shorten with --set overrides.
inline std::string example(const std::string& name) { return llmpo::data_root() + "/experiments/" + name; }

}  // namespace llmpo::test
