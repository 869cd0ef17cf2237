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

ResultsSection capacity_section(const Table& capacity, std::vector<std::string>& notes) {
  capacity.csv.column_list({"run", "point", "framework", "gpu", "num_gpus", "load", "capacity", "verdict"},
                           "the capacity chart");
  // The searched quantity of each row names the unit: an arrival rate, or clients of a closed loop.
  const std::map<std::string, std::pair<std::string, std::string>> units = {
      {"request_rate_req_per_s", {"request rate", "req/s"}}, {"concurrency", {"concurrency", "clients"}}};
  std::vector<std::string> labels, frameworks, loads;
  std::set<std::string> seen;
  bool unique = true;
  for (const auto& row : capacity.csv.rows()) {
    const std::string point = capacity.cell(row, "point");
    labels.push_back(capacity.cell(row, "framework") + (point.empty() ? "" : ", " + shorten_point(point)));
    unique = seen.insert(labels.back()).second && unique;
    add_distinct(frameworks, capacity.cell(row, "framework"));
  }
  json values = json::array();
  for (std::size_t i = 0; i < capacity.csv.rows().size(); ++i) {
    const CsvRow& row = capacity.csv.rows()[i];
    const auto unit = units.find(capacity.cell(row, "load"));
    const auto value = capacity.value(row, "capacity");
    if (unit == units.end() || !value) continue;
    if (!unique) labels[i] = "run " + capacity.cell(row, "run") + ": " + labels[i];
    add_distinct(loads, unit->first);
    const std::string verdict = capacity.cell(row, "verdict");
    values.push_back({{"deployment", labels[i]}, {"framework", capacity.cell(row, "framework")},
                      {"gpu", capacity.cell(row, "gpu")}, {"gpus", capacity.value(row, "num_gpus").value_or(0)},
                      {"load", unit->first}, {"capacity", *value},
                      {"per_gpu", capacity.value(row, "capacity_per_gpu").value_or(0)}, {"verdict", verdict},
                      {"text", fmt::format("{:.3g} {}{}", *value, unit->second.second,
                                           verdict == "bracketed" ? "" : " (" + verdict + ")")}});
  }
  if (values.empty()) {
    notes.push_back("capacity.csv has no row with a capacity: no capacity chart.");
    return {};
  }
  json charts = json::array();
  for (const auto& load : loads) {
    const auto& [quantity, unit] = units.at(load);
    const std::string title = fmt::format("capacity: highest {} within the SLOs ({})", quantity, unit);
    charts.push_back(
        {{"width", 600}, {"height", {{"step", 26}}},
         {"transform", json::array({{{"filter", fmt::format("datum.load === '{}'", load)}}})},
         {"encoding", {{"y", {{"field", "deployment"}, {"type", "nominal"}, {"title", nullptr}, {"sort", labels}}},
                       {"x", quantitative("capacity", title)}}},
         {"layer", json::array({{{"mark", "bar"},
                                 {"encoding", {{"color", color_by("framework", "framework", frameworks)},
                                               {"tooltip", json::array({tip("deployment"), tip("gpu", "GPU"),
                                                                        tip("gpus", "GPUs"), tip("capacity", title, ",.3f"),
                                                                        tip("per_gpu", "per GPU (" + unit + ")", ",.3f"),
                                                                        tip("verdict")})}}}},
                                {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
                                 {"encoding", {{"text", {{"field", "text"}}}}}}})}});
  }
  const Columns shown = {{"run", "run"}, {"framework", "framework"}, {"point", "point"}, {"model", "model"},
                         {"gpu", "GPU"}, {"num_gpus", "GPUs"}, {"load", "searched"}, {"capacity", "capacity"},
                         {"capacity_per_gpu", "per GPU"}, {"verdict", "verdict"}, {"probes", "probes"},
                         {"first_failing_reason", "first failure"}};
  std::vector<const CsvRow*> rows;
  for (const auto& row : capacity.csv.rows()) rows.push_back(&row);
  ResultsSection section;
  section.charts.push_back(
      {"capacity", "Capacity per deployment",
       "capacity.csv: per deployment and sweep point, the highest load (request rate, or clients of a closed loop) "
       "meeting the capacity: SLOs without saturating, found by bisection; \"fails at low\" means not even the "
       "search's lowest load passed, \"passes at high\" that its highest did.",
       {{"$schema", kSchema}, {"data", {{"values", values}}}, {"vconcat", charts}},
       csv_table_html(capacity, shown, rows)});
  return section;
}

}  // namespace llmpo::report
