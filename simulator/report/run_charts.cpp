#include "simulator/report/run_charts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "simulator/report/html_page.hpp"

namespace llmpo::report {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxTimeseriesPoints = 600;  // per run, bucket means
constexpr std::size_t kMaxCdfPointsPerFramework = 20000;
constexpr std::size_t kMaxCdfPointsPerCurve = 400;

// The percentile statistics summary.csv has for a metric ("p50", "p99", ...), else "median".
std::vector<std::string> latency_statistics(const CsvTable& summary, const std::string& metric) {
  std::vector<std::string> stats;
  for (const auto& column : summary.header())
    if (column.size() > 1 && column[0] == 'p' && column.ends_with("_" + metric + "_ms")) {
      const std::string stat = column.substr(0, column.size() - metric.size() - 4);
      if (number_in(stat.substr(1))) stats.push_back(stat);
    }
  if (stats.empty()) stats.push_back("median");
  return stats;
}

constexpr int kLatencyPanelHeightPx = 220;
constexpr int kCdfPanelWidthPx = 260;

// The shape and dash of each percentile statistic, in the order summary.csv lists them (p50,
// p90, p95, p99, ...): points a reader tells apart without colour, on a one-run page too.
constexpr std::array<const char*, 6> kStatisticShapes = {"circle", "square", "triangle-up", "diamond", "cross",
                                                         "triangle-down"};
const json kStatisticDashes = json::array({{1, 0}, {6, 3}, {2, 2}, {8, 3, 2, 3}, {4, 4}, {1, 3}});

// The shape or dash scale of the statistics (their legends merge into one, "statistic").
json statistic_scale(const std::string& channel, const std::vector<std::string>& stats) {
  json range = json::array();
  for (std::size_t i = 0; i < stats.size(); ++i)
    range.push_back(channel == "shape" ? json(kStatisticShapes[i % kStatisticShapes.size()])
                                       : kStatisticDashes[i % kStatisticDashes.size()]);
  return {{"field", "statistic"}, {"type", "nominal"}, {"title", "statistic"}, {"scale", {{"domain", stats}, {"range", range}}}};
}

// "p50 circle, p99 diamond": the shapes as the chart description names them.
std::string shapes_named(const std::vector<std::string>& stats) {
  std::string out;
  for (std::size_t i = 0; i < stats.size(); ++i) {
    std::string shape = kStatisticShapes[i % kStatisticShapes.size()];
    std::replace(shape.begin(), shape.end(), '-', ' ');
    out += (i ? ", " : "") + stats[i] + " " + shape;
  }
  return out;
}

// The dash of run i of a per-run colour scale: solid for the first ten (one palette colour
// each), then dashes that tell apart runs sharing a colour.
json run_dash(std::size_t index) {
  const json patterns = json::array({{1, 0}, {6, 3}, {2, 2}, {8, 3, 2, 3}});
  return patterns[(index / kPalette.size()) % patterns.size()];
}

}  // namespace

std::optional<SweptAxis> RunCharts::swept_axis(bool tensor_parallel_first) const {
  const SweptAxis tp{"tensor_parallel_degree", "tensor-parallel degree (GPUs per replica)", "tensor_parallel_degree",
                     "ordinal"};
  const SweptAxis rate{"request_rate_per_s", "request rate (req/s)", "request_rate", "quantitative"};
  const SweptAxis clients{"clients", "concurrency (clients)", "concurrency", "quantitative"};
  std::vector<SweptAxis> order = {rate, clients};
  order.insert(tensor_parallel_first ? order.begin() : order.end(), tp);
  for (const auto& candidate : order)
    if (results_.distinct(candidate.column).size() > 1) return candidate;
  return std::nullopt;
}

bool RunCharts::several_series(const SweptAxis& axis) const {
  std::map<std::string, std::set<std::string>> per_framework;
  for (const auto& run : results_.runs()) per_framework[run.framework].insert(point_without(run.point, axis.sweep_key));
  return std::any_of(per_framework.begin(), per_framework.end(), [](const auto& f) { return f.second.size() > 1; });
}

