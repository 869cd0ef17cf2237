#pragma once
// The two peak figures `vllm bench serve` reports beside its averages, computed as
// vllm/benchmarks/serve.py's calculate_metrics does (vLLM commit 009e6d4a1cd6), over the
// successful requests - here the measured ones (completed, arrived inside the warm-up/cool-down
// window), as every other figure of RunMetrics:
//   max_output_tokens_per_s: output tokens bucketed by the whole second since the earliest send
//     (bucket = floor(token time - first start), buckets 0 .. ceil(last end - first start)), the
//     fullest bucket's count. A token's time is when it was emitted (vLLM: start + ttft + the
//     running sum of itl).
//   max_concurrent_requests: the most requests in flight at one instant, by a sweep over the
//     half-open intervals [start, start + latency) (an end before a start at the same time).
// "start" is the send time: the arrival for open-loop traffic, the moment its client sent it in
// a closed loop (vLLM: after the --max-concurrency semaphore let it through).
#include <cstdint>

#include "simulator/core/huge_pages.hpp"
#include "simulator/core/simulation.hpp"

namespace llmpo {

struct VllmPeaks {
  double max_output_tokens_per_s = 0;
  int64_t max_concurrent_requests = 0;
};

// `measured(r)` picks the successful requests; the tokens are RunResult's measured_token_seconds
// (the same requests' tokens, counted by the simulation), or its measured_token_bursts where it
// kept those instead.
template <class Measured>
VllmPeaks compute_vllm_peaks(const RunResult& run, Measured measured);

// The bucketing and sweep, on plain numbers (tests work them by hand): [start, end) per request
// in ns, and (time, tokens) emissions.
VllmPeaks vllm_peaks_of(const std::vector<std::pair<SimTime, SimTime>>& intervals_ns,
                        const std::vector<RunResult::TokenBurst>& bursts);
// The same from requests' starts and ends (in any order) and tokens already counted into
// seconds; throws InternalError when they were counted from another origin than the earliest
// start (the metrics' measured window is not the simulation's).
VllmPeaks vllm_peaks_of(std::vector<SimTime> starts_ns, std::vector<SimTime> ends_ns, const OutputTokenBuckets& counted);

template <class Measured>
VllmPeaks compute_vllm_peaks(const RunResult& run, Measured measured) {
  if (run.measured_token_bursts.empty() && run.measured_token_seconds.origin_ns != kNeverNs) {
    std::vector<SimTime> starts, ends;
    reserve_huge(starts, run.requests.size());
    reserve_huge(ends, run.requests.size());
    for (const auto& r : run.requests) {
      if (r.outcome != RequestOutcome::completed || !measured(r)) continue;
      starts.push_back(r.request.arrival_ns);
      ends.push_back(r.completion_ns);
    }
    return vllm_peaks_of(std::move(starts), std::move(ends), run.measured_token_seconds);
  }
  std::vector<std::pair<SimTime, SimTime>> intervals;
  for (const auto& r : run.requests)
    if (r.outcome == RequestOutcome::completed && measured(r)) intervals.emplace_back(r.request.arrival_ns, r.completion_ns);
  return vllm_peaks_of(intervals, run.measured_token_bursts);
}

}  // namespace llmpo
