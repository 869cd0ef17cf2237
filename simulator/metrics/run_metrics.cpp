#include "run_metrics.hpp"

#include "vllm_peaks.hpp"

#include "simulator/core/huge_pages.hpp"

#include <algorithm>
#include <cmath>

namespace llmpo {

double percentile_linear(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(rank));
  const std::size_t high = std::min(low + 1, sorted.size() - 1);
  const double fraction = rank - static_cast<double>(low);
  return sorted[low] + (sorted[high] - sorted[low]) * fraction;
}

Stat summarize(std::vector<double> values, const std::vector<double>& percentiles) {
  return summarize_in_place(values, percentiles);
}

Stat summarize_in_place(std::vector<double>& values, const std::vector<double>& percentiles) {
  Stat stat;
  stat.count = static_cast<int64_t>(values.size());
  stat.percentiles.assign(percentiles.size(), 0.0);
  if (values.empty()) return stat;
  double sum = 0;
  for (double v : values) sum += v;
  stat.mean = sum / static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - stat.mean) * (v - stat.mean);
  stat.std = std::sqrt(squares / static_cast<double>(values.size()));
  // Only the order statistics the percentiles interpolate between are needed: select them
  // (nth_element, ascending ranks on shrinking ranges) instead of sorting a million values.
  const std::size_t n = values.size();
  std::vector<double> wanted = percentiles;
  wanted.push_back(50);
  std::vector<std::size_t> ranks;
  for (double p : wanted) {
    const double rank = p / 100.0 * static_cast<double>(n - 1);
    ranks.push_back(static_cast<std::size_t>(std::floor(rank)));
    ranks.push_back(std::min(static_cast<std::size_t>(std::floor(rank)) + 1, n - 1));
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  auto from = values.begin();
  for (std::size_t rank : ranks) {
    const auto target = values.begin() + static_cast<std::ptrdiff_t>(rank);
    std::nth_element(from, target, values.end());
    from = target + 1;
  }
  // `values` now holds every needed rank at its sorted position, which is all
  // percentile_linear reads.
  stat.median = percentile_linear(values, 50);
  for (std::size_t i = 0; i < percentiles.size(); ++i) stat.percentiles[i] = percentile_linear(values, percentiles[i]);
  return stat;
}

namespace {

bool meets(const Slo& slo, double ttft_ms, std::optional<double> tpot_ms, double e2el_ms) {
  if (slo.ttft_ms && ttft_ms > *slo.ttft_ms) return false;
  if (slo.tpot_ms && tpot_ms && *tpot_ms > *slo.tpot_ms) return false;
  if (slo.e2el_ms && e2el_ms > *slo.e2el_ms) return false;
  return true;
}

double ttft_ms_of(const RequestState& r) { return ns_to_ms(r.first_token_ns - r.request.arrival_ns); }
double e2el_ms_of(const RequestState& r) { return static_cast<double>(r.completion_ns - r.request.arrival_ns) * 1e-6; }

// One latency of every completed request that arrived in the window, in request order; only
// where `value` has one (TPOT needs two tokens). Built in `values`, one array the four
// summaries take turns in (sized for the largest, the measured count): a run's metrics hold
// one per-request array at once, not four grown by doubling, and fault its pages in once
// rather than four times (a million requests: 8 MB each).
template <typename Value>
Stat summarize_measured(const RunResult& run, const MeasuredWindow& window, Value value,
                        const std::vector<double>& percentiles, std::vector<double>& values) {
  values.clear();
  for (const RequestState& r : run.requests) {
    if (r.outcome != RequestOutcome::completed || !window.contains(r.request.arrival_ns)) continue;
    if (const std::optional<double> v = value(r)) values.push_back(*v);
  }
  return summarize_in_place(values, percentiles);
}

std::optional<double> tpot_ms_of(const RequestState& r) {
  if (r.generated_tokens <= 1) return std::nullopt;
  return (e2el_ms_of(r) - ttft_ms_of(r)) / static_cast<double>(r.generated_tokens - 1);
}

}  // namespace

MeasuredWindow measured_window(const RunResult& run, const MetricsOptions& options) {
  MeasuredWindow window;
  window.from_ns = instant_to_ns(options.warmup_s);
  if (options.cooldown_s > 0) {
    SimTime last_arrival_ns = 0;
    for (const auto& r : run.requests)
      if (r.request.arrival_ns != kNeverNs) last_arrival_ns = std::max(last_arrival_ns, r.request.arrival_ns);
    window.until_ns = last_arrival_ns - instant_to_ns(options.cooldown_s);
  }
  return window;
}

