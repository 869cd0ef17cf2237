#include "prefix_cache_metrics.hpp"

#include <algorithm>

#include "run_metrics.hpp"

namespace llmpo {

std::optional<double> PrefixCacheTotals::hit_rate() const {
  if (query_tokens <= 0) return std::nullopt;
  return static_cast<double>(hit_tokens) / static_cast<double>(query_tokens);
}

std::optional<double> PrefixCacheTotals::mean_hit_tokens_per_request() const {
  if (requests <= 0) return std::nullopt;
  return static_cast<double>(hit_tokens) / static_cast<double>(requests);
}

PrefixCacheTotals measured_prefix_cache_totals(const RunResult& run, const MetricsOptions& options) {
  const MeasuredWindow window = measured_window(run, options);
  PrefixCacheTotals totals;
  for (const auto& r : run.requests)
    if (r.outcome == RequestOutcome::completed && window.contains(r.request.arrival_ns)) totals.add(r);
  return totals;
}

std::vector<PrefixCacheTotals> prefix_cache_per_point(const RunResult& run) {
  const std::size_t points = run.timeseries.size();
  std::vector<PrefixCacheTotals> per_point(points);
  if (points == 0) return per_point;
  // Each point's start, exactly: the points tile time from 0, so a start is the sum of the
  // spans before it (start_s is rounded to a double).
  std::vector<SimTime> starts_ns(points);
  SimTime start_ns = 0;
  for (std::size_t i = 0; i < points; ++i) {
    starts_ns[i] = start_ns;
    start_ns += run.timeseries[i].span_ns;
  }
  for (const auto& r : run.requests) {
    if (r.first_scheduled_ns == kNeverNs) continue;  // never scheduled: no lookup
    // The last point whose start is at or before the scheduling instant.
    const auto after = std::upper_bound(starts_ns.begin(), starts_ns.end(), r.first_scheduled_ns);
    const auto index = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, after - starts_ns.begin() - 1));
    per_point[index].add(r);
  }
  return per_point;
}

}  // namespace llmpo