std::vector<Chart> RunCharts::charts() {
  std::vector<Chart> out;
  out.push_back(latency_chart());
  out.push_back(throughput_chart());
  if (auto cdf = cdf_chart()) out.push_back(std::move(*cdf));
  if (auto series = timeseries_chart()) out.push_back(std::move(*series));
  if (auto prefix = prefix_cache_chart()) out.push_back(std::move(*prefix));
  if (auto pd = pd_timeline_chart()) out.push_back(std::move(*pd));
  if (auto acceptance = acceptance_chart()) out.push_back(std::move(*acceptance));
  return out;
}

std::string RunCharts::line_label(const RunInfo& run, const SweptAxis& axis) const {
  const std::string series = point_without(run.point, axis.sweep_key);
  if (results_.frameworks().size() == 1) return series.empty() ? run.framework : series;
  return series.empty() ? run.framework : run.framework + ", " + series;
}

json RunCharts::line_color(const std::optional<SweptAxis>& axis, bool by_series) const {
  if (!by_series) return framework_color();
  std::vector<std::string> lines;
  for (const auto& run : results_.runs()) add_distinct(lines, line_label(run, *axis));
  return color_by("line", "other swept parameters", lines);
}

json RunCharts::per_run_lines(json x, json y, json tooltip) const {
  json encoding = {{"x", std::move(x)}, {"y", std::move(y)}, {"detail", {{"field", "run"}}}, {"tooltip", std::move(tooltip)}};
  if (!results_.several_runs_per_framework()) {
    encoding["color"] = framework_color();
    return encoding;
  }
  // Several runs of a framework: a colour per run, named in the legend; past the palette's ten
  // colours a dash tells apart the runs that share one (their legends merge: same field, title).
  std::vector<std::string> runs;
  for (const auto& run : results_.runs()) runs.push_back(run.label);
  encoding["color"] = color_by("run", "run", runs);
  if (runs.size() > kPalette.size()) {
    json dashes = json::array();
    for (std::size_t i = 0; i < runs.size(); ++i) dashes.push_back(run_dash(i));
    encoding["strokeDash"] = {{"field", "run"}, {"type", "nominal"}, {"title", "run"},
                              {"scale", {{"domain", runs}, {"range", dashes}}}};
  }
  return encoding;
}

std::optional<Table> RunCharts::optional_table(const char* name, const char* missing_note) {
  const fs::path path = results_.dir() / name;
  if (fs::exists(path)) return Table::read(path);
  notes_.push_back(missing_note);
  return std::nullopt;
}

