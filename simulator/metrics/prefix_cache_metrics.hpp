#pragma once
// Prefix-cache figures with vLLM's definitions (vllm/v1/metrics/stats.py PrefixCacheStats, which
// vllm/v1/core/kv_cache_manager.py record_prefix_cache_stats fills at a request's lookup):
//   queries = the request's num_tokens when its prefix is looked up (its prompt: the lookup is
//             at its first scheduling, before any output),
//   hits    = the tokens found cached (RequestState::cached_prompt_tokens, vLLM's
//             num_cached_tokens; SGLang's cached_tokens),
//   hit rate = hits / queries, in tokens.
// vLLM records no query for a request that skipped the lookup (prefix caching disabled), so a
// run whose frameworks look nothing up has no figures at all (empty columns), not a 0% hit
// rate. Lookups after a preemption are vLLM's separate preempted_* counters and are left out
// here, as they are of its hit rate: a request counts once, as first scheduled.
//
// Everything is computed after the run from the per-request records: the simulation's hot path
// pays nothing for it.
#include <cstdint>
#include <optional>
#include <vector>

#include "simulator/core/simulation.hpp"

namespace llmpo {

struct MetricsOptions;

struct PrefixCacheTotals {
  int64_t requests = 0;            // requests that looked their prefix up
  int64_t query_tokens = 0;        // their prompt tokens
  int64_t hit_tokens = 0;          // of those, found in the prefix cache
  int64_t host_loaded_tokens = 0;  // of the hits, loaded from a host-memory KV tier

  // Counts `r`, a request that was scheduled (its lookup happened).
  void add(const RequestState& r) {
    ++requests;
    query_tokens += r.request.prompt_tokens;
    hit_tokens += r.cached_prompt_tokens;
    host_loaded_tokens += r.host_loaded_tokens;
  }
  // hits / queries; nullopt when nothing was queried (0 / 0).
  std::optional<double> hit_rate() const;
  // hits / requests; nullopt when no request looked up.
  std::optional<double> mean_hit_tokens_per_request() const;
};

// Over the measured requests (completed, arriving in the warm-up/cool-down window, as
// compute_run_metrics measures them).
PrefixCacheTotals measured_prefix_cache_totals(const RunResult& run, const MetricsOptions& options);

// One entry per point of run.timeseries: the requests first scheduled inside that point's span
// [start, start + span_ns), every request of the run (warm-up and cool-down included, like the
// rest of the time series). Points tile [0, end) in order, so each scheduled request lands in
// exactly one.
std::vector<PrefixCacheTotals> prefix_cache_per_point(const RunResult& run);

}  // namespace llmpo
