// `llmperforacle report RESULTS_DIR`: one self-contained HTML file with the charts of a results
// folder (the four files `run` writes), drawn by Vega-Lite. The vega, vega-lite and vega-embed
// bundles are inlined from simulator/report/node_modules (pinned by its package-lock.json,
// installed by ./dev.sh), so the page opens offline. The per-operator step breakdown and the
// memory breakdown are recomputed here from each run's model, GPU and parallelism in
// manifest.json, with the same cost model and memory planner the simulation used.
// `--export-svg DIR` renders the page in headless Chromium and saves one SVG per chart.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hardware/cost_model.hpp"
#include "models/memory_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/csv_table.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"
#include "args.hpp"

namespace llmpo {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
// Tableau 10: one colour per framework, in order of first appearance in summary.csv.
const std::array<const char*, 10> kPalette = {"#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                                              "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"};
constexpr int64_t kPrefillTokens = 512;
constexpr std::size_t kMaxTimeseriesPoints = 600;  // per run, bucket means
constexpr std::size_t kMaxCdfPointsPerFramework = 20000;
constexpr std::size_t kMaxCdfPointsPerCurve = 400;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path.string(), 0, 0}, "", "cannot read the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<double> number_in(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A table read by column name; missing columns read as empty cells.
struct Table {
  CsvTable csv;
  std::string cell(const CsvRow& row, const std::string& column) const {
    const auto index = csv.find(column);
    return index ? row.cells[*index] : std::string();
  }
  std::optional<double> value(const CsvRow& row, const std::string& column) const {
    return number_in(cell(row, column));
  }
};

struct RunInfo {
  int64_t run = 0;
  std::string framework;
  std::string label;  // the x value of per-run charts: the point (shortened) or the framework
  const CsvRow* row = nullptr;
  json manifest;  // its entry of manifest.json's runs (may be null)
};

std::string shorten_point(std::string point) {
  const std::pair<const char*, const char*> names[] = {{"tensor_parallel_degree", "TP"},
                                                       {"pipeline_parallel_degree", "PP"},
                                                       {"num_replicas", "replicas"},
                                                       {"request_rate", "rate"}};
  for (const auto& [from, to] : names)
    for (std::size_t at = point.find(from); at != std::string::npos; at = point.find(from, at))
      point.replace(at, std::string(from).size(), to);
  for (char& c : point)
    if (c == '=') c = ' ';
  return point;
}

std::string json_for_script(const json& value) {
  std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Chart {
  std::string id;
  std::string title;
  std::string description;
  json spec;
};

class ReportBuilder {
 public:
  explicit ReportBuilder(const fs::path& dir) : dir_(dir) {
    if (!fs::is_directory(dir)) throw InputError({dir.string(), 0, 0}, "", "not a folder (expected the --out folder of `run`)");
    for (const char* name : {"summary.csv", "manifest.json"})
      if (!fs::exists(dir / name))
        throw InputError({(dir / name).string(), 0, 0}, "", "missing: a results folder of `llmperforacle run` has summary.csv and manifest.json");
    summary_.csv = CsvTable::read((dir / "summary.csv").string());
    try {
      manifest_ = json::parse(read_text(dir / "manifest.json"));
    } catch (const json::exception& error) {
      throw InputError({(dir / "manifest.json").string(), 0, 0}, "", std::string("not valid JSON: ") + error.what());
    }
    load_runs();
  }

  std::vector<Chart> charts() {
    std::vector<Chart> out;
    out.push_back(latency_chart());
    out.push_back(throughput_chart());
    if (auto cdf = cdf_chart()) out.push_back(std::move(*cdf));
    if (auto series = timeseries_chart()) out.push_back(std::move(*series));
    if (auto ops = operator_chart()) out.push_back(std::move(*ops));
    if (auto memory = memory_chart()) out.push_back(std::move(*memory));
    return out;
  }

  const std::vector<std::string>& notes() const { return notes_; }
  const json& manifest() const { return manifest_; }
  std::string run_table_html() const;

 private:
  void load_runs();
  json color(bool with_legend = true) const {
    json range = json::array();
    for (std::size_t i = 0; i < frameworks_.size(); ++i) range.push_back(kPalette[i % kPalette.size()]);
    json enc = {{"field", "framework"}, {"type", "nominal"}, {"title", "framework"},
                {"scale", {{"domain", frameworks_}, {"range", range}}}};
    if (!with_legend) enc["legend"] = nullptr;
    return enc;
  }
  json run_dash() const {  // distinguishes the runs of one framework
    json labels = json::array();
    for (const auto& run : runs_) labels.push_back(run.label);
    return {{"field", "run"}, {"type", "nominal"}, {"title", "run"}, {"sort", labels}};
  }
  bool several_runs_per_framework() const { return runs_.size() > frameworks_.size(); }
  std::vector<std::string> distinct(const std::string& column) const {
    std::vector<std::string> values;
    for (const auto& run : runs_) {
      const std::string v = summary_.cell(*run.row, column);
      if (!v.empty() && std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    }
    return values;
  }

  Chart latency_chart();
  Chart throughput_chart();
  std::optional<Chart> cdf_chart();
  std::optional<Chart> timeseries_chart();
  std::optional<Chart> operator_chart();
  std::optional<Chart> memory_chart();

  fs::path dir_;
  Table summary_;
  json manifest_;
  std::vector<RunInfo> runs_;
  std::vector<std::string> frameworks_;
  std::vector<std::string> notes_;
  std::optional<Libraries> libraries_;
};

void ReportBuilder::load_runs() {
  const std::size_t run_col = summary_.csv.column("run", "summary.csv");
  const std::size_t framework_col = summary_.csv.column("framework", "summary.csv");
  const auto point_col = summary_.csv.find("point");
  const json manifest_runs = manifest_.value("runs", json::array());
  for (const auto& row : summary_.csv.rows()) {
    RunInfo info;
    const auto index = number_in(row.cells[run_col]);
    if (!index) throw InputError({summary_.csv.path(), row.line, 0}, "run", "'" + row.cells[run_col] + "' is not a run index");
    info.run = static_cast<int64_t>(*index);
    info.framework = row.cells[framework_col];
    info.row = &row;
    for (const auto& entry : manifest_runs)
      if (entry.value("run", int64_t{-1}) == info.run) info.manifest = entry;
    const std::string point = point_col ? row.cells[*point_col] : std::string();
    info.label = point.empty() ? info.framework : shorten_point(point);
    if (std::find(frameworks_.begin(), frameworks_.end(), info.framework) == frameworks_.end())
      frameworks_.push_back(info.framework);
    runs_.push_back(std::move(info));
  }
  // Several frameworks per point: the label names the framework too, so labels stay unique.
  std::set<std::string> seen;
  bool unique = true;
  for (const auto& run : runs_) unique = seen.insert(run.label).second && unique;
  if (!unique)
    for (auto& run : runs_)
      if (run.label != run.framework) run.label = run.framework + " " + run.label;
}

Chart ReportBuilder::latency_chart() {
  // x: the swept request rate or client count; else each run.
  std::string x_column, x_title, x_type = "quantitative";
  if (distinct("request_rate_per_s").size() > 1) {
    x_column = "request_rate_per_s";
    x_title = "request rate (req/s)";
  } else if (distinct("clients").size() > 1) {
    x_column = "clients";
    x_title = "concurrency (clients)";
  } else {
    x_type = "ordinal";
    x_title = "run";
  }
  json x_sort = json::array();
  for (const auto& run : runs_) x_sort.push_back(run.label);
  json charts = json::array();
  const std::pair<const char*, const char*> metrics[] = {{"ttft", "TTFT"}, {"tpot", "TPOT"}, {"e2el", "E2EL"}};
  for (const auto& [metric, name] : metrics) {
    std::vector<std::string> stats;
    for (const auto& column : summary_.csv.header())
      if (column.size() > 1 && column[0] == 'p' && column.ends_with(std::string("_") + metric + "_ms")) {
        const std::string stat = column.substr(0, column.size() - std::string(metric).size() - 4);
        if (number_in(stat.substr(1))) stats.push_back(stat);
      }
    if (stats.empty()) stats.push_back("median");
    json values = json::array();
    double lo = 1e300, hi = 0;
    for (const auto& run : runs_)
      for (const auto& stat : stats) {
        const auto v = summary_.value(*run.row, stat + "_" + metric + "_ms");
        if (!v) continue;
        json point = {{"framework", run.framework}, {"run", run.label}, {"statistic", stat}, {"value", *v}};
        if (x_column.empty()) point["x"] = run.label;
        else if (auto x = summary_.value(*run.row, x_column)) point["x"] = *x;
        else continue;
        if (*v > 0) lo = std::min(lo, *v), hi = std::max(hi, *v);
        values.push_back(point);
      }
    const bool log = hi > 0 && lo < hi && hi / lo > 50;
    json x = {{"field", "x"}, {"type", x_type}, {"title", x_title}};
    if (x_column.empty()) x["sort"] = x_sort;
    json y = {{"field", "value"}, {"type", "quantitative"}, {"title", std::string(name) + " (ms)"}};
    if (log) y["scale"] = {{"type", "log"}};
    json tooltip = json::array({{{"field", "framework"}}, {{"field", "run"}}, {{"field", "statistic"}},
                                {{"field", "value"}, {"title", std::string(name) + " (ms)"}, {"format", ",.1f"}}});
    charts.push_back({{"title", std::string(name) + " percentiles" + (log ? " (log scale)" : "")},
                      {"width", 260}, {"height", 220},
                      {"data", {{"values", values}}},
                      {"mark", {{"type", "line"}, {"point", true}}},
                      {"encoding", {{"x", x}, {"y", y}, {"color", color()},
                                    {"strokeDash", {{"field", "statistic"}, {"type", "nominal"}, {"title", "statistic"},
                                                    {"sort", stats}}},
                                    {"detail", {{"field", "framework"}}},
                                    {"tooltip", tooltip}}}});
  }
  Chart chart;
  chart.id = "latency";
  chart.title = x_column.empty() ? "Latency percentiles per run" : "Latency percentiles vs " + x_title;
  chart.description = "TTFT, TPOT and E2EL percentiles of the measured requests (summary.csv), one line per "
                      "framework and statistic.";
  chart.spec = {{"$schema", kSchema}, {"hconcat", charts}, {"resolve", {{"scale", {{"color", "shared"}}}}}};
  return chart;
}

Chart ReportBuilder::throughput_chart() {
  const bool by_tp = distinct("tensor_parallel_degree").size() > 1;
  json x_sort = json::array();
  for (const auto& run : runs_) x_sort.push_back(run.label);
  json values = json::array();
  for (const auto& run : runs_) {
    const auto out_tps = summary_.value(*run.row, "output_throughput_tok_per_s");
    const auto gpus = summary_.value(*run.row, "num_gpus");
    json point = {{"framework", run.framework}, {"run", run.label}};
    if (by_tp) {
      const auto tp = summary_.value(*run.row, "tensor_parallel_degree");
      if (!tp) continue;
      point["x"] = *tp;
    } else {
      point["x"] = run.label;
    }
    point["output_tok_s"] = out_tps.value_or(0);
    point["output_tok_s_gpu"] = out_tps && gpus && *gpus > 0 ? *out_tps / *gpus : 0;
    point["request_s"] = summary_.value(*run.row, "request_throughput_req_per_s").value_or(0);
    point["goodput_s"] = summary_.value(*run.row, "goodput_req_per_s").value_or(0);
    point["gpus"] = gpus.value_or(0);
    values.push_back(point);
  }
  json x = by_tp ? json{{"field", "x"}, {"type", "ordinal"}, {"title", "tensor-parallel degree (GPUs per replica)"}}
                 : json{{"field", "x"}, {"type", "nominal"}, {"title", "run"}, {"sort", x_sort}};
  const std::array<std::pair<const char*, const char*>, 4> measures = {{{"output_tok_s", "output throughput (tok/s)"},
                                                                       {"output_tok_s_gpu", "output throughput per GPU (tok/s)"},
                                                                       {"request_s", "request throughput (req/s)"},
                                                                       {"goodput_s", "goodput (req/s)"}}};
  json charts = json::array();
  for (const auto& [field, title] : measures) {
    json encoding = {{"x", x}, {"y", {{"field", field}, {"type", "quantitative"}, {"title", title}}}, {"color", color()},
                     {"tooltip", json::array({{{"field", "framework"}}, {{"field", "run"}}, {{"field", "gpus"}, {"title", "GPUs"}},
                                              {{"field", field}, {"title", title}, {"format", ",.2f"}}})}};
    json mark = by_tp ? json{{"type", "line"}, {"point", true}} : json{{"type", "bar"}};
    if (!by_tp) encoding["xOffset"] = {{"field", "framework"}};
    charts.push_back({{"width", 200}, {"height", 200}, {"mark", mark}, {"encoding", encoding}});
  }
  Chart chart;
  chart.id = "throughput";
  chart.title = by_tp ? "Throughput vs tensor-parallel degree" : "Throughput per run";
  chart.description = "Measured output tokens and requests per second (summary.csv); goodput counts requests "
                      "meeting their SLO.";
  chart.spec = {{"$schema", kSchema}, {"data", {{"values", values}}}, {"hconcat", charts}};
  return chart;
}

std::optional<Chart> ReportBuilder::cdf_chart() {
  const fs::path path = dir_ / "requests.csv";
  if (!fs::exists(path)) {
    notes_.push_back("No requests.csv (the run used --no-requests): no latency CDFs.");
    return std::nullopt;
  }
  Table requests{CsvTable::read(path.string())};
  const std::size_t run_col = requests.csv.column("run", "requests.csv");
  const auto outcome_col = requests.csv.find("outcome");
  const std::array<std::pair<const char*, const char*>, 3> metrics = {{{"ttft_ms", "TTFT"}, {"tpot_ms", "TPOT"}, {"e2el_ms", "E2EL"}}};
  std::map<int64_t, std::array<std::vector<double>, 3>> samples;
  for (const auto& row : requests.csv.rows()) {
    if (outcome_col && row.cells[*outcome_col] != "completed") continue;
    const auto run = number_in(row.cells[run_col]);
    if (!run) continue;
    auto& per_run = samples[static_cast<int64_t>(*run)];
    for (std::size_t m = 0; m < metrics.size(); ++m)
      if (auto v = requests.value(row, metrics[m].first); v && *v > 0) per_run[m].push_back(*v);
  }
  std::map<std::string, std::size_t> runs_of;
  for (const auto& run : runs_) ++runs_of[run.framework];
  std::array<json, 3> values = {json::array(), json::array(), json::array()};
  for (const auto& run : runs_) {
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
    json encoding = {{"x", {{"field", "value"}, {"type", "quantitative"}, {"title", title}, {"scale", {{"type", "log"}}}}},
                     {"y", {{"field", "fraction"}, {"type", "quantitative"}, {"title", "fraction of completed requests"},
                            {"scale", {{"domain", {0, 1}}}}}},
                     {"color", color()}, {"detail", {{"field", "run"}}},
                     {"tooltip", json::array({{{"field", "run"}}, {{"field", "value"}, {"title", title}, {"format", ",.1f"}},
                                              {{"field", "fraction"}, {"format", ".3f"}}})}};
    if (several_runs_per_framework()) encoding["strokeDash"] = run_dash();
    charts.push_back({{"title", std::string(metrics[m].second) + " CDF"}, {"width", 260}, {"height", 220},
                      {"data", {{"values", values[m]}}},
                      {"mark", {{"type", "line"}, {"interpolate", "step-after"}}}, {"encoding", encoding}});
  }
  if (charts.empty()) {
    notes_.push_back("requests.csv has no completed requests: no latency CDFs.");
    return std::nullopt;
  }
  Chart chart;
  chart.id = "cdf";
  chart.title = "Latency distributions (CDF)";
  chart.description = fmt::format("Empirical CDFs over every completed request of requests.csv (warm-up and "
                                  "cool-down included); at most {} evenly spaced order statistics per curve.",
                                  kMaxCdfPointsPerCurve);
  chart.spec = {{"$schema", kSchema}, {"hconcat", charts}};
  return chart;
}

std::optional<Chart> ReportBuilder::timeseries_chart() {
  const fs::path path = dir_ / "timeseries.csv";
  if (!fs::exists(path)) {
    notes_.push_back("No timeseries.csv: no time series.");
    return std::nullopt;
  }
  Table series{CsvTable::read(path.string())};
  const auto cols = series.csv.column_list({"run", "t_s", "running", "waiting", "kv_utilization", "output_tokens_per_s"},
                                           "the time-series chart");
  std::map<int64_t, std::vector<std::array<double, 5>>> rows;
  for (const auto& row : series.csv.rows()) {
    const auto run = number_in(row.cells[cols[0]]);
    if (!run) continue;
    std::array<double, 5> r{};
    for (std::size_t i = 0; i < 5; ++i) r[i] = number_in(row.cells[cols[i + 1]]).value_or(0);
    rows[static_cast<int64_t>(*run)].push_back(r);
  }
  json values = json::array();
  for (const auto& run : runs_) {
    auto found = rows.find(run.run);
    if (found == rows.end()) continue;
    const auto& r = found->second;
    const std::size_t bucket = (r.size() + kMaxTimeseriesPoints - 1) / kMaxTimeseriesPoints;
    for (std::size_t start = 0; start < r.size(); start += bucket) {
      const std::size_t end = std::min(r.size(), start + bucket);
      std::array<double, 5> mean{};
      for (std::size_t i = start; i < end; ++i)
        for (std::size_t c = 1; c < 5; ++c) mean[c] += r[i][c];
      const double n = static_cast<double>(end - start);
      values.push_back({{"framework", run.framework}, {"run", run.label}, {"t", r[start][0]},
                        {"running", mean[1] / n}, {"waiting", mean[2] / n}, {"kv", 100 * mean[3] / n},
                        {"tok", mean[4] / n}});
    }
  }
  if (values.empty()) return std::nullopt;
  const std::array<std::pair<const char*, const char*>, 4> measures = {{{"running", "running sequences"},
                                                                       {"waiting", "waiting sequences"},
                                                                       {"kv", "KV cache in use (%)"},
                                                                       {"tok", "output throughput (tok/s)"}}};
  json charts = json::array();
  for (const auto& [field, title] : measures) {
    json encoding = {{"x", {{"field", "t"}, {"type", "quantitative"}, {"title", "simulated time (s)"}}},
                     {"y", {{"field", field}, {"type", "quantitative"}, {"title", title}}},
                     {"color", color()}, {"detail", {{"field", "run"}}},
                     {"tooltip", json::array({{{"field", "run"}}, {{"field", "t"}, {"title", "time (s)"}, {"format", ",.0f"}},
                                              {{"field", field}, {"title", title}, {"format", ",.2f"}}})}};
    if (several_runs_per_framework()) encoding["strokeDash"] = run_dash();
    if (std::string(field) == "kv") encoding["y"]["scale"] = {{"domain", {0, 100}}};
    charts.push_back({{"width", 900}, {"height", 130}, {"mark", {{"type", "line"}, {"strokeWidth", 1.2}}},
                      {"encoding", encoding}});
  }
  Chart chart;
  chart.id = "timeseries";
  chart.title = "Running, waiting, KV use and throughput over time";
  chart.description = fmt::format("timeseries.csv, summed over replicas (KV use: mean over replicas); long runs are "
                                  "shown as means over buckets of consecutive intervals (at most {} points per run).",
                                  kMaxTimeseriesPoints);
  chart.spec = {{"$schema", kSchema}, {"data", {{"values", values}}}, {"vconcat", charts}};
  return chart;
}

// What a run's manifest entry says about its hardware, loaded from the libraries.
struct Deployment {
  ModelSpec model;
  GpuSpec gpu;
  ParallelConfig parallel;
  json framework;
  json kv;
  const InterconnectSpec* intra = nullptr;
  const InterconnectSpec* inter = nullptr;
};

Deployment deployment_of(const RunInfo& run, const Libraries& libraries) {
  const json& m = run.manifest;
  if (m.is_null()) throw InputError("not in manifest.json");
  Deployment d;
  const json& model = m.at("model");
  const std::string model_source = model.value("source", "");
  d.model = resolve_model(!model_source.empty() && fs::exists(model_source) ? model_source : model.at("id").get<std::string>(),
                          libraries.models);
  const json& gpu = m.at("gpu");
  const std::string gpu_source = gpu.value("source", "");
  d.gpu = resolve_gpu(!gpu_source.empty() && fs::exists(gpu_source) ? gpu_source : gpu.at("id").get<std::string>(),
                      libraries.gpus);
  if (gpu.contains("memory_bytes")) d.gpu.memory_bytes = gpu.at("memory_bytes").get<double>();
  if (gpu.contains("memory_bandwidth_bytes_per_s"))
    d.gpu.memory_bandwidth_bytes_per_s = gpu.at("memory_bandwidth_bytes_per_s").get<double>();
  if (gpu.contains("interconnect")) d.intra = &libraries.interconnects.find(gpu.at("interconnect").get<std::string>());
  if (gpu.contains("inter_node")) d.inter = &libraries.interconnects.find(gpu.at("inter_node").get<std::string>());
  d.parallel = {m.value("tensor_parallel_degree", int64_t{1}), m.value("pipeline_parallel_degree", int64_t{1})};
  d.framework = m.value("framework", json::object());
  d.kv = m.value("kv_cache", json::object());
  return d;
}

std::string setting(const json& framework, const char* key, const std::string& fallback) {
  auto found = framework.find(key);
  return found != framework.end() && found->is_string() ? found->get<std::string>() : fallback;
}

std::optional<Chart> ReportBuilder::operator_chart() {
  if (!libraries_) libraries_ = Libraries::load();
  json values = json::array();
  std::vector<std::string> op_order;
  json run_sort = json::array();
  for (const auto& run : runs_) {
    try {
      const Deployment d = deployment_of(run, *libraries_);
      CostModelOptions options;
      options.parallel = d.parallel;
      options.quantization = setting(d.framework, "quantization", "none");
      options.kv_cache_dtype = setting(d.framework, "kv_cache_dtype", "auto");
      options.accounting = Accounting::corrected;
      options.intra_node = d.intra;
      options.inter_node = d.inter;
      const CostModel cost(d.model, d.gpu, options);
      const double mean_batch = summary_.value(*run.row, "mean_batch_size_seqs").value_or(1);
      const double mean_prompt = summary_.value(*run.row, "mean_prompt_tokens").value_or(kPrefillTokens);
      const double mean_output = summary_.value(*run.row, "mean_output_tokens").value_or(0);
      const int64_t batch = std::max<int64_t>(1, std::llround(mean_batch));
      const int64_t context = std::max<int64_t>(1, std::llround(mean_prompt + mean_output / 2));
      struct StepCase {
        std::string name;
        StepShape shape;
        std::string shape_text;
      };
      std::vector<StepCase> steps;
      steps.push_back({"prefill", cost.empty_shape(), fmt::format("1 prompt of {} tokens", kPrefillTokens)});
      steps.back().shape.add_sequence(0, kPrefillTokens);
      steps.push_back({"decode", cost.empty_shape(), fmt::format("{} seqs x 1 token, {} cached", batch, context)});
      for (int64_t i = 0; i < batch; ++i) steps.back().shape.add_sequence(context, 1);
      const std::string label =
          run.label.find("TP ") != std::string::npos
              ? run.label
              : fmt::format("{} (TP {}{})", run.label, d.parallel.tensor_parallel,
                            d.parallel.pipeline_parallel > 1 ? fmt::format(", PP {}", d.parallel.pipeline_parallel) : "");
      run_sort.push_back(label);
      for (const auto& step : steps) {
        const StepBreakdown breakdown = cost.breakdown(step.shape);
        std::vector<std::pair<std::string, double>> totals;
        for (const auto& op : breakdown.ops) {
          const std::string name(op_name(op.kind));
          auto found = std::find_if(totals.begin(), totals.end(), [&](const auto& t) { return t.first == name; });
          if (found == totals.end()) totals.emplace_back(name, op.total_time_s());
          else found->second += op.total_time_s();
        }
        if (breakdown.cpu_overhead_s > 0) totals.emplace_back("CPU overhead", breakdown.cpu_overhead_s);
        for (const auto& [name, seconds] : totals) {
          if (std::find(op_order.begin(), op_order.end(), name) == op_order.end()) op_order.push_back(name);
          values.push_back({{"framework", run.framework}, {"run", label}, {"step", step.name}, {"shape", step.shape_text},
                            {"operator", name}, {"ms", seconds * 1e3}, {"step_ms", breakdown.latency_s * 1e3},
                            {"order", std::find(op_order.begin(), op_order.end(), name) - op_order.begin()}});
        }
      }
    } catch (const std::exception& error) {
      notes_.push_back(fmt::format("run {} ({}): no step breakdown: {}", run.run, run.label, error.what()));
    }
  }
  if (values.empty()) return std::nullopt;
  json charts = json::array();
  for (const char* step : {"prefill", "decode"}) {
    charts.push_back(
        {{"title", std::string(step) == "prefill" ? fmt::format("prefill step: 1 prompt of {} tokens", kPrefillTokens)
                                                  : std::string("decode step: mean batch, mean context")},
         {"width", 380}, {"height", {{"step", 28}}},
         {"transform", json::array({{{"filter", fmt::format("datum.step === '{}'", step)}}})},
         {"mark", "bar"},
         {"encoding",
          {{"y", {{"field", "run"}, {"type", "nominal"}, {"title", nullptr}, {"sort", run_sort}}},
           {"x", {{"field", "ms"}, {"type", "quantitative"}, {"title", "time per step (ms)"}, {"stack", "zero"}}},
           {"color", {{"field", "operator"}, {"type", "nominal"}, {"title", "operator"},
                      {"scale", {{"domain", op_order}, {"scheme", "tableau20"}}}}},
           {"order", {{"field", "order"}, {"type", "quantitative"}}},
           {"tooltip", json::array({{{"field", "run"}}, {{"field", "shape"}, {"title", "step"}}, {{"field", "operator"}},
                                    {{"field", "ms"}, {"title", "time (ms)"}, {"format", ",.3f"}},
                                    {{"field", "step_ms"}, {"title", "whole step (ms)"}, {"format", ",.3f"}}})}}}});
  }
  Chart chart;
  chart.id = "operators";
  chart.title = "Per-operator time of a typical prefill and decode step";
  chart.description = fmt::format(
      "The roofline cost model (the one the simulation uses) for each run's model, GPU and parallelism: time per "
      "GPU of each operator summed over the layers, plus CPU overhead. Prefill: one {}-token prompt. Decode: the "
      "run's mean batch size (summary mean_batch_size_seqs), each sequence at mean prompt + mean output / 2 cached "
      "tokens.",
      kPrefillTokens);
  chart.spec = {{"$schema", kSchema}, {"data", {{"values", values}}}, {"hconcat", charts},
                {"resolve", {{"scale", {{"x", "independent"}}}}}};
  return chart;
}

std::optional<Chart> ReportBuilder::memory_chart() {
  if (!libraries_) libraries_ = Libraries::load();
  const std::vector<std::string> parts = {"weights", "activation peak", "runtime overhead", "KV cache", "unused"};
  json values = json::array();
  json run_sort = json::array();
  for (const auto& run : runs_) {
    try {
      const Deployment d = deployment_of(run, *libraries_);
      MemoryPlanRequest r;
      r.parallel = d.parallel;
      r.quantization = setting(d.framework, "quantization", "none");
      r.kv_cache_dtype = setting(d.framework, "kv_cache_dtype", "auto");
      r.gpu_memory_bytes = d.gpu.memory_bytes;
      r.gpu_memory_utilization = d.framework.value("gpu_memory_utilization", 0.9);
      r.max_model_len = d.kv.value("max_model_len", int64_t{0});
      r.max_num_batched_tokens = d.framework.value("max_num_batched_tokens", int64_t{8192});
      r.max_num_seqs = d.framework.value("max_num_seqs", int64_t{256});
      r.block_size = d.kv.value("block_size", d.framework.value("block_size", int64_t{16}));
      const MemoryPlan plan = plan_memory(d.model, r);
      const auto& stage = plan.limiting();
      // The KV cache the run actually had (num_gpu_blocks may be set by hand).
      const double blocks = d.kv.value("num_gpu_blocks", static_cast<double>(plan.num_gpu_blocks));
      const double kv = std::max(0.0, blocks * static_cast<double>(r.block_size) * stage.kv_bytes_per_token);
      const double used = stage.weight_bytes + stage.activation_peak_bytes + plan.runtime_overhead_bytes + kv;
      const std::array<double, 5> bytes = {stage.weight_bytes, stage.activation_peak_bytes, plan.runtime_overhead_bytes,
                                           kv, std::max(0.0, d.gpu.memory_bytes - used)};
      const std::string label = fmt::format("{} ({} x {})", run.label, d.parallel.gpus(), d.gpu.id);
      run_sort.push_back(label);
      for (std::size_t i = 0; i < parts.size(); ++i)
        values.push_back({{"framework", run.framework}, {"run", label}, {"part", parts[i]}, {"gib", bytes[i] / kGiB},
                          {"order", i}, {"capacity_gib", d.gpu.memory_bytes / kGiB}});
    } catch (const std::exception& error) {
      notes_.push_back(fmt::format("run {} ({}): no memory breakdown: {}", run.run, run.label, error.what()));
    }
  }
  if (values.empty()) return std::nullopt;
  Chart chart;
  chart.id = "memory";
  chart.title = "Memory per GPU";
  chart.description = "The memory planner (as vLLM sizes its KV cache) for each run's limiting GPU: weights, "
                      "activation peak of the profiling pass, non-torch runtime overhead, the KV cache the run had "
                      "(its num_gpu_blocks), and what is left of the GPU's capacity (including the 1 - "
                      "gpu_memory_utilization reserve).";
  chart.spec = {{"$schema", kSchema}, {"data", {{"values", values}}}, {"width", 800}, {"height", {{"step", 28}}},
                {"mark", "bar"},
                {"encoding",
                 {{"y", {{"field", "run"}, {"type", "nominal"}, {"title", nullptr}, {"sort", run_sort}}},
                  {"x", {{"field", "gib"}, {"type", "quantitative"}, {"title", "memory per GPU (GiB)"}, {"stack", "zero"}}},
                  {"color", {{"field", "part"}, {"type", "nominal"}, {"title", "component"},
                             {"scale", {{"domain", parts}, {"range", {"#4c78a8", "#f58518", "#bab0ac", "#54a24b", "#e8e8e8"}}}}}},
                  {"order", {{"field", "order"}, {"type", "quantitative"}}},
                  {"tooltip", json::array({{{"field", "run"}}, {{"field", "part"}, {"title", "component"}},
                                           {{"field", "gib"}, {"title", "GiB"}, {"format", ",.2f"}},
                                           {{"field", "capacity_gib"}, {"title", "GPU capacity (GiB)"}, {"format", ",.2f"}}})}}}};
  return chart;
}

std::string ReportBuilder::run_table_html() const {
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"run", "run"}, {"framework", "framework"}, {"point", "point"}, {"model", "model"}, {"gpu", "GPU"},
      {"num_gpus", "GPUs"}, {"tensor_parallel_degree", "TP"}, {"pipeline_parallel_degree", "PP"},
      {"request_rate_per_s", "rate (req/s)"}, {"clients", "clients"}, {"completed_requests", "completed"},
      {"output_throughput_tok_per_s", "output (tok/s)"}, {"p99_ttft_ms", "p99 TTFT (ms)"},
      {"p99_tpot_ms", "p99 TPOT (ms)"}, {"slo_attainment", "SLO attainment"}, {"preemptions", "preemptions"}};
  std::string html = "<table><thead><tr>";
  std::vector<std::pair<std::string, std::string>> shown;
  for (const auto& column : columns)
    if (summary_.csv.has(column.first)) shown.push_back(column);
  for (const auto& column : shown) html += "<th>" + html_escape(column.second) + "</th>";
  html += "</tr></thead><tbody>";
  for (const auto& run : runs_) {
    html += "<tr>";
    for (const auto& column : shown) {
      const std::string framework_style =
          column.first == "framework"
              ? fmt::format(" style=\"border-left:6px solid {}\"",
                            kPalette[static_cast<std::size_t>(std::find(frameworks_.begin(), frameworks_.end(), run.framework) - frameworks_.begin()) % kPalette.size()])
              : "";
      html += "<td" + framework_style + ">" + html_escape(summary_.cell(*run.row, column.first)) + "</td>";
    }
    html += "</tr>";
  }
  return html + "</tbody></table>";
}

// The vega, vega-lite and vega-embed bundles, from simulator/report/node_modules.
std::vector<std::pair<std::string, std::string>> load_libraries() {
  const fs::path root = fs::path(data_root()) / "simulator" / "report" / "node_modules";
  const std::vector<std::pair<std::string, fs::path>> files = {{"vega", root / "vega/build/vega.min.js"},
                                                               {"vega-lite", root / "vega-lite/build/vega-lite.min.js"},
                                                               {"vega-embed", root / "vega-embed/build/vega-embed.min.js"}};
  std::vector<std::string> missing;
  for (const auto& [name, path] : files)
    if (!fs::exists(path)) missing.push_back(path.string());
  if (!missing.empty()) {
    std::string list;
    for (const auto& path : missing) list += "\n  " + path;
    throw InputError(fmt::format("the charting libraries of `report` are not installed; missing:{}\nRun ./dev.sh "
                                 "(or `npm ci --prefix {}`) to install the versions pinned in "
                                 "simulator/report/package-lock.json",
                                 list, (fs::path(data_root()) / "simulator" / "report").string()));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, path] : files) {
    std::string version;
    try {
      version = json::parse(read_text(path.parent_path().parent_path() / "package.json")).value("version", "");
    } catch (const std::exception&) {
    }
    out.emplace_back(name + (version.empty() ? "" : " " + version), read_text(path));
  }
  return out;
}