Chart RunCharts::latency_chart() const {
  const Table& summary = results_.summary();
  // x: the swept request rate or client count, one line per framework (and per value of
  // whatever else the sweep varies); else each run; for a lone run the statistics themselves,
  // so the axis names each one.
  const std::optional<SweptAxis> load = swept_axis(false);
  const bool by_series = load && several_series(*load);
  const bool one_run = !load && results_.runs().size() == 1;
  const std::string x_title = load ? load->title : one_run ? "statistic" : "run";
  json charts = json::array();
  std::vector<std::string> all_stats;
  for (const std::string metric : {"ttft", "tpot", "e2el"}) {
    std::string name = metric;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    const std::vector<std::string> stats = latency_statistics(summary.csv, metric);
    for (const auto& stat : stats) add_distinct(all_stats, stat);
    json values = json::array();
    double lo = 1e300, hi = 0;
    for (const auto& run : results_.runs())
      for (const auto& stat : stats) {
        const auto v = summary.value(*run.row, stat + "_" + metric + "_ms");
        if (!v) continue;
        json point = {{"framework", run.framework}, {"run", run.label}, {"statistic", stat}, {"value", *v}};
        if (one_run) point["x"] = stat;
        else if (!load) point["x"] = run.label;
        else if (auto x = summary.value(*run.row, load->column)) point["x"] = *x;
        else continue;
        if (load) point["series"] = point_without(run.point, load->sweep_key), point["line"] = line_label(run, *load);
        if (results_.has_overload_verdict()) point["overloaded"] = run.overloaded ? "yes: " + run.overload_reason : "no";
        if (*v > 0) lo = std::min(lo, *v), hi = std::max(hi, *v);
        values.push_back(point);
      }
    const bool log = hi > 0 && lo < hi && hi / lo > 50;
    json x = axis("x", load ? load->type : "ordinal", x_title);
    if (one_run) x["sort"] = stats;
    else if (!load) x["sort"] = results_.run_labels();
    if (one_run || (load && load->type == "ordinal")) x["axis"] = {{"labelAngle", 0}};  // short labels: 2, 4, 8; p50, p99
    json y = quantitative("value", name + " (ms)");
    if (log) use_log_scale(y, lo, hi, kLatencyPanelHeightPx, false);
    json tooltip = json::array({tip("framework"), tip("run"), tip("statistic"), tip("value", name + " (ms)", ",.1f")});
    if (results_.has_overload_verdict()) tooltip.push_back(tip("overloaded"));
    json detail = json::array({{{"field", "framework"}}});
    if (by_series) detail.push_back({{"field", "series"}});
    // Lines join a statistic's points along the load (dashed by statistic); the points carry
    // the statistic's shape, which the legend names.
    json layers = json::array();
    if (!one_run)
      layers.push_back({{"mark", {{"type", "line"}, {"strokeWidth", 1.5}}},
                        {"encoding", {{"strokeDash", statistic_scale("strokeDash", stats)}, {"detail", detail}}}});
    layers.push_back({{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}, {"opacity", 1}}},
                      {"encoding", {{"shape", statistic_scale("shape", stats)}, {"tooltip", tooltip}}}});
    charts.push_back({{"title", name + " percentiles" + (log ? " (log scale)" : "")},
                      {"width", 260}, {"height", kLatencyPanelHeightPx},
                      {"data", {{"values", values}}},
                      {"encoding", {{"x", x}, {"y", y}, {"color", line_color(load, by_series)}}},
                      {"layer", layers}});
  }
  return {"latency", load ? "Latency percentiles vs " + x_title : "Latency percentiles per run",
          std::string("TTFT, TPOT and E2EL percentiles of the measured requests (summary.csv): one shape per statistic (") +
              shapes_named(all_stats) +
              (by_series ? "), one colour per framework and value of the other swept parameters, a line per colour and statistic"
                         : one_run ? "), one colour per framework" : "), one colour per framework, a line per framework and statistic") +
              ". Log axes label powers of ten or 1-2-5 steps only.",
          {{"$schema", kSchema}, {"hconcat", charts},
           {"resolve", {{"scale", {{"color", "shared"}, {"shape", "shared"}, {"strokeDash", "shared"}}}}}}};
}

Chart RunCharts::throughput_chart() const {
  const Table& summary = results_.summary();
  // x: the swept TP degree, else the swept request rate or client count (the saturation curve),
  // one line per framework and value of the other swept parameters; else one bar per run.
  const std::optional<SweptAxis> sweep = swept_axis(true);
  const bool by_series = sweep && several_series(*sweep);
  json values = json::array();
  for (const auto& run : results_.runs()) {
    const auto out_tps = summary.value(*run.row, "output_throughput_tok_per_s");
    const auto gpus = summary.value(*run.row, "num_gpus");
    json point = {{"framework", run.framework}, {"run", run.label}};
    if (sweep) {
      const auto x = summary.value(*run.row, sweep->column);
      if (!x) continue;
      point["x"] = *x;
      point["series"] = point_without(run.point, sweep->sweep_key);
      point["line"] = line_label(run, *sweep);
    } else {
      point["x"] = run.label;
    }
    point["output_tok_s"] = out_tps.value_or(0);
    point["output_tok_s_gpu"] = out_tps && gpus && *gpus > 0 ? *out_tps / *gpus : 0;
    point["request_s"] = summary.value(*run.row, "request_throughput_req_per_s").value_or(0);
    point["goodput_s"] = summary.value(*run.row, "goodput_req_per_s").value_or(0);
    point["gpus"] = gpus.value_or(0);
    values.push_back(point);
  }
  json x = sweep ? axis("x", sweep->type, sweep->title) : axis("x", "nominal", "run");
  if (!sweep) x["sort"] = results_.run_labels();
  if (sweep && sweep->type == "ordinal") x["axis"] = {{"labelAngle", 0}};
  const std::array<std::pair<const char*, const char*>, 4> measures = {{{"output_tok_s", "output throughput (tok/s)"},
                                                                       {"output_tok_s_gpu", "output throughput per GPU (tok/s)"},
                                                                       {"request_s", "request throughput (req/s)"},
                                                                       {"goodput_s", "goodput (req/s)"}}};
  json charts = json::array();
  for (const auto& [field, title] : measures) {
    json encoding = {{"x", x}, {"y", quantitative(field, title)}, {"color", line_color(sweep, by_series)},
                     {"tooltip", json::array({tip("framework"), tip("run"), tip("gpus", "GPUs"), tip(field, title, ",.2f")})}};
    json mark = sweep ? json{{"type", "line"}, {"point", true}} : json{{"type", "bar"}};
    if (!sweep) encoding["xOffset"] = {{"field", "framework"}};
    if (by_series) encoding["detail"] = {{"field", "line"}};
    charts.push_back({{"width", 200}, {"height", 200}, {"mark", mark}, {"encoding", encoding}});
  }
  return {"throughput", sweep ? "Throughput vs " + sweep->title.substr(0, sweep->title.find(" (")) : "Throughput per run",
          "Measured output tokens and requests per second (summary.csv); goodput counts requests meeting their SLO.",
          {{"$schema", kSchema}, {"data", {{"values", values}}}, {"hconcat", charts}}};
}

