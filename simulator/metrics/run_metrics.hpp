#pragma once
// Per-run metrics with vLLM's `vllm bench serve` definitions:
//   TTFT  = first token - arrival (queueing included)
//   TPOT  = (E2EL - TTFT) / (output tokens - 1), per request; one-token requests are left out
//   ITL   = every gap between consecutive tokens, pooled over requests
//   E2EL  = last token - arrival
// Statistics: mean, median, population std (numpy's np.std) and percentiles by numpy's default
// linear interpolation. Throughputs are over the measured span (see compute_run_metrics).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prefix_cache_metrics.hpp"
#include "saturation.hpp"
#include "spec_decode_metrics.hpp"
#include "simulator/core/simulation.hpp"
#include "simulator/workload/workload_spec.hpp"

namespace llmpo {

inline bool has_any_bound(const Slo& slo) { return slo.ttft_ms || slo.tpot_ms || slo.e2el_ms; }

struct MetricsOptions {
  std::vector<double> percentiles = {50, 90, 95, 99};
  double warmup_s = 0;    // requests arriving before this are not measured
  double cooldown_s = 0;  // nor those arriving in the last cooldown_s before the last arrival
  Slo slo;                // for goodput; a workload class's own SLO overrides it
};

// The measured requests are those arriving in [from_ns, until_ns]: from warmup_s to the last
// arrival minus cooldown_s (no upper bound without a cool-down).
struct MeasuredWindow {
  SimTime from_ns = 0;
  SimTime until_ns = kNeverNs;
  bool contains(SimTime arrival_ns) const { return arrival_ns >= from_ns && arrival_ns <= until_ns; }
};
MeasuredWindow measured_window(const RunResult& run, const MetricsOptions& options);

struct Stat {
  int64_t count = 0;
  double mean = 0, median = 0, std = 0;
  std::vector<double> percentiles;  // aligned with MetricsOptions::percentiles
};

// numpy.percentile(values, p) with linear interpolation; `sorted` must be ascending.
double percentile_linear(const std::vector<double>& sorted, double p);
Stat summarize(std::vector<double> values, const std::vector<double>& percentiles);
// The same on `values` itself, which it reorders (the caller's array, reused for the next one).
Stat summarize_in_place(std::vector<double>& values, const std::vector<double>& percentiles);

struct RunMetrics {
  int64_t arrived = 0, completed = 0, rejected = 0, unsent = 0, measured = 0;
  std::array<int64_t, kRejectReasonCount> rejected_by_reason{};  // indexed by RejectReason
  double duration_s = 0;
  int64_t total_input_tokens = 0, total_output_tokens = 0;
  double request_throughput = 0, output_throughput = 0, total_token_throughput = 0;
  double goodput = 0;          // measured requests per second meeting every SLO
  double slo_attainment = 0;   // fraction of the window's requests (rejected ones too) meeting every SLO
  Stat ttft_ms, tpot_ms, itl_ms, e2el_ms, queueing_ms;
  double mean_batch_sequences = 0;
  int64_t peak_batch_sequences = 0;
  double mean_kv_utilization = 0;
  int64_t preemptions = 0, steps = 0, events = 0;
  // Little's law on the whole run: time-average requests in the system, and throughput x E2EL.
  double littles_mean_in_system = 0, littles_throughput_times_e2el = 0;
  // vLLM's peak figures over the measured requests (vllm_peaks.hpp).
  double max_output_tokens_per_s = 0;
  int64_t max_concurrent_requests = 0;
  SaturationVerdict saturation;  // past saturation over the measured window? (saturation.hpp)
  // Prefix caching over the measured requests (prefix_cache_metrics.hpp); nullopt when the run's
  // frameworks looked no prefix up (caching off, or a workload without content identity).
  std::optional<PrefixCacheTotals> prefix_cache;
  // Speculative decoding over the measured requests (spec_decode_metrics.hpp); nullopt when the
  // run's framework does not speculate.
  std::optional<SpecDecodeTotals> spec_decode;
};

// `class_slos[c]` is workload class c's SLO (may be empty: the options' SLO applies).
RunMetrics compute_run_metrics(const RunResult& run, const MetricsOptions& options,
                               const std::vector<Slo>& class_slos);

}  // namespace llmpo
