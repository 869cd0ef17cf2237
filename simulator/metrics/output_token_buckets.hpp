#pragma once
// The measured output tokens per whole second, counted while the simulation runs, for vLLM's
// max_output_tokens_per_s (vllm_peaks.hpp). vLLM buckets each token by floor(token time - the
// earliest send of a successful request); keeping every step's (time, tokens) until the run ends
// cost 16 bytes per step - 180 MB for the 1M-request reference run, the largest single item of
// its memory. Here only the steps before that origin is known are kept: the origin is the
// arrival of the first measured request (in arrival order) that completes, known as soon as it
// completes, and from then on each step's tokens go straight into its second's bucket. The
// buckets are those vllm_peaks_of would build from the kept steps, exactly (whole nanoseconds).
// Only the fullest second matters, so a second the run has left behind is folded into a running
// maximum (16 bytes per simulated second were 61 MB of a 10M-request run).
#include <cstdint>
#include <utility>
#include <vector>

#include "simulator/core/request.hpp"
#include "simulator/core/time.hpp"

namespace llmpo {

// Tokens emitted by measured requests at one step end.
struct TokenBurst {
  SimTime at_ns;
  int64_t tokens;
};

// The counted seconds of a run.
struct OutputTokenBuckets {
  // Arrival of the earliest measured request that completed: bucket b holds the tokens emitted
  // in [origin + b s, origin + (b + 1) s). kNeverNs: no measured request completed.
  SimTime origin_ns = kNeverNs;
  std::vector<std::pair<int64_t, int64_t>> seconds;  // (bucket, tokens), ascending, nonzero only
  // Seconds folded out of `seconds` as the simulation left them: the most tokens one of them
  // held, and the last of them (-1: none). They all come before seconds.front().
  int64_t folded_most_tokens = 0;
  int64_t folded_through_bucket = -1;
};

// Adds `tokens` emitted at `at_ns` to its second's bucket (none before the origin).
void count_tokens(OutputTokenBuckets& buckets, SimTime at_ns, int64_t tokens);

class OutputTokenCounter {
 public:
  // A measured request (index into `requests` of add/finish) arrived; call in arrival order.
  void on_measured_arrival(int64_t index) {
    if (buckets_.origin_ns == kNeverNs) candidates_.push_back(index);
  }
  // Measured requests emitted `tokens` at `at_ns` (step ends in time order). `requests` tells
  // which candidates have completed or been rejected so far.
  void add(SimTime at_ns, int64_t tokens, const std::vector<RequestState>& requests) {
    if (buckets_.origin_ns == kNeverNs && !resolve(requests)) {
      pending_.push_back({at_ns, tokens});
      return;
    }
    // Most step ends fall in the latest second counted: added without count_tokens' division.
    if (at_ns >= latest_second_ns_ && at_ns - latest_second_ns_ < kNsPerSecond) {
      buckets_.seconds.back().second += tokens;
      return;
    }
    count_in_order(at_ns, tokens);
  }
  // Every request has finished: the buckets.
  OutputTokenBuckets finish(const std::vector<RequestState>& requests);

 private:
  // Takes the origin once the earliest-arriving candidate not rejected has completed; true then.
  bool resolve(const std::vector<RequestState>& requests);
  // add() for a step end in a later second than the latest counted (or the first one).
  void count_in_order(SimTime at_ns, int64_t tokens);
  // Folds every second but the latest into the running maximum (step ends come in time order, so
  // no later token falls in them), and notes where the latest starts.
  void fold_closed_seconds();

  OutputTokenBuckets buckets_;
  std::vector<int64_t> candidates_;  // measured arrivals, until the origin is known
  std::size_t head_ = 0;             // candidates_[head_] is the earliest not yet rejected
  std::vector<TokenBurst> pending_;  // bursts before the origin is known
  SimTime latest_second_ns_ = kNeverNs;  // start of buckets_.seconds.back(), once add counted one
};

}  // namespace llmpo