std::optional<Chart> RunCharts::cdf_chart() {
  const auto requests = optional_table("requests.csv", "No requests.csv (the run used --no-requests): no latency CDFs.");
  if (!requests) return std::nullopt;
  const std::size_t run_col = requests->csv.column("run", "requests.csv");
  const auto outcome_col = requests->csv.find("outcome");
  const std::array<std::pair<const char*, const char*>, 3> metrics = {{{"ttft_ms", "TTFT"}, {"tpot_ms", "TPOT"}, {"e2el_ms", "E2EL"}}};
  std::map<int64_t, std::array<std::vector<double>, 3>> samples;
  for (const auto& row : requests->csv.rows()) {
    if (outcome_col && row.cells[*outcome_col] != "completed") continue;
    const auto run = number_in(row.cells[run_col]);
    if (!run) continue;
    auto& per_run = samples[static_cast<int64_t>(*run)];
    for (std::size_t m = 0; m < metrics.size(); ++m)
      if (auto v = requests->value(row, metrics[m].first); v && *v > 0) per_run[m].push_back(*v);
  }
  std::map<std::string, std::size_t> runs_of;
  for (const auto& run : results_.runs()) ++runs_of[run.framework];
  std::array<json, 3> values = {json::array(), json::array(), json::array()};
  for (const auto& run : results_.runs()) {
    auto found = samples.find(run.run);
    if (found == samples.end()) continue;
    // At most kMaxCdfPointsPerFramework points per framework: evenly spaced order statistics.
    const std::size_t budget =
        std::max<std::size_t>(20, std::min(kMaxCdfPointsPerCurve, kMaxCdfPointsPerFramework / (3 * runs_of[run.framework])));
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      auto& v = found->second[m];
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      const std::size_t n = v.size(), k = std::min(n, budget);
      for (std::size_t i = 0; i < k; ++i) {
        const std::size_t idx = k == 1 ? n - 1 : static_cast<std::size_t>(std::llround(static_cast<double>(i) * static_cast<double>(n - 1) / static_cast<double>(k - 1)));
        values[m].push_back({{"framework", run.framework}, {"run", run.label}, {"value", v[idx]},
                             {"fraction", static_cast<double>(idx + 1) / static_cast<double>(n)}});
      }
    }
  }
  json charts = json::array();
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    if (values[m].empty()) continue;
    const std::string title = std::string(metrics[m].second) + " (ms, log scale)";
    json x = quantitative("value", title);
    double lo = 1e300, hi = 0;
    for (const auto& point : values[m]) lo = std::min(lo, point["value"].get<double>()), hi = std::max(hi, point["value"].get<double>());
    use_log_scale(x, lo, hi, kCdfPanelWidthPx, true);
    json y = quantitative("fraction", "fraction of completed requests");
    y["scale"] = {{"domain", {0, 1}}};
    charts.push_back({{"title", std::string(metrics[m].second) + " CDF"}, {"width", kCdfPanelWidthPx}, {"height", 220},
                      {"data", {{"values", values[m]}}},
                      {"mark", {{"type", "line"}, {"interpolate", "step-after"}}},
                      {"encoding", per_run_lines(x, y, json::array({tip("run"), tip("value", title, ",.1f"),
                                                                   tip("fraction", "", ".3f")}))}});
  }
  if (charts.empty()) {
    notes_.push_back("requests.csv has no completed requests: no latency CDFs.");
    return std::nullopt;
  }
  return Chart{"cdf", "Latency distributions (CDF)",
               fmt::format("Empirical CDFs over every completed request of requests.csv (warm-up and cool-down "
                           "included); at most {} evenly spaced order statistics per curve; {}.",
                           kMaxCdfPointsPerCurve,
                           results_.several_runs_per_framework() ? "one colour per run, named in the legend"
                                                                 : "one colour per framework"),
               {{"$schema", kSchema}, {"hconcat", charts}}};
}

