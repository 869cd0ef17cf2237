#pragma once
// The charts of a `run` folder that come from its measurements: latency percentiles vs load and
// throughput (summary.csv), latency CDFs (requests.csv) and time series (timeseries.csv), plus
// the run table at the top of the page. The charts recomputed from each run's model and GPU are
// in model_charts.hpp.
#include <optional>
#include <string>
#include <vector>

#include "simulator/report/chart_kit.hpp"
#include "simulator/report/results_folder.hpp"

namespace llmpo::report {

// A summary column that a sweep varied, drawn along x: its column, axis title (with unit), the
// sweep key that sets it (as point labels name it) and its Vega-Lite type.
struct SweptAxis {
  std::string column;
  std::string title;
  std::string sweep_key;
  std::string type;
};

class RunCharts {
 public:
  // `notes` collects, for the page, why a chart is missing (e.g. a run without requests.csv).
  RunCharts(const RunResults& results, std::vector<std::string>& notes) : results_(results), notes_(notes) {}

  // Latency, throughput, then the CDFs and time series where their files exist, and the
  // prefix cache hit rate over time where a run looked prefixes up.
  std::vector<Chart> charts();
  // One row per run, the framework cell edged in its colour; with summary.csv's saturation
  // verdict, a "saturation" column with a red "overloaded" badge (and its reason) per overloaded run.
  std::string table_html() const;

 private:
  json framework_color() const { return color_by("framework", "framework", results_.frameworks()); }
  // A line of the latency and throughput charts when a sweep varies more than `axis`: what else
  // its runs share ("TP 4", or "vllm, TP 4" with several frameworks).
  std::string line_label(const RunInfo& run, const SweptAxis& axis) const;
  // The colour of those charts: one per line label when by_series (a legend naming each), else
  // one per framework.
  json line_color(const std::optional<SweptAxis>& axis, bool by_series) const;
  // The encoding of one line per run of the CDF charts: coloured by framework, or by run (with
  // a legend naming each run) when a framework has several runs.
  json per_run_lines(json x, json y, json tooltip) const;
  // The first of TP degree (when `tensor_parallel_first`), request rate and client count that
  // takes more than one value across the runs, if any.
  std::optional<SweptAxis> swept_axis(bool tensor_parallel_first) const;
  // True when a framework has runs that differ in more than the swept axis (their point labels
  // without it, point_without, differ): they need a line each.
  bool several_series(const SweptAxis& axis) const;
  // The table, or nullopt with `missing_note` added to the notes when the run did not write it.
  std::optional<Table> optional_table(const char* name, const char* missing_note);

  Chart latency_chart() const;
  Chart throughput_chart() const;
  std::optional<Chart> cdf_chart();
  std::optional<Chart> timeseries_chart();
  // The prefix cache hit rate over time (timeseries.csv), one line per run; only when a run of
  // summary.csv queried the prefix cache (prefix_query_tokens > 0). In run_prefix_chart.cpp.
  std::optional<Chart> prefix_cache_chart();
  // Disaggregated runs' mean TTFT split into its stages (summary.csv); only when a run has them.
  // In run_pd_chart.cpp.
  std::optional<Chart> pd_timeline_chart();
  // Speculative decoding's acceptance-length distribution, one line per run that speculated
  // (summary.csv's acceptance_length_histogram). In run_acceptance_chart.cpp.
  std::optional<Chart> acceptance_chart() const;

  const RunResults& results_;
  std::vector<std::string>& notes_;
};

}  // namespace llmpo::report
