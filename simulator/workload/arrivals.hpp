#pragma once
// Arrival processes: when requests are sent. Open-loop processes produce a list of arrival
// times before the simulation starts; a closed loop only fixes how many clients there are (the
// simulation sends a client's next request when its previous response is done).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/core/rng.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

// The most requests one workload may hold: beyond this a typo in a rate or duration would
// exhaust memory before anything useful happened.
inline constexpr int64_t kMaxWorkloadRequests = 50'000'000;

enum class ArrivalProcess { poisson, gamma, constant, steps, ramp, closed_loop };
const char* to_string(ArrivalProcess process);

struct RateStep {
  double until_s = 0.0;     // this rate holds from the previous step's until_s (or 0) to here
  double rate_per_s = 0.0;  // Poisson rate in the window; 0 is a pause
};

struct RampSpec {
  double start_rate_per_s = 0.0;  // rate at t = 0
  double end_rate_per_s = 0.0;    // rate at t = over_s and after
  double over_s = 0.0;            // length of the linear change
};

struct ArrivalSpec {
  ArrivalProcess process = ArrivalProcess::poisson;
  double rate_per_s = 0.0;       // poisson, gamma, constant: mean requests per second
  double burstiness = 1.0;       // gamma: the shape of the inter-arrival gamma (1 = Poisson,
                                 // < 1 burstier, > 1 smoother; CV^2 of gaps = 1/burstiness)
  std::vector<RateStep> steps;   // steps: piecewise-constant Poisson rate; the last rate holds on
  RampSpec ramp;                 // ramp: linearly changing Poisson rate
  int64_t clients = 0;           // closed_loop: concurrent clients
  double think_time_s = 0.0;     // closed_loop: pause after a response, default 0
};

// Parses `arrival:`; each process accepts only its own keys ("'burstiness' does not apply to
// process 'poisson' (poisson takes: rate_per_s)").
ArrivalSpec parse_arrival_spec(StrictMap map);

// Checks a spec built or changed in code (a sweep over rate_per_s); InputError with the key path.
void validate(const ArrivalSpec& spec);

// Where a steps or ramp schedule ends (the last until_s, or over_s); nullopt for other processes.
std::optional<double> schedule_end_s(const ArrivalSpec& spec);

// Expected number of open-loop arrivals in [0, until_s): the integral of the rate. For the size
// check before a run (a typo in a rate or duration should not start an hour-long simulation).
double expected_arrivals(const ArrivalSpec& spec, double until_s);

// "poisson 5 req/s", "gamma 5 req/s burstiness 0.5", "steps 2 req/s until 60 s, 8 req/s until 120 s"...
std::string describe(const ArrivalSpec& spec);

// Open-loop arrival times in seconds, non-decreasing, drawn from `rng`. Stops after `count`
// arrivals or at the first arrival at or after `until_s`, whichever is given (at least one).
// Every process is a renewal/counting process started at t = 0, so the first arrival comes one
// gap after 0 (constant: request k at k / rate_per_s, k = 1, 2, ...); the count in [0, T] of a
// Poisson process is then exactly Poisson(rate * T).
// steps and ramp are exact non-homogeneous Poisson processes by inversion of the cumulative
// rate: unit-rate Poisson points S_k map to t_k = Lambda^-1(S_k).
std::vector<double> generate_arrival_times_s(const ArrivalSpec& spec, std::optional<int64_t> count,
                                             std::optional<double> until_s, Rng& rng);

}  // namespace llmpo