std::optional<Chart> RunCharts::timeseries_chart() {
  const auto series = optional_table("timeseries.csv", "No timeseries.csv: no time series.");
  if (!series) return std::nullopt;
  const auto cols = series->csv.column_list({"run", "t_s", "running", "waiting", "kv_utilization", "output_tokens_per_s"},
                                            "the time-series chart");
  std::map<int64_t, std::vector<std::array<double, 5>>> rows;
  for (const auto& row : series->csv.rows()) {
    const auto run = number_in(row.cells[cols[0]]);
    if (!run) continue;
    std::array<double, 5> r{};
    for (std::size_t i = 0; i < 5; ++i) r[i] = number_in(row.cells[cols[i + 1]]).value_or(0);
    rows[static_cast<int64_t>(*run)].push_back(r);
  }
  // (field, column title, short axis title); KV use in percent.
  const std::array<std::array<const char*, 3>, 4> measures = {{{"running", "running sequences", "running"},
                                                               {"waiting", "waiting sequences", "waiting"},
                                                               {"kv", "KV cache in use (%)", "KV (%)"},
                                                               {"tok", "output throughput (tok/s)", "tok/s"}}};
  json values = json::array();
  std::array<double, 4> highest{};  // per measure, over every run: the shared y scale of its column
  std::vector<const RunInfo*> drawn;
  for (const auto& run : results_.runs()) {
    auto found = rows.find(run.run);
    if (found == rows.end()) continue;
    drawn.push_back(&run);
    const auto& r = found->second;
    const std::size_t bucket = (r.size() + kMaxTimeseriesPoints - 1) / kMaxTimeseriesPoints;
    for (std::size_t start = 0; start < r.size(); start += bucket) {
      const std::size_t end = std::min(r.size(), start + bucket);
      std::array<double, 5> mean{};
      for (std::size_t i = start; i < end; ++i)
        for (std::size_t c = 1; c < 5; ++c) mean[c] += r[i][c];
      const double n = static_cast<double>(end - start);
      const std::array<double, 4> point = {mean[1] / n, mean[2] / n, 100 * mean[3] / n, mean[4] / n};
      json value = {{"framework", run.framework}, {"run", run.label}, {"t", r[start][0]}};
      for (std::size_t m = 0; m < measures.size(); ++m) {
        value[measures[m][0]] = point[m];
        highest[m] = std::max(highest[m], point[m]);
      }
      values.push_back(value);
    }
  }
  if (values.empty()) return std::nullopt;
  // Small multiples: a row of four small charts per run, so that eight or twenty runs stay as
  // readable as two (overlaid, the lines of one framework's runs could only differ by dashes).
  // The y scale of a column is shared by every run; each row has its own time axis, as runs of
  // one sweep can last minutes or hours.
  json run_rows = json::array();
  for (std::size_t r = 0; r < drawn.size(); ++r) {
    const RunInfo& run = *drawn[r];
    const bool first = r == 0, last = r + 1 == drawn.size();
    json panels = json::array();
    for (std::size_t m = 0; m < measures.size(); ++m) {
      const std::string field = measures[m][0];
      json y = quantitative(field, measures[m][2]);
      y["scale"] = {{"domain", {0, field == "kv" ? 100.0 : std::max(highest[m], 1.0)}}};
      y["axis"] = {{"tickCount", 3}};
      json x = quantitative("t", "simulated time (s)");
      x["axis"] = {{"tickCount", 5}, {"title", last ? json("simulated time (s)") : json(nullptr)}};
      // Drag or scroll to zoom a panel's time axis: an overloaded run draining its queue for
      // hours otherwise hides its first minutes.
      const json zoom = json::array({{{"name", fmt::format("zoom_{}_{}", r, field)},
                                      {"select", {{"type", "interval"}, {"encodings", {"x"}}}},
                                      {"bind", "scales"}}});
      json panel = {{"width", 230}, {"height", 70}, {"params", zoom},
                    {"transform", json::array({{{"filter", {{"field", "run"}, {"equal", run.label}}}}})},
                    {"mark", {{"type", "line"}, {"strokeWidth", 1.2}}},
                    {"encoding", {{"x", x}, {"y", y}, {"color", color_by("framework", "framework", results_.frameworks(), false)},
                                  {"tooltip", json::array({tip("run"), tip("t", "time (s)", ",.0f"),
                                                           tip(field, measures[m][1], ",.2f")})}}}};
      if (first) panel["title"] = measures[m][1];
      panels.push_back(panel);
    }
    std::string title = run.label;
    if (run.label.find(run.framework) == std::string::npos) title += " (" + run.framework + ")";
    if (run.overloaded) title += " - overloaded";
    run_rows.push_back({{"title", {{"text", title}, {"anchor", "start"}, {"fontSize", 12},
                                   {"color", run.overloaded ? "#c62828" : "#222"}}},
                        {"hconcat", panels}});
  }
  return Chart{"timeseries", "Running, waiting, KV use and throughput over time",
               fmt::format("timeseries.csv, one row per run (its label above it), summed over replicas (KV use: mean "
                           "over replicas). Each column shares its y scale across runs; each row has its own time axis. "
                           "Long runs are shown as means over buckets of consecutive intervals (at most {} points per "
                           "run). Drag or scroll on a chart to zoom its time axis; double-click to reset.",
                           kMaxTimeseriesPoints),
               {{"$schema", kSchema}, {"data", {{"values", values}}}, {"vconcat", run_rows}, {"spacing", 14}}};
}