constexpr const char* kPageScript = R"JS(
(function () {
  const status = {charts: 0, rendered: 0, marks: {}, errors: [], warnings: []};
  window.__llmpo = status;
  window.addEventListener('error', e => status.errors.push('error: ' + (e.message || String(e))));
  window.addEventListener('unhandledrejection', e => status.errors.push('unhandled rejection: ' + (e.reason && e.reason.message || e.reason)));
  const text = a => a.map(x => (x && x.message) || String(x)).join(' ');
  const consoleError = console.error.bind(console), consoleWarn = console.warn.bind(console);
  console.error = (...a) => { status.errors.push(text(a)); consoleError(...a); };
  console.warn = (...a) => { status.warnings.push(text(a)); consoleWarn(...a); };
  const charts = JSON.parse(document.getElementById('llmpo-charts').textContent);
  status.charts = charts.length;
  const exporting = location.hash === '#export';
  const views = {};
  const options = {renderer: 'svg', actions: {export: true, source: false, compiled: false, editor: false}};
  Promise.all(charts.map(c => vegaEmbed('#chart-' + c.id, c.spec, Object.assign({downloadFileName: c.id}, options))
    .then(result => {
      views[c.id] = result.view;
      status.marks[c.id] = document.querySelectorAll('#chart-' + c.id + ' svg g.role-mark:not(.mark-group) > *').length;
      if (status.marks[c.id] > 0) status.rendered += 1;
    })
    .catch(e => status.errors.push(c.id + ': ' + ((e && e.message) || e)))))
  .then(async () => {
    if (exporting) {
      status.svgs = {};
      for (const c of charts) if (views[c.id]) status.svgs[c.id] = await views[c.id].toSVG();
    }
    const out = document.createElement('script');
    out.type = 'application/json';
    out.id = 'llmpo-status';
    out.textContent = JSON.stringify(status).replace(/<\//g, '<\\/');
    document.body.appendChild(out);
    document.body.setAttribute('data-rendered', String(status.rendered));
  });
})();
)JS";

