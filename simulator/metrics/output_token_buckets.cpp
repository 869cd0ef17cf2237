#include "output_token_buckets.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

bool OutputTokenCounter::resolve(const std::vector<RequestState>& requests) {
  // Arrivals come in time order, so the first candidate (after the rejected ones) that completed
  // has the earliest arrival of all measured requests that complete; while it is still pending,
  // a later arrival completing first does not settle it.
  while (head_ < candidates_.size()) {
    const RequestState& r = requests[static_cast<std::size_t>(candidates_[head_])];
    if (r.outcome == RequestOutcome::pending) return false;
    if (r.outcome == RequestOutcome::completed) {
      buckets_.origin_ns = r.request.arrival_ns;
      candidates_ = {};
      head_ = 0;
      for (const TokenBurst& burst : pending_) count_tokens(buckets_, burst.at_ns, burst.tokens);
      pending_ = {};
      fold_closed_seconds();
      return true;
    }
    ++head_;  // rejected: not a successful request
  }
  return false;
}

void OutputTokenCounter::count_in_order(SimTime at_ns, int64_t tokens) {
  // A folded second keeps only its total so far: a token for it now would be lost from the peak.
  if (at_ns >= buckets_.origin_ns && (at_ns - buckets_.origin_ns) / kNsPerSecond <= buckets_.folded_through_bucket)
    throw InternalError(fmt::format("output tokens emitted at {} ns were counted after those of a later second", at_ns));
  count_tokens(buckets_, at_ns, tokens);
  fold_closed_seconds();
}

void OutputTokenCounter::fold_closed_seconds() {
  auto& seconds = buckets_.seconds;
  if (seconds.empty()) return;
  if (seconds.size() > 1) {
    for (std::size_t i = 0; i + 1 < seconds.size(); ++i)
      buckets_.folded_most_tokens = std::max(buckets_.folded_most_tokens, seconds[i].second);
    buckets_.folded_through_bucket = seconds[seconds.size() - 2].first;
    seconds.erase(seconds.begin(), seconds.end() - 1);
  }
  latest_second_ns_ = buckets_.origin_ns + seconds.back().first * kNsPerSecond;
}

void count_tokens(OutputTokenBuckets& buckets, SimTime at_ns, int64_t tokens) {
  if (at_ns < buckets.origin_ns) return;  // vLLM: before the first send, in no bucket
  const int64_t bucket = (at_ns - buckets.origin_ns) / kNsPerSecond;
  auto& seconds = buckets.seconds;
  if (!seconds.empty() && seconds.back().first == bucket) {
    seconds.back().second += tokens;
    return;
  }
  if (seconds.empty() || seconds.back().first < bucket) {
    seconds.emplace_back(bucket, tokens);
    return;
  }
  // An earlier second (the simulation's step ends come in time order, so only other callers).
  const auto at = std::lower_bound(seconds.begin(), seconds.end(), bucket,
                                   [](const std::pair<int64_t, int64_t>& s, int64_t b) { return s.first < b; });
  if (at != seconds.end() && at->first == bucket) at->second += tokens;
  else seconds.insert(at, {bucket, tokens});
}

OutputTokenBuckets OutputTokenCounter::finish(const std::vector<RequestState>& requests) {
  if (buckets_.origin_ns == kNeverNs) resolve(requests);
  return std::move(buckets_);
}

}  // namespace llmpo