std::string RunCharts::table_html() const {
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"run", "run"}, {"framework", "framework"}, {"point", "point"}, {"model", "model"}, {"gpu", "GPU"},
      {"num_gpus", "GPUs"}, {"tensor_parallel_degree", "TP"}, {"pipeline_parallel_degree", "PP"},
      {"request_rate_per_s", "rate (req/s)"}, {"clients", "clients"}, {"completed_requests", "completed"},
      {"output_throughput_tok_per_s", "output (tok/s)"}, {"p99_ttft_ms", "p99 TTFT (ms)"},
      {"p99_tpot_ms", "p99 TPOT (ms)"}, {"slo_attainment", "SLO attainment"}, {"preemptions", "preemptions"}};
  std::vector<const CsvRow*> rows;
  for (const auto& run : results_.runs()) rows.push_back(run.row);
  // The saturation verdict, where summary.csv has it: a red badge on each overloaded run.
  std::vector<ExtraColumn> extra;
  // The prefix cache hit rate, only on pages where a run queried the prefix cache.
  const Table& summary = results_.summary();
  if (std::any_of(rows.begin(), rows.end(), [&](const CsvRow* row) {
        return summary.value(*row, "prefix_query_tokens").value_or(0) > 0;
      }))
    extra.push_back({"prefix hit rate", [&](const CsvRow& row) {
                       const auto rate = summary.value(row, "prefix_cache_hit_rate");
                       return TableCell(rate ? fmt::format("{:.1f}%", 100 * *rate) : "-");
                     }});
  if (results_.has_overload_verdict())
    extra.push_back({"saturation", [&](const CsvRow& row) {
                       const auto run = std::find_if(results_.runs().begin(), results_.runs().end(),
                                                     [&](const RunInfo& r) { return r.row == &row; });
                       TableCell cell = html_cell(run->overloaded ? overloaded_badge_html(run->overload_reason) : "");
                       cell.style = "text-align:left";
                       return cell;
                     }});
  return csv_table_html(
      results_.summary(), columns, rows,
      [&](const CsvRow& row, const std::string& column) {
        if (column != "framework") return std::string();
        const std::string framework = results_.summary().cell(row, "framework");
        return fmt::format("border-left:6px solid {}", palette_color(results_.framework_index(framework)));
      },
      extra);
}

}  // namespace llmpo::report