constexpr const char* kStyle = R"CSS(
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
p.meta, p.desc { color: #555; font-size: 13px; margin: 2px 0 8px; max-width: 1100px; }
table { border-collapse: collapse; font-size: 12px; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f4f4f4; } td:nth-child(-n+5) { text-align: left; }
ul.notes { color: #8a5a00; font-size: 13px; }
section { margin-bottom: 12px; }
)CSS";

std::string build_html(ReportBuilder& builder, const std::vector<Chart>& charts,
                       const std::vector<std::pair<std::string, std::string>>& libraries) {
  const json& m = builder.manifest();
  const std::string name = m.value("name", "results");
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     html_escape("LLMPerfOracle report: " + name) + "</title>\n<style>" + kStyle + "</style>\n";
  for (const auto& [library, code] : libraries) html += "<script>/* " + library + " */\n" + code + "\n</script>\n";
  html += "</head><body>\n<h1>" + html_escape("LLMPerfOracle report: " + name) + "</h1>\n";
  html += "<p class=\"meta\">" + html_escape(fmt::format("{} {} - {}", m.value("program", "llmperforacle"),
                                                         m.value("version", ""), m.value("command", ""))) +
          "<br>charts: ";
  for (std::size_t i = 0; i < libraries.size(); ++i) html += (i ? ", " : "") + html_escape(libraries[i].first);
  html += " (inlined; each chart's ... menu saves it as SVG or PNG)</p>\n";
  html += builder.run_table_html() + "\n";
  if (!builder.notes().empty()) {
    html += "<ul class=\"notes\">";
    for (const auto& note : builder.notes()) html += "<li>" + html_escape(note) + "</li>";
    html += "</ul>\n";
  }
  json list = json::array();
  for (const auto& chart : charts) {
    html += "<section><h2>" + html_escape(chart.title) + "</h2><p class=\"desc\">" + html_escape(chart.description) +
            "</p><div id=\"chart-" + chart.id + "\" class=\"chart\"></div></section>\n";
    list.push_back({{"id", chart.id}, {"spec", chart.spec}});
  }
  html += "<script type=\"application/json\" id=\"llmpo-charts\">" + json_for_script(list) + "</script>\n";
  html += std::string("<script>") + kPageScript + "</script>\n</body></html>\n";
  return html;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string file_url(const fs::path& path) {
  std::string out = "file://";
  for (char c : fs::absolute(path).lexically_normal().string()) {
    if (std::isalnum(static_cast<unsigned char>(c)) || std::string("/-_.~").find(c) != std::string::npos) out += c;
    else out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

std::string find_chromium(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("LLMPO_CHROMIUM"); env != nullptr && *env != '\0') return env;
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env : "/usr/bin:/bin");
  std::string dir;
  std::vector<std::string> dir_list;
  while (std::getline(dirs, dir, ':')) dir_list.push_back(dir);
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"})
    for (const auto& d : dir_list)
      if (!d.empty() && ::access((fs::path(d) / name).c_str(), X_OK) == 0) return (fs::path(d) / name).string();
  throw InputError({}, "--export-svg", "needs headless Chromium: install Debian's `chromium` (./dev.sh does), or "
                                       "name the browser with --chromium PATH or $LLMPO_CHROMIUM");
}

// Renders the page in headless Chromium and returns the status object the page leaves in the DOM.
json render_headless(const fs::path& html, const std::string& chromium, bool with_svgs) {
  const fs::path profile = fs::temp_directory_path() / fmt::format("llmpo-report-chromium-{}", ::getpid());
  const std::string command = fmt::format(
      "timeout 180 {} --headless=new --disable-gpu --no-sandbox --no-first-run --user-data-dir={} "
      "--virtual-time-budget=60000 --dump-dom {} 2>/dev/null",
      shell_quote(chromium), shell_quote(profile.string()), shell_quote(file_url(html) + (with_svgs ? "#export" : "")));
  std::string dom;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw InputError({}, "--export-svg", "cannot start " + chromium);
  std::array<char, 65536> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) dom.append(buffer.data(), n);
  const int rc = ::pclose(pipe);
  std::error_code ignored;
  fs::remove_all(profile, ignored);
  const std::string open_tag = "<script type=\"application/json\" id=\"llmpo-status\">";
  const auto start = dom.find(open_tag);
  const auto end = start == std::string::npos ? start : dom.find("</script>", start);
  if (start == std::string::npos || end == std::string::npos)
    throw InputError({}, "--export-svg", fmt::format("{} did not render {} (exit status {}; the page left no status)",
                                                     chromium, html.string(), rc));
  return json::parse(dom.substr(start + open_tag.size(), end - start - open_tag.size()));
}

}  // namespace

