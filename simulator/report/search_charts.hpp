#pragma once
// The charts of a `search` folder (search.csv: cost vs latency of the feasible candidates, with
// the Pareto frontier) with its table; a `capacity` folder's are in capacity_charts.hpp.
#include <string>
#include <vector>

#include "simulator/report/chart_kit.hpp"
#include "simulator/report/results_folder.hpp"

namespace llmpo::report {

// What one results file adds to a page.
struct ResultsSection {
  std::string intro_html;  // shown before the charts: the table of a section that has no chart
  std::vector<Chart> charts;
};

// search.csv: x = cost ($/h), y = the first SLO bound at the target rate (its unit from the
// column name), one colour per GPU type, the frontier as a line through the rows flagged
// pareto; the table lists the feasible candidates by cost, then why the others failed. Without
// a feasible candidate: no chart, a note and the table.
ResultsSection search_section(const Table& search, std::vector<std::string>& notes);

}  // namespace llmpo::report
