#include "output_token_buckets.hpp"

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
      for (const TokenBurst& burst : pending_) count(burst.at_ns, burst.tokens);
      pending_ = {};
      return true;
    }
    ++head_;  // rejected: not a successful request
  }
  return false;
}

void OutputTokenCounter::count(SimTime at_ns, int64_t tokens) {
  if (at_ns < buckets_.origin_ns) return;  // vLLM: before the first send, in no bucket
  const int64_t bucket = (at_ns - buckets_.origin_ns) / kNsPerSecond;
  auto& seconds = buckets_.seconds;
  if (!seconds.empty() && seconds.back().first == bucket) {
    seconds.back().second += tokens;
    return;
  }
  if (seconds.empty() || seconds.back().first < bucket) {
    seconds.emplace_back(bucket, tokens);
    return;
  }
  // Step ends come in time order, so this is not reached; kept exact all the same.
  for (auto it = seconds.begin(); it != seconds.end(); ++it) {
    if (it->first == bucket) {
      it->second += tokens;
      return;
    }
    if (it->first > bucket) {
      seconds.insert(it, {bucket, tokens});
      return;
    }
  }
}

OutputTokenBuckets OutputTokenCounter::finish(const std::vector<RequestState>& requests) {
  if (buckets_.origin_ns == kNeverNs) resolve(requests);
  return std::move(buckets_);
}

}  // namespace llmpo
