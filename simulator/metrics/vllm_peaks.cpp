#include "vllm_peaks.hpp"

#include <algorithm>

namespace llmpo {

VllmPeaks vllm_peaks_of(const std::vector<std::pair<SimTime, SimTime>>& intervals_ns,
                        const std::vector<RunResult::TokenBurst>& bursts) {
  VllmPeaks peaks;
  if (intervals_ns.empty()) return peaks;  // vLLM: both stay 0 without a successful request
  SimTime first_start = intervals_ns.front().first, last_end = intervals_ns.front().second;
  for (const auto& [start, end] : intervals_ns) {
    first_start = std::min(first_start, start);
    last_end = std::max(last_end, end);
  }
  // int(np.ceil(max_end - min_start)) + 1 buckets of one second; whole nanoseconds keep the
  // bucket edges exact where vLLM's float seconds could round a token across one.
  const SimTime span = last_end - first_start;
  const auto buckets = static_cast<std::size_t>((span + kNsPerSecond - 1) / kNsPerSecond + 1);
  std::vector<int64_t> tokens_per_second(buckets, 0);
  for (const auto& burst : bursts) {
    if (burst.at_ns < first_start) continue;
    const auto bucket = static_cast<std::size_t>((burst.at_ns - first_start) / kNsPerSecond);
    if (bucket < buckets) tokens_per_second[bucket] += burst.tokens;
  }
  peaks.max_output_tokens_per_s = static_cast<double>(*std::max_element(tokens_per_second.begin(), tokens_per_second.end()));

  std::vector<std::pair<SimTime, int>> events;  // (time, +1 start / -1 end); -1 sorts first
  events.reserve(2 * intervals_ns.size());
  for (const auto& [start, end] : intervals_ns) {
    events.emplace_back(start, 1);
    events.emplace_back(end, -1);
  }
  std::sort(events.begin(), events.end());
  int64_t in_flight = 0;
  for (const auto& event : events) {
    in_flight += event.second;
    peaks.max_concurrent_requests = std::max(peaks.max_concurrent_requests, in_flight);
  }
  return peaks;
}

}  // namespace llmpo
