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
//     half-open intervals [start, start + latency) (an end before a start at the same time):
//     ConcurrencySweep as requests come in arrival order (open loop), else over sorted arrays.
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

// The most intervals [start, end) open at one instant, fed one interval at a time with starts
// in ascending order: only the ends of the intervals still open are held (a min-heap as large as
// the peak), not two arrays as long as the run. add() refuses (false, and the sweep is then of no
// use) an interval that comes out of order or ends no later than it starts: the caller then
// sweeps sorted arrays instead.
class ConcurrencySweep {
 public:
  bool add(SimTime start_ns, SimTime end_ns);
  int64_t most() const { return most_; }
  SimTime first_start_ns() const { return first_start_ns_; }
  SimTime last_end_ns() const { return last_end_ns_; }
  bool empty() const { return first_start_ns_ == kNeverNs; }

 private:
  std::vector<SimTime> open_ends_;  // a min-heap
  SimTime first_start_ns_ = kNeverNs;
  SimTime last_start_ns_ = 0;
  SimTime last_end_ns_ = 0;
  int64_t most_ = 0;
};

// The peaks from a finished sweep and tokens already counted into seconds (as vllm_peaks_of).
VllmPeaks vllm_peaks_of_sweep(const ConcurrencySweep& sweep, const OutputTokenBuckets& counted);

template <class Measured>
VllmPeaks compute_vllm_peaks(const RunResult& run, Measured measured) {
  const auto successful = [&](const RequestState& r) { return r.outcome == RequestOutcome::completed && measured(r); };
  if (run.measured_token_bursts.empty() && run.measured_token_seconds.origin_ns != kNeverNs) {
    // Open-loop arrivals come in request order: swept as they come, holding only the open ends.
    ConcurrencySweep sweep;
    bool in_order = true;
    for (const auto& r : run.requests) {
      if (!successful(r)) continue;
      if (!sweep.add(r.request.arrival_ns, r.completion_ns)) {
        in_order = false;
        break;
      }
    }
    if (in_order) return vllm_peaks_of_sweep(sweep, run.measured_token_seconds);
    std::vector<SimTime> starts, ends;
    reserve_huge(starts, run.requests.size());
    reserve_huge(ends, run.requests.size());
    for (const auto& r : run.requests) {
      if (!successful(r)) continue;
      starts.push_back(r.request.arrival_ns);
      ends.push_back(r.completion_ns);
    }
    return vllm_peaks_of(std::move(starts), std::move(ends), run.measured_token_seconds);
  }
  std::vector<std::pair<SimTime, SimTime>> intervals;
  for (const auto& r : run.requests)
    if (successful(r)) intervals.emplace_back(r.request.arrival_ns, r.completion_ns);
  return vllm_peaks_of(intervals, run.measured_token_bursts);
}

}  // namespace llmpo
