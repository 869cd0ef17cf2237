#pragma once
// Is a run past saturation? A verdict from the run's own request timeline, over the measured
// window of arrivals [warm-up, last arrival - cool-down]:
//
//   A  = admitted requests arriving in the window (refused ones never queue)
//   C  = requests completing in the window
//   Q(t) = requests arrived by t and not yet scheduled by t (the waiting queue; a request
//          preempted back to waiting is not counted again, so Q is, if anything, low)
//
//   overloaded  <=>  Q(end) - Q(start) > k sqrt(A)   and   A - C > k sqrt(A),   k = 3
//
// Why this threshold. Over a window, in-system requests grow by exactly A - C; the running batch
// is bounded (max_num_seqs, KV), so a lasting surplus piles up in the waiting queue, and the
// requests left unstarted at the window's end are Q(end). How fast Q grows separates the regimes:
//   - rho < 1: Q is a stationary process (it fluctuates but returns to empty); its size does not
//     grow with the window, so the chance that it exceeds k sqrt(A) vanishes as A grows.
//   - rho = 1: Q is a reflected random walk, whose value after the window is distributed as
//     |N(0, sigma^2 T)| with sigma^2 T ~ A (c_a^2 + c_s^2) (heavy-traffic limit, Iglehart-Whitt);
//     for Poisson arrivals and fixed service, sigma^2 T = A, so growth beyond 3 sqrt(A) has
//     probability 0.27% even at rho = 1 exactly.
//   - rho > 1: Q grows linearly, by (1 - 1/rho) A, past 3 sqrt(A) once A > 9 / (1 - 1/rho)^2
//     (81 requests at rho 1.5, 1089 at rho 1.1).
// So sqrt(A) is the scale of the boundary itself, and the verdict is not tuned to any example: it
// flags a run only when its queue grew faster than a critically loaded queue's noise allows.
// Requiring A - C too keeps the reason's first clause true ("arrivals outpace completions").
//
// Not judged (never overloaded): a closed loop (each client waits for its answer, so arrivals
// are paced by completions and the queue is bounded by the clients), and a window of zero length
// or without arrivals (all requests at one instant: a throughput test, not a rate).
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/core/request.hpp"

namespace llmpo {

inline constexpr double kSaturationSigmas = 3;

struct SaturationVerdict {
  bool judged = false;  // an open-loop run with a window to measure
  bool overloaded = false;
  double window_s = 0;
  int64_t arrivals = 0, completions = 0;  // A and C
  double arrival_rate_per_s = 0, completion_rate_per_s = 0;
  int64_t queue_at_start = 0, queue_at_end = 0;  // Q(start), Q(end)
  double growth_threshold = 0;                   // k sqrt(A)
  // "" unless overloaded; else e.g. "arrivals 4.78 req/s > completions 2.5 req/s; queue grew 0 -> 1109".
  std::string reason;
};

// `requests`: a finished run's states (index = request id); the window as in MetricsOptions.
SaturationVerdict judge_saturation(const std::vector<RequestState>& requests, double warmup_s, double cooldown_s);

}  // namespace llmpo
