#include "vllm_peaks.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// int(np.ceil(max_end - min_start)) + 1 buckets of one second; whole nanoseconds keep the
// bucket edges exact where vLLM's float seconds could round a token across one.
int64_t bucket_count(SimTime first_start, SimTime last_end) {
  const SimTime span = last_end - first_start;
  return (span + kNsPerSecond - 1) / kNsPerSecond + 1;
}

// The most intervals [start, end) open at one instant: a sweep over both sorted lists in which
// an end at the same time as a start comes first. Two sorted arrays of instants rather than one
// of (time, +-1) events: half the memory, and arrivals are nearly sorted already.
int64_t max_overlap(std::vector<SimTime>& starts, std::vector<SimTime>& ends) {
  // Open-loop arrivals come sorted: checking costs one pass, sorting a million of them 20 passes.
  if (!std::is_sorted(starts.begin(), starts.end())) std::sort(starts.begin(), starts.end());
  std::sort(ends.begin(), ends.end());
  int64_t in_flight = 0, most = 0;
  std::size_t e = 0;
  for (const SimTime start : starts) {
    while (e < ends.size() && ends[e] <= start) {
      --in_flight;
      ++e;
    }
    most = std::max(most, ++in_flight);  // only a start raises the count
  }
  return most;
}

// The fullest counted second among the buckets vLLM builds for [first_start, last_end].
double max_output_tokens_per_s(SimTime first_start, SimTime last_end, const OutputTokenBuckets& counted) {
  if (counted.origin_ns != first_start)
    throw InternalError(fmt::format("output tokens were counted from {} ns, but the earliest measured request arrived "
                                    "at {} ns (the metrics' measured window differs from the simulation's)",
                                    counted.origin_ns, first_start));
  const int64_t buckets = bucket_count(first_start, last_end);
  // Every measured token comes by its request's completion, so no folded second lies past the
  // last bucket; one that did would make the fold's maximum wrong.
  if (counted.folded_through_bucket >= buckets)
    throw InternalError(fmt::format("output tokens were counted in second {} after the earliest measured arrival, "
                                    "past the last measured completion (second {})",
                                    counted.folded_through_bucket, buckets - 1));
  int64_t most = counted.folded_most_tokens;
  for (const auto& [bucket, tokens] : counted.seconds)
    if (bucket < buckets) most = std::max(most, tokens);
  return static_cast<double>(most);
}

}  // namespace

VllmPeaks vllm_peaks_of(const std::vector<std::pair<SimTime, SimTime>>& intervals_ns,
                        const std::vector<RunResult::TokenBurst>& bursts) {
  if (intervals_ns.empty()) return VllmPeaks{};  // vLLM: both stay 0 without a successful request
  std::vector<SimTime> starts, ends;
  starts.reserve(intervals_ns.size());
  ends.reserve(intervals_ns.size());
  for (const auto& [start, end] : intervals_ns) {
    starts.push_back(start);
    ends.push_back(end);
  }
  // The bursts counted into seconds from the earliest start, as the simulation counts them.
  OutputTokenBuckets counted;
  counted.origin_ns = *std::min_element(starts.begin(), starts.end());
  for (const auto& burst : bursts) count_tokens(counted, burst.at_ns, burst.tokens);
  return vllm_peaks_of(std::move(starts), std::move(ends), counted);
}

VllmPeaks vllm_peaks_of(std::vector<SimTime> starts_ns, std::vector<SimTime> ends_ns, const OutputTokenBuckets& counted) {
  VllmPeaks peaks;
  if (starts_ns.empty()) return peaks;
  const SimTime first_start = *std::min_element(starts_ns.begin(), starts_ns.end());
  const SimTime last_end = *std::max_element(ends_ns.begin(), ends_ns.end());
  peaks.max_output_tokens_per_s = max_output_tokens_per_s(first_start, last_end, counted);
  peaks.max_concurrent_requests = max_overlap(starts_ns, ends_ns);
  return peaks;
}

bool ConcurrencySweep::add(SimTime start_ns, SimTime end_ns) {
  if (end_ns <= start_ns || (!empty() && start_ns < last_start_ns_)) return false;
  if (empty()) first_start_ns_ = start_ns;
  last_start_ns_ = start_ns;
  last_end_ns_ = std::max(last_end_ns_, end_ns);
  // As the sorted sweep: the intervals that ended by this start (an end at the same instant
  // first) close; they all started earlier, since every interval ends after its start.
  const auto later_first = std::greater<SimTime>();
  while (!open_ends_.empty() && open_ends_.front() <= start_ns) {
    std::pop_heap(open_ends_.begin(), open_ends_.end(), later_first);
    open_ends_.pop_back();
  }
  open_ends_.push_back(end_ns);
  std::push_heap(open_ends_.begin(), open_ends_.end(), later_first);
  most_ = std::max(most_, static_cast<int64_t>(open_ends_.size()));
  return true;
}

VllmPeaks vllm_peaks_of_sweep(const ConcurrencySweep& sweep, const OutputTokenBuckets& counted) {
  VllmPeaks peaks;
  if (sweep.empty()) return peaks;
  peaks.max_output_tokens_per_s = max_output_tokens_per_s(sweep.first_start_ns(), sweep.last_end_ns(), counted);
  peaks.max_concurrent_requests = sweep.most();
  return peaks;
}

}  // namespace llmpo
