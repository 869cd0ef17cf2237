// Queueing theory as an oracle: static batching with batch size 1, fixed lengths and Poisson
// arrivals is an M/D/1 queue with service time S, whose mean wait is Pollaczek-Khinchine's
//   Wq = rho S / (2 (1 - rho)),   rho = lambda S.
#include <catch2/catch.hpp>

#include "scenario.hpp"
#include "simulator/core/distributions.hpp"
#include "simulator/core/rng.hpp"
#include "simulator/metrics/run_metrics.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

double simulated_mean_wait_ms(double utilization, int64_t count) {
  // One token out, prompt 100: every request is one step of 10 ms + 100 x 0.1 ms = 20 ms.
  const double service_ms = 20.0;
  const double rate_per_ms = utilization / service_ms;
  Rng rng = stream(20261124, "test.md1");
  Workload w;
  w.classes.push_back({"default", 1.0, {}});
  double t_ms = 0;
  for (int64_t i = 0; i < count; ++i) {
    t_ms += sample_exponential(rng, rate_per_ms);
    Request r;
    r.id = static_cast<int32_t>(i);
    r.arrival_ns = instant_to_ns(t_ms * 1e-3);
    r.prompt_tokens = 100;
    r.output_tokens = 1;
    w.requests.push_back(r);
  }
  StaticBatchingSettings s;
  s.batch_size = 1;
  const RunResult run = simulate(w, s, 1000, 16, 10, 0.1);
  MetricsOptions options;
  return compute_run_metrics(run, options, {}).queueing_ms.mean;
}

double pollaczek_khinchine_ms(double utilization) {
  const double service_ms = 20.0;
  return utilization * service_ms / (2 * (1 - utilization));
}

}  // namespace

TEST_CASE("queueing: static batching of one is M/D/1 and matches Pollaczek-Khinchine at rho 0.3, 0.6, 0.9") {
  // Successive waits are correlated, the more so the busier the server: the relative standard
  // error of the mean wait over n customers is about 1/sqrt(n) at rho 0.3 but ~13/sqrt(n) at
  // rho 0.9 (M/M/1's asymptotic variance, roughly halved for deterministic service). The counts
  // below keep it near 1% or less, so a 3% band is a > 3-sigma check.
  const std::vector<std::pair<double, int64_t>> cases = {{0.3, 200'000}, {0.6, 400'000}, {0.9, 2'000'000}};
  for (const auto& [rho, count] : cases) {
    INFO("utilization " << rho);
    const double expected = pollaczek_khinchine_ms(rho);  // 4.29, 15, 90 ms
    const double simulated = simulated_mean_wait_ms(rho, count);
    CHECK(simulated == Approx(expected).epsilon(0.03));
  }
}