std::string write_report(const std::string& results_dir, const std::string& out_path) {
  const auto libraries = load_libraries();  // first: a missing install is the likeliest problem
  ReportBuilder builder{fs::path(results_dir)};
  const std::vector<Chart> charts = builder.charts();
  write_file_atomically(out_path, build_html(builder, charts, libraries));
  return out_path;
}

int command_report(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle report",
              "One self-contained HTML file (opens offline) with Vega-Lite charts of a `run` output folder:\n"
              "latency percentiles vs load, throughput vs TP, latency CDFs, time series, per-operator step\n"
              "time and memory per GPU.");
  p.positional("RESULTS_DIR", "the --out folder of `llmperforacle run`");
  p.option("out", "FILE", "the HTML file to write (-o FILE works too)", "RESULTS_DIR/report.html");
  p.option("export-svg", "DIR", "also render the page in headless Chromium and save one SVG per chart in DIR");
  p.option("chromium", "PATH", "browser for --export-svg", "$LLMPO_CHROMIUM, else chromium on PATH");
  p.flag("quiet", "print nothing but errors");
  Args normalized = args;
  for (auto& arg : normalized)
    if (arg == "-o") arg = "--out";
  if (!p.parse(normalized)) {
    out << p.help_text();
    return kExitOk;
  }
  const auto dir = p.positional_value("RESULTS_DIR");
  if (!dir) throw InputError({}, "RESULTS_DIR", "name the results folder: llmperforacle report RESULTS_DIR");
  const std::string html = p.get_or("out", (fs::path(*dir) / "report.html").string());
  write_report(*dir, html);
  if (!p.has("quiet")) out << "wrote " << html << "\n";
  if (p.has("export-svg")) {
    const fs::path svg_dir = p.get("export-svg");
    const json status = render_headless(html, find_chromium(p.get_or("chromium", "")), true);
    const auto errors = status.value("errors", json::array());
    if (!errors.empty()) throw InputError({}, "--export-svg", "the page reported errors: " + errors.dump());
    if (status.value("rendered", 0) != status.value("charts", -1))
      throw InputError({}, "--export-svg", "not every chart rendered: " + status.dump());
    fs::create_directories(svg_dir);
    const json svgs = status.value("svgs", json::object());
    for (const auto& [id, svg] : svgs.items()) {
      const fs::path path = svg_dir / (id + ".svg");
      write_file_atomically(path.string(), svg.get<std::string>());
      if (!p.has("quiet")) out << "wrote " << path.string() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace llmpo