RunMetrics compute_run_metrics(const RunResult& run, const MetricsOptions& options, const std::vector<Slo>& class_slos) {
  RunMetrics m;
  const SimTime warmup_ns = instant_to_ns(options.warmup_s);
  const MeasuredWindow window = measured_window(run, options);

  SimTime span_end_ns = 0;
  double e2el_all_ns = 0;
  int64_t good = 0;
  int64_t rejected_in_window = 0;
  for (std::size_t i = 0; i < run.requests.size(); ++i) {
    const RequestState& r = run.requests[i];
    if (r.outcome == RequestOutcome::pending) {
      ++m.unsent;
      continue;
    }
    ++m.arrived;
    const bool arrived_in_window = window.contains(r.request.arrival_ns);
    if (r.outcome == RequestOutcome::rejected) {
      ++m.rejected;
      ++m.rejected_by_reason[static_cast<std::size_t>(r.reject_reason)];
      if (arrived_in_window) ++rejected_in_window;  // a refused request misses its SLO
      continue;
    }
    ++m.completed;
    const double e2el_ns = static_cast<double>(r.completion_ns - r.request.arrival_ns);
    e2el_all_ns += e2el_ns;
    if (!arrived_in_window) continue;
    ++m.measured;
    span_end_ns = std::max(span_end_ns, r.completion_ns);
    m.total_input_tokens += r.request.prompt_tokens;
    m.total_output_tokens += r.generated_tokens;
    const double ttft_ms = ttft_ms_of(r);
    const double e2el_ms = e2el_ms_of(r);
    const std::optional<double> tpot_ms = tpot_ms_of(r);
    const auto c = static_cast<std::size_t>(r.request.class_id);
    const Slo& slo = c < class_slos.size() && has_any_bound(class_slos[c]) ? class_slos[c] : options.slo;
    if (meets(slo, ttft_ms, tpot_ms, e2el_ms)) ++good;
  }

  const SimTime span_start_ns = warmup_ns;
  m.duration_s = span_end_ns > span_start_ns ? ns_to_s(span_end_ns - span_start_ns) : 0;
  if (m.duration_s > 0) {
    m.request_throughput = static_cast<double>(m.measured) / m.duration_s;
    m.output_throughput = static_cast<double>(m.total_output_tokens) / m.duration_s;
    m.total_token_throughput = static_cast<double>(m.total_input_tokens + m.total_output_tokens) / m.duration_s;
    m.goodput = static_cast<double>(good) / m.duration_s;
  }
  // Attainment over every request of the window that asked for service, refused ones included.
  const int64_t asked = m.measured + rejected_in_window;
  m.slo_attainment = asked > 0 ? static_cast<double>(good) / static_cast<double>(asked) : 0;
  const auto all = [](double v) { return std::optional<double>(v); };
  std::vector<double> values;
  reserve_huge(values, static_cast<std::size_t>(m.measured));
  m.ttft_ms = summarize_measured(run, window, [&](const RequestState& r) { return all(ttft_ms_of(r)); },
                                 options.percentiles, values);
  m.tpot_ms = summarize_measured(run, window, tpot_ms_of, options.percentiles, values);
  // ITL comes from the simulation's sketch (exact count, mean and std; percentiles within 0.5%),
  // which measured the same requests: those arriving inside the warm-up/cool-down window.
  m.itl_ms.count = run.itl_ms.count();
  m.itl_ms.mean = run.itl_ms.mean_ms();
  m.itl_ms.std = run.itl_ms.std_ms();
  m.itl_ms.median = run.itl_ms.percentile_ms(50);
  m.itl_ms.percentiles.clear();
  for (double p : options.percentiles) m.itl_ms.percentiles.push_back(run.itl_ms.percentile_ms(p));
  m.e2el_ms = summarize_measured(run, window, [&](const RequestState& r) { return all(e2el_ms_of(r)); },
                                 options.percentiles, values);
  m.queueing_ms = summarize_measured(
      run, window, [&](const RequestState& r) { return all(ns_to_ms(r.first_scheduled_ns - r.request.arrival_ns)); },
      options.percentiles, values);
  std::vector<double>().swap(values);  // freed before the peaks (which may sort two arrays)

  const VllmPeaks peaks =
      compute_vllm_peaks(run, [&](const RequestState& r) { return window.contains(r.request.arrival_ns); });
  m.max_output_tokens_per_s = peaks.max_output_tokens_per_s;
  m.max_concurrent_requests = peaks.max_concurrent_requests;

  m.saturation = judge_saturation(run.requests, options.warmup_s, options.cooldown_s);
  m.steps = run.steps;
  m.events = run.events;
  m.preemptions = run.preemptions;
  m.mean_batch_sequences = run.steps > 0 ? static_cast<double>(run.batch_sequences_total) / static_cast<double>(run.steps) : 0;
  m.peak_batch_sequences = run.peak_batch_sequences;
  const double end_ns = static_cast<double>(run.end_ns);
  if (end_ns > 0) {
    m.mean_kv_utilization = run.kv_utilization_area_ns / end_ns;
    m.littles_mean_in_system = run.in_system_area_ns / end_ns;
    // lambda x W = (completed / T) x (sum of E2EL / completed) = sum of E2EL / T.
    m.littles_throughput_times_e2el = e2el_all_ns / end_ns;
  }
  return m;
}

}  // namespace llmpo
