#include "simulator/report/search_charts.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "simulator/report/html_page.hpp"

namespace llmpo::report {

namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;

// "ttft_p90_ms" -> "TTFT p90 at the target rate (ms)": a latency bound of the capacity: section
// (search.csv names its columns <bound>_at_target) as an axis title with its unit.
std::string bound_title(const std::string& column) {
  std::string key = column.substr(0, column.size() - std::string("_at_target").size());
  const bool in_ms = key.ends_with("_ms");
  if (in_ms) key.resize(key.size() - 3);
  const auto split = key.find('_');
  std::string metric = key.substr(0, split);
  std::transform(metric.begin(), metric.end(), metric.begin(), [](unsigned char c) { return std::toupper(c); });
  const std::string stat = split == std::string::npos ? "" : key.substr(split + 1);
  return fmt::format("{}{}{} at the target rate{}", metric, stat.empty() ? "" : " ", stat, in_ms ? " (ms)" : "");
}

// The cheapest first, then the faster: the order `search` prints its ranking in.
std::vector<const CsvRow*> by_cost(const Table& search, std::vector<const CsvRow*> rows, const std::string& y_column) {
  std::stable_sort(rows.begin(), rows.end(), [&](const CsvRow* a, const CsvRow* b) {
    const double cost_a = search.value(*a, "cost_per_hour_usd").value_or(0);
    const double cost_b = search.value(*b, "cost_per_hour_usd").value_or(0);
    return cost_a != cost_b ? cost_a < cost_b : search.value(*a, y_column) < search.value(*b, y_column);
  });
  return rows;
}

json search_spec(const json& values, const std::vector<std::string>& gpus, const std::string& y_title) {
  json x = quantitative("cost", "cost ($/h)");
  x["scale"] = {{"zero", false}};
  json y = quantitative("latency", y_title);
  y["scale"] = {{"zero", false}};
  const json frontier = {{"transform", json::array({{{"filter", "datum.pareto"}}})},
                         {"mark", {{"type", "line"}, {"color", "#555"}, {"strokeDash", {5, 3}}, {"strokeWidth", 1.5}}},
                         {"encoding", {{"x", x}, {"y", y}, {"order", quantitative("cost", "cost ($/h)")}}}};
  const json candidates = {
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 80}, {"opacity", 0.85}}},
      {"encoding",
       {{"x", x}, {"y", y}, {"color", color_by("gpu", "GPU", gpus)},
        {"shape", {{"field", "pareto"}, {"type", "nominal"}, {"title", "Pareto frontier"},
                   {"scale", {{"domain", {true, false}}, {"range", {"diamond", "circle"}}}},
                   {"legend", {{"labelExpr", "datum.label === 'true' ? 'on the frontier' : 'dominated'"}}}}},
        {"tooltip", json::array({tip("framework"), tip("gpu", "GPU"), tip("tp", "TP"), tip("pp", "PP"),
                                 tip("replicas"), tip("gpus", "GPUs"), tip("knobs"), tip("cost", "cost ($/h)", ",.2f"),
                                 tip("capacity", "capacity (req/s)", ",.3f"), tip("latency", y_title, ",.1f"),
                                 tip("pareto", "Pareto frontier")})}}}};
  return {{"$schema", kSchema}, {"width", 640}, {"height", 360}, {"data", {{"values", values}}},
          {"layer", json::array({frontier, candidates})}};
}

}  // namespace

ResultsSection search_section(const Table& search, std::vector<std::string>& notes) {
  search.csv.column_list({"framework", "gpu", "tensor_parallel_degree", "pipeline_parallel_degree", "knobs", "status",
                          "reason", "replicas", "num_gpus", "cost_per_hour_usd", "capacity_req_per_s", "pareto"},
                         "the search chart");
  // The frontier's latency axis: the first SLO bound. Without bounds (only min_attainment)
  // search.csv has no latency column; capacity stands in.
  const auto& header = search.csv.header();
  const auto bound = std::find_if(header.begin(), header.end(), [](const std::string& c) { return c.ends_with("_at_target"); });
  const std::string y_column = bound != header.end() ? *bound : "capacity_req_per_s";
  const std::string y_title = bound != header.end() ? bound_title(*bound) : "capacity (req/s)";
  if (bound == header.end())
    notes.push_back("search.csv has no latency column (the capacity: section sets no slo bound): the search chart "
                    "plots capacity against cost; its frontier is the one of mean E2EL.");
  std::vector<const CsvRow*> feasible, others;
  for (const auto& row : search.csv.rows()) (search.cell(row, "status") == "ok" ? feasible : others).push_back(&row);
  feasible = by_cost(search, feasible, y_column);

  json values = json::array();
  std::vector<std::string> gpus;
  for (const CsvRow* row : feasible) {
    const auto cost = search.value(*row, "cost_per_hour_usd");
    const auto latency = search.value(*row, y_column);
    if (!cost || !latency) continue;
    add_distinct(gpus, search.cell(*row, "gpu"));
    const std::string knobs = search.cell(*row, "knobs");
    values.push_back({{"framework", search.cell(*row, "framework")}, {"gpu", search.cell(*row, "gpu")},
                      {"tp", search.value(*row, "tensor_parallel_degree").value_or(0)},
                      {"pp", search.value(*row, "pipeline_parallel_degree").value_or(0)},
                      {"replicas", search.value(*row, "replicas").value_or(0)},
                      {"gpus", search.value(*row, "num_gpus").value_or(0)}, {"knobs", knobs.empty() ? "-" : knobs},
                      {"cost", *cost}, {"latency", *latency},
                      {"capacity", search.value(*row, "capacity_req_per_s").value_or(0)},
                      {"pareto", search.cell(*row, "pareto") == "true"}});
  }
  const Columns shown = {{"framework", "framework"}, {"gpu", "GPU"}, {"tensor_parallel_degree", "TP"},
                         {"pipeline_parallel_degree", "PP"}, {"knobs", "knobs"}, {"replicas", "replicas"},
                         {"num_gpus", "GPUs"}, {"cost_per_hour_usd", "cost ($/h)"},
                         {"capacity_req_per_s", "capacity (req/s)"}, {"req_per_s_per_usd_per_hour", "req/s per $/h"},
                         {y_column, y_title}, {"pareto", "Pareto"}};
  const Columns rejected = {{"framework", "framework"}, {"gpu", "GPU"}, {"tensor_parallel_degree", "TP"},
                            {"pipeline_parallel_degree", "PP"}, {"knobs", "knobs"}, {"status", "status"},
                            {"reason", "reason"}};
  const std::string others_html =
      others.empty() ? ""
                     : fmt::format("<details><summary>{} candidates cannot carry the target rate within the SLOs or "
                                   "were pruned before simulating</summary>{}</details>",
                                   others.size(), csv_table_html(search, rejected, others));
  ResultsSection section;
  if (values.empty()) {
    notes.push_back("search.csv: no candidate carries the target rate within the SLOs; the table says why.");
    section.intro_html = "<h2>Configuration search</h2>" + others_html + "\n";
    return section;
  }
  section.charts.push_back(
      {"search", "Configuration search: cost vs latency",
       fmt::format("The {} feasible candidates of search.csv (of {}): hourly price of all their GPUs against {}, one "
                   "colour per GPU type; the dashed line joins the cost-latency Pareto frontier (no other candidate is "
                   "as cheap and as fast).",
                   feasible.size(), search.csv.rows().size(), y_title),
       search_spec(values, gpus, y_title), csv_table_html(search, shown, feasible) + others_html});
  return section;
}

}  // namespace llmpo::report
