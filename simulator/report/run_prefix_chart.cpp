// The "prefix cache hit rate over time" chart of a `run` report: per run, the hit rate of the
// requests first scheduled in each interval of timeseries.csv (hits / queried prompt tokens, as
// vLLM's PrefixCacheStats), one line per run.
#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "simulator/report/run_charts.hpp"

namespace llmpo::report {

namespace {

constexpr std::size_t kMaxHitRatePoints = 600;  // per run: buckets of consecutive intervals

struct HitRateRow {
  double t_s = 0;
  double query_tokens = 0;
  double hit_tokens = 0;
};

}  // namespace

std::optional<Chart> RunCharts::prefix_cache_chart() {
  // Only when a run looked prefixes up and queried something: runs without prefix caching (or
  // without content identity) leave these summary cells empty.
  const Table& summary = results_.summary();
  const bool any_queries = std::any_of(results_.runs().begin(), results_.runs().end(), [&](const RunInfo& run) {
    return summary.value(*run.row, "prefix_query_tokens").value_or(0) > 0;
  });
  if (!any_queries) return std::nullopt;
  const auto path = results_.dir() / "timeseries.csv";
  if (!std::filesystem::exists(path)) return std::nullopt;  // the time-series chart notes its absence
  const Table series = Table::read(path);
  const auto cols = series.csv.column_list({"run", "t_s", "prefix_query_tokens", "cached_prompt_tokens"},
                                           "the prefix cache hit rate chart");
  std::map<int64_t, std::vector<HitRateRow>> rows;
  for (const auto& row : series.csv.rows()) {
    const auto run = number_in(row.cells[cols[0]]);
    const auto t = number_in(row.cells[cols[1]]);
    if (!run || !t) continue;
    rows[static_cast<int64_t>(*run)].push_back({*t, number_in(row.cells[cols[2]]).value_or(0),
                                                number_in(row.cells[cols[3]]).value_or(0)});
  }
  json values = json::array();
  for (const auto& run : results_.runs()) {
    const auto found = rows.find(run.run);
    if (found == rows.end()) continue;
    const auto& r = found->second;
    // Long runs: buckets of consecutive intervals, whose rate is their hits over their queries
    // (a mean of rates would weigh a quiet interval like a busy one).
    const std::size_t bucket = (r.size() + kMaxHitRatePoints - 1) / kMaxHitRatePoints;
    for (std::size_t start = 0; start < r.size(); start += bucket) {
      const std::size_t end = std::min(r.size(), start + bucket);
      double queries = 0, hits = 0;
      for (std::size_t i = start; i < end; ++i) queries += r[i].query_tokens, hits += r[i].hit_tokens;
      if (queries <= 0) continue;  // nobody scheduled: no rate, no point
      values.push_back({{"framework", run.framework}, {"run", run.label}, {"t", r[start].t_s},
                        {"hit_rate", 100 * hits / queries}, {"queries", queries}});
    }
  }
  if (values.empty()) return std::nullopt;
  json x = quantitative("t", "simulated time (s)");
  json y = quantitative("hit_rate", "prefix cache hit rate (%)");
  y["scale"] = {{"domain", {0, 100}}};
  json tooltip = json::array({tip("run"), tip("t", "time (s)", ",.0f"), tip("hit_rate", "hit rate (%)", ".1f"),
                              tip("queries", "queried prompt tokens", ",.0f")});
  const json zoom = json::array({{{"name", "zoom_prefix"},
                                  {"select", {{"type", "interval"}, {"encodings", {"x"}}}},
                                  {"bind", "scales"}}});
  return Chart{"prefix", "Prefix cache hit rate over time",
               fmt::format("timeseries.csv: per interval, the cached prompt tokens over the prompt tokens queried by "
                           "the requests first scheduled in it (vLLM's prefix cache hit rate), one line per run; "
                           "intervals where nobody was scheduled have no point. Long runs are shown as buckets of "
                           "consecutive intervals (at most {} points per run). Drag or scroll to zoom the time axis.",
                           kMaxHitRatePoints),
               {{"$schema", kSchema}, {"width", 640}, {"height", 220}, {"params", zoom}, {"data", {{"values", values}}},
                {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 1.5}}},
                {"encoding", per_run_lines(x, y, tooltip)}}};
}

}  // namespace llmpo::report
