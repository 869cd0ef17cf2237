#include "simulator/report/capacity_charts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "simulator/report/html_page.hpp"

namespace llmpo::report {

namespace {

namespace fs = std::filesystem;
using Columns = std::vector<std::pair<std::string, std::string>>;

constexpr double kProbePanelWidthPx = 230;
constexpr double kProbePanelHeightPx = 90;
constexpr const char* kAttainment = "slo_attainment";

// The searched quantity of a capacity.csv row ("load") names the unit: an arrival rate, or the
// clients of a closed loop.
const std::map<std::string, std::pair<std::string, std::string>>& load_units() {
  static const std::map<std::string, std::pair<std::string, std::string>> units = {
      {"request_rate_req_per_s", {"request rate", "req/s"}}, {"concurrency", {"concurrency", "clients"}}};
  return units;
}

// Numbers as the page's text states them: "2,000", "0.05", "1.23".
std::string stated(double value) {
  if (std::fabs(value) < 1000) return fmt::format("{:.4g}", value);
  std::string digits = std::to_string(std::llabs(std::llround(value)));
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return (value < 0 ? "-" : "") + digits;
}

// What each deployment is called on the page, by capacity.csv row: "vllm, TP 2" (its run index
// first when two rows would read the same).
// A disaggregated deployment's split of its GPUs ("3P+1D"), when capacity.pd_splits searched it
// among the others (capacity.csv and capacity_log.csv then have a pd_split column).
std::string pd_split_of(const Table& table, const CsvRow& row) {
  return table.csv.has("pd_split") ? table.cell(row, "pd_split") : std::string();
}

// What tells a deployment's rows apart in both files: the run, and its split when searched.
std::string deployment_key(const Table& table, const CsvRow& row) {
  const std::string split = pd_split_of(table, row);
  return table.cell(row, "run") + (split.empty() ? "" : "/" + split);
}

std::vector<std::string> deployment_labels(const Table& capacity) {
  std::vector<std::string> labels;
  std::set<std::string> seen;
  bool unique = true;
  for (const auto& row : capacity.csv.rows()) {
    const std::string point = capacity.cell(row, "point");
    const std::string split = pd_split_of(capacity, row);
    labels.push_back(capacity.cell(row, "framework") + (split.empty() ? "" : " " + split) +
                     (point.empty() ? "" : ", " + shorten_point(point)));
    unique = seen.insert(labels.back()).second && unique;
  }
  if (!unique)
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = "run " + capacity.cell(capacity.csv.rows()[i], "run") + ": " + labels[i];
  return labels;
}

// "<p class=slo>SLOs ...</p>": what a probe had to meet, and the search range.
std::string slo_statement(const CapacitySettings& settings, const std::string& unit) {
  std::vector<std::string> parts;
  for (const auto& [key, limit] : settings.bounds) {
    std::string label = bound_label(key);
    const bool in_ms = label.ends_with(" (ms)");
    if (in_ms) label.resize(label.size() - 5);
    parts.push_back(fmt::format("{} &le; {}{}", html_escape(label), stated(limit), in_ms ? " ms" : ""));
  }
  if (settings.min_attainment)
    parts.push_back(fmt::format("at least {}% of requests meeting the experiment's simulation.slo",
                                stated(100 * *settings.min_attainment)));
  std::string all;
  for (std::size_t i = 0; i < parts.size(); ++i)
    all += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  std::string html = "<p class=\"slo\"><b>SLOs</b> (capacity_spec.csv): a probe passes when " + all +
                     ", and the run is stable (neither overloaded nor backlogged).";
  if (settings.low && settings.high)
    html += fmt::format(" Searched from {} to {} {}", stated(*settings.low), stated(*settings.high), html_escape(unit));
  if (settings.tolerance) html += fmt::format(", until the bracket is narrower than {}%", stated(100 * *settings.tolerance));
  return html + ".</p>\n";
}

json capacity_bars(const Table& capacity, const std::vector<std::string>& labels, std::vector<std::string>& notes,
                   std::vector<std::string>& loads) {
  std::vector<std::string> frameworks;
  for (const auto& row : capacity.csv.rows()) add_distinct(frameworks, capacity.cell(row, "framework"));
  json values = json::array();
  for (std::size_t i = 0; i < capacity.csv.rows().size(); ++i) {
    const CsvRow& row = capacity.csv.rows()[i];
    const auto unit = load_units().find(capacity.cell(row, "load"));
    const auto value = capacity.value(row, "capacity");
    if (unit == load_units().end() || !value) continue;
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
    return nullptr;
  }
  json charts = json::array();
  for (const auto& load : loads) {
    const auto& [quantity, unit] = load_units().at(load);
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
  return {{"$schema", kSchema}, {"data", {{"values", values}}}, {"vconcat", charts}};
}

// A probe's outcome as the probes chart marks it (colour and shape), with its legend order.
const std::vector<std::string> kOutcomes = {"meets the SLOs", "misses an SLO", "overloaded or backlogged"};
json outcome_encoding(const std::string& channel) {
  const json range = channel == "shape" ? json::array({"circle", "cross", "triangle-up"})
                                        : json::array({"#2e7d32", "#c62828", "#ef6c00"});
  return {{"field", "outcome"}, {"type", "nominal"}, {"title", "probe"}, {"scale", {{"domain", kOutcomes}, {"range", range}}}};
}

// One probe panel: the deployment's probes of one metric (a bound, or attainment) against load.
struct ProbePanel {
  std::string run;     // capacity.csv's run index, and "/" and its P:D split when searched
  std::string metric;  // capacity_log.csv's column
  std::optional<double> limit;
  std::optional<double> capacity;  // the vertical rule where the deployment's capacity lies
};

// The top of a linear axis from 0 holding `hi`: hi rounded up to a half power of ten (287 -> 300,
// 1040 -> 1500), so that ticks land on round values.
double rounded_top(double hi) {
  if (!(hi > 0)) return 1;
  const double step = std::pow(10.0, std::floor(std::log10(hi))) / 2;
  return std::ceil(hi / step * (1 - 1e-12)) * step;
}

// The y channel of a metric's panels, the same in every deployment's row (lo and hi: its
// values' and limit's range over all probes): attainment in [0, 1]; a latency bound on a log
// axis (clean ticks) when that spans more than 50x, else linear from 0.
json metric_axis(const std::string& metric, double lo, double hi) {
  if (metric == kAttainment) {
    json y = quantitative("value", "SLO attainment");
    y["scale"] = {{"domain", {0, 1}}};
    y["axis"] = {{"values", {0, 0.5, 1}}};
    return y;
  }
  json y = quantitative("value", bound_label(metric));
  if (lo > 0 && hi / lo > 50) use_log_scale(y, lo, hi, kProbePanelHeightPx, false);
  else y["axis"] = {{"tickCount", 3}}, y["scale"] = {{"domain", {0, rounded_top(hi)}}};
  return y;
}

json probe_panel(const ProbePanel& p, json x, const json& y, bool first_row, bool last_row) {
  if (!last_row) x["title"] = nullptr;  // the bottom row names the shared load axis
  const json filter = json::array({{{"filter", {{"field", "run"}, {"equal", p.run}}}},
                                   {{"filter", {{"field", "metric"}, {"equal", p.metric}}}}});
  json layers = json::array();
  // The probes joined in load order (the curve the bisection sampled), then each probe marked.
  layers.push_back({{"transform", filter}, {"mark", {{"type", "line"}, {"color", "#9e9e9e"}, {"strokeWidth", 1}}},
                    {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", "load"}, {"type", "quantitative"}}}}}});
  layers.push_back({{"transform", filter}, {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"opacity", 1}}},
                    {"encoding", {{"x", x}, {"y", y}, {"color", outcome_encoding("color")}, {"shape", outcome_encoding("shape")},
                                  {"tooltip", json::array({tip("deployment"), tip("step"), tip("load", "load", ",.4g"),
                                                           tip("value", y["title"].get<std::string>(), ",.4g"),
                                                           tip("state"), tip("reason")})}}}});
  if (p.limit) {
    // The bound as a red dashed rule, labelled on the side away from the panel's edge.
    json rule_y = y;  // the panel's y scale and axis, drawn at the limit
    rule_y["field"] = "limit";
    const bool upper_half = [&] {
      const json& domain = y["scale"].value("domain", json::array());
      if (domain.size() != 2) return false;
      const double lo = domain[0], hi = domain[1];
      const bool log = y["scale"].value("type", "") == "log";
      const double at = log ? std::log(*p.limit / lo) / std::log(hi / lo) : (*p.limit - lo) / (hi - lo);
      return at > 0.5;
    }();
    const std::string sense = p.metric == kAttainment ? "\u2265" : "\u2264";  // >=, <=
    layers.push_back({{"data", {{"values", json::array({{{"limit", *p.limit}}})}}},
                      {"mark", {{"type", "rule"}, {"color", "#c62828"}, {"strokeDash", {5, 3}}, {"strokeWidth", 1.5}}},
                      {"encoding", {{"y", rule_y}}}});
    layers.push_back({{"data", {{"values", json::array({{{"limit", *p.limit}, {"text", "SLO " + sense + " " + stated(*p.limit) + (p.metric.ends_with("_ms") ? " ms" : "")}}})}}},
                      {"mark", {{"type", "text"}, {"align", "right"}, {"baseline", upper_half ? "top" : "bottom"},
                                {"dy", upper_half ? 3 : -3}, {"color", "#c62828"}, {"fontSize", 10}}},
                      {"encoding", {{"y", rule_y}, {"x", {{"value", kProbePanelWidthPx - 2}}}, {"text", {{"field", "text"}}}}}});
  }
  if (p.capacity && *p.capacity > 0)
    layers.push_back({{"data", {{"values", json::array({{{"load", *p.capacity}}})}}},
                      {"mark", {{"type", "rule"}, {"color", "#424242"}, {"strokeDash", {2, 2}}}},
                      {"encoding", {{"x", x}}}});
  json panel = {{"width", kProbePanelWidthPx}, {"height", kProbePanelHeightPx}, {"layer", layers}};
  if (first_row) panel["title"] = y["title"];
  return panel;
}

}  // namespace

std::string bound_label(const std::string& key) {
  std::string body = key;
  const bool in_ms = body.ends_with("_ms");
  if (in_ms) body.resize(body.size() - 3);
  const auto split = body.find('_');
  std::string metric = body.substr(0, split);
  std::transform(metric.begin(), metric.end(), metric.begin(), [](unsigned char c) { return std::toupper(c); });
  return metric + (split == std::string::npos ? "" : " " + body.substr(split + 1)) + (in_ms ? " (ms)" : "");
}

std::optional<CapacitySettings> read_capacity_settings(const fs::path& dir) {
  const fs::path path = dir / "capacity_spec.csv";
  if (!fs::exists(path)) return std::nullopt;
  const CsvTable csv = CsvTable::read(path.string());
  const auto cols = csv.column_list({"key", "value"}, "capacity_spec.csv");
  CapacitySettings settings;
  for (const auto& row : csv.rows()) {
    const std::string& key = row.cells[cols[0]];
    const double value = csv.positive(row, cols[1]);  // file:line and the column when it is not
    if (key.starts_with("slo.")) settings.bounds.emplace_back(key.substr(4), value);
    else if (key == "min_attainment") settings.min_attainment = value;
    else if (key == "low") settings.low = value;
    else if (key == "high") settings.high = value;
    else if (key == "tolerance") settings.tolerance = value;
    // Other keys: settings of a later version, which this page does not state.
  }
  return settings;
}

ResultsSection capacity_section(const fs::path& dir, std::vector<std::string>& notes) {
  const Table capacity = Table::read(dir / "capacity.csv");
  capacity.csv.column_list({"run", "point", "framework", "gpu", "num_gpus", "load", "capacity", "verdict"},
                           "the capacity chart");
  const std::vector<std::string> labels = deployment_labels(capacity);
  std::vector<std::string> loads;
  const json bars = capacity_bars(capacity, labels, notes, loads);
  const std::optional<CapacitySettings> settings = read_capacity_settings(dir);
  std::string unit = "req/s or clients";
  if (loads.size() == 1) unit = load_units().at(loads[0]).second;

  ResultsSection section;
  if (settings) section.intro_html = slo_statement(*settings, unit);
  else
    notes.push_back("No capacity_spec.csv (written by `capacity` since the SLOs were added to its folder): the SLO "
                    "bounds are neither stated nor drawn.");
  if (!bars.is_null()) {
    const Columns shown = {{"run", "run"}, {"framework", "framework"}, {"point", "point"}, {"model", "model"},
                           {"gpu", "GPU"}, {"num_gpus", "GPUs"}, {"load", "searched"}, {"capacity", "capacity"},
                           {"capacity_per_gpu", "per GPU"}, {"verdict", "verdict"}, {"probes", "probes"},
                           {"first_failing_reason", "first failure"}};
    std::vector<const CsvRow*> rows;
    for (const auto& row : capacity.csv.rows()) rows.push_back(&row);
    section.charts.push_back(
        {"capacity", "Capacity per deployment",
         "capacity.csv: per deployment and sweep point, the highest load (request rate, or clients of a closed loop) "
         "meeting the SLOs above without saturating, found by bisection; \"fails at low\" means not even the "
         "search's lowest load passed, \"passes at high\" that its highest did.",
         bars, csv_table_html(capacity, shown, rows)});
  }

  // The probes: capacity_log.csv, one row per probe.
  const fs::path log_path = dir / "capacity_log.csv";
  if (!fs::exists(log_path)) {
    notes.push_back("No capacity_log.csv: the bisection probes are not charted.");
    return section;
  }
  const Table log = Table::read(log_path);
  log.csv.column_list({"run", "step", "load", "state", "passed", "reason", kAttainment}, "the probes chart");
  // The metrics charted: each SLO bound (capacity_log.csv has a column per bound: the ones
  // capacity_spec.csv names, else every <metric>_<statistic>_ms column), then attainment when
  // a minimum was set (or nothing else was).
  std::vector<std::string> metrics;
  std::map<std::string, double> limits;
  if (settings) {
    for (const auto& [key, limit] : settings->bounds)
      if (log.csv.has(key)) metrics.push_back(key), limits[key] = limit;
    if (settings->min_attainment) limits[kAttainment] = *settings->min_attainment;
  } else {
    for (const auto& column : log.csv.header())
      if (column.ends_with("_ms")) metrics.push_back(column);
  }
  if ((settings && settings->min_attainment) || metrics.empty()) metrics.push_back(kAttainment);

  std::map<std::string, std::string> label_of_run;
  std::map<std::string, const CsvRow*> capacity_row;
  for (std::size_t i = 0; i < capacity.csv.rows().size(); ++i) {
    label_of_run[deployment_key(capacity, capacity.csv.rows()[i])] = labels[i];
    capacity_row[deployment_key(capacity, capacity.csv.rows()[i])] = &capacity.csv.rows()[i];
  }
  json values = json::array();
  std::map<std::string, std::pair<double, double>> range;  // per metric: lowest and highest positive value
  double load_lo = settings && settings->low ? *settings->low : 1e300, load_hi = settings && settings->high ? *settings->high : 0;
  for (const auto& [metric, limit] : limits) range[metric] = {limit, limit};
  for (const auto& row : log.csv.rows()) {
    const std::string run = deployment_key(log, row);
    const auto load = log.value(row, "load");
    if (!label_of_run.count(run) || !load || !(*load > 0)) continue;
    load_lo = std::min(load_lo, *load), load_hi = std::max(load_hi, *load);
    const bool passed = log.cell(row, "passed") == "true";
    const std::string state = log.cell(row, "state");
    const std::string outcome = passed ? kOutcomes[0] : state == "stable" || state.empty() ? kOutcomes[1] : kOutcomes[2];
    for (const auto& metric : metrics) {
      const auto value = log.value(row, metric);
      if (!value || (metric != kAttainment && !(*value > 0))) continue;  // a log axis has no 0
      auto [found, fresh] = range.try_emplace(metric, *value, *value);
      found->second = {std::min(found->second.first, *value), std::max(found->second.second, *value)};
      (void)fresh;
      values.push_back({{"run", run}, {"deployment", label_of_run[run]}, {"metric", metric}, {"load", *load},
                        {"value", *value}, {"step", log.value(row, "step").value_or(0)}, {"state", state},
                        {"outcome", outcome}, {"reason", log.cell(row, "reason").empty() ? "-" : log.cell(row, "reason")}});
    }
  }
  if (values.empty()) {
    notes.push_back("capacity_log.csv has no probe of a deployment in capacity.csv: no probes chart.");
    return section;
  }
  // x: the load probed, shared by every panel; a log axis for rates (the bisection halves
  // geometrically), linear for clients.
  const bool clients = loads.size() == 1 && loads[0] == "concurrency";
  json x = quantitative("load", clients ? "concurrency (clients)" : "request rate probed (" + unit + ")");
  if (clients) x["axis"] = {{"tickCount", 4}};
  else use_log_scale(x, load_lo, load_hi, kProbePanelWidthPx, true);
  std::map<std::string, json> y_of;
  for (const auto& metric : metrics) y_of[metric] = metric_axis(metric, range[metric].first, range[metric].second);

  std::vector<std::size_t> charted;  // the capacity.csv rows with probes
  for (std::size_t i = 0; i < capacity.csv.rows().size(); ++i) {
    const std::string run = deployment_key(capacity, capacity.csv.rows()[i]);
    if (std::any_of(values.begin(), values.end(), [&](const json& v) { return v["run"] == run; })) charted.push_back(i);
  }
  json rows = json::array();
  for (const std::size_t i : charted) {
    const CsvRow& row = capacity.csv.rows()[i];
    const std::string run = deployment_key(capacity, row);
    const bool first = i == charted.front(), last = i == charted.back();
    json panels = json::array();
    for (const auto& metric : metrics) {
      ProbePanel panel{run, metric, std::nullopt, capacity.value(row, "capacity")};
      if (auto limit = limits.find(metric); limit != limits.end()) panel.limit = limit->second;
      if (capacity.cell(row, "verdict") == "fails at low") panel.capacity.reset();
      panels.push_back(probe_panel(panel, x, y_of[metric], first, last));
    }
    const std::string verdict = capacity.cell(row, "verdict");
    const auto found = capacity.value(row, "capacity");
    std::string title = labels[i] + ": " +
                        (verdict == "fails at low" ? std::string("fails at the lowest load")
                                                   : fmt::format("capacity {} {}", found ? stated(*found) : "?", unit) +
                                                         (verdict == "bracketed" ? "" : " (" + verdict + ")"));
    const std::string probes = capacity.cell(row, "probes");
    title += fmt::format(", {} probe{}", probes, probes == "1" ? "" : "s");
    rows.push_back({{"title", {{"text", title}, {"anchor", "start"}, {"fontSize", 12}}}, {"hconcat", panels}});
  }
  std::string described = settings ? "the red dashed line is its SLO bound" : "no SLO bound to draw (no capacity_spec.csv)";
  section.charts.push_back(
      {"probes", "Bisection probes against the SLOs",
       "capacity_log.csv: every probe of each deployment's bisection, one row of charts per deployment and one chart "
       "per SLO metric: the metric's value at the load probed (grey line in load order), marked as meeting the SLOs, "
       "missing one, or overloaded/backlogged; " + described + ", the dotted vertical line the capacity found. Hover a "
       "probe for its step and why it failed.",
       {{"$schema", kSchema}, {"data", {{"values", values}}}, {"vconcat", rows}, {"spacing", 14},
        {"resolve", {{"scale", {{"color", "shared"}, {"shape", "shared"}}}}}}});
  return section;
}

}  // namespace llmpo::report
