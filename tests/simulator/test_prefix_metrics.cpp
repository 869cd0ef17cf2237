// Prefix-cache figures (vLLM's PrefixCacheStats: hits / queried prompt tokens) over the measured
// requests and per time-series interval, on small hand-made runs worked out by hand; and which
// runs have them at all.
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "simulator/experiment/run_executor.hpp"
#include "simulator/metrics/prefix_cache_metrics.hpp"
#include "simulator/metrics/run_metrics.hpp"

using namespace llmpo;

namespace {

constexpr SimTime kMs = 1'000'000;

RequestState scheduled(int64_t id, SimTime arrival, SimTime first_scheduled, int32_t prompt, int32_t cached,
                       int32_t host_loaded = 0) {
  RequestState r;
  r.request.id = static_cast<int32_t>(id);
  r.request.arrival_ns = arrival;
  r.request.prompt_tokens = prompt;
  r.request.output_tokens = 2;
  r.generated_tokens = 2;
  r.cached_prompt_tokens = cached;
  r.host_loaded_tokens = host_loaded;
  r.first_scheduled_ns = first_scheduled;
  // A request never scheduled has no token times either (and kNeverNs + 1 ms would overflow).
  const bool ran = first_scheduled != kNeverNs;
  r.first_token_ns = ran ? first_scheduled + kMs : kNeverNs;
  r.last_token_ns = r.completion_ns = ran ? first_scheduled + 2 * kMs : kNeverNs;
  r.outcome = RequestOutcome::completed;
  return r;
}

}  // namespace

TEST_CASE("prefix cache: the hit rate is cached over queried prompt tokens of the measured requests") {
  RunResult run;
  run.requests.push_back(scheduled(0, 0, 0, 100, 0));                    // warm-up: not measured
  run.requests.push_back(scheduled(1, 20 * kMs, 21 * kMs, 200, 160, 32));
  run.requests.push_back(scheduled(2, 30 * kMs, 30 * kMs, 300, 288, 0));
  RequestState rejected = scheduled(3, 40 * kMs, kNeverNs, 500, 0);     // never looked up
  rejected.outcome = RequestOutcome::rejected;
  rejected.first_scheduled_ns = rejected.first_token_ns = rejected.completion_ns = kNeverNs;
  run.requests.push_back(rejected);
  run.requests.push_back(scheduled(4, 90 * kMs, 90 * kMs, 50, 48));     // cool-down: not measured
  MetricsOptions options;
  options.warmup_s = 0.010;
  options.cooldown_s = 0.050;  // the last arrival is at 90 ms: measured up to 40 ms
  const PrefixCacheTotals totals = measured_prefix_cache_totals(run, options);
  CHECK(totals.requests == 2);
  CHECK(totals.query_tokens == 500);
  CHECK(totals.hit_tokens == 448);
  CHECK(totals.host_loaded_tokens == 32);
  REQUIRE(totals.hit_rate());
  CHECK(*totals.hit_rate() == Approx(448.0 / 500.0));
  CHECK(*totals.mean_hit_tokens_per_request() == Approx(224));

  // Nothing queried: no rate (0 / 0), not 0%.
  const PrefixCacheTotals none;
  CHECK_FALSE(none.hit_rate());
  CHECK_FALSE(none.mean_hit_tokens_per_request());
}

TEST_CASE("prefix cache: each interval of the time series holds the requests first scheduled in it") {
  RunResult run;
  // Points: [0, 10 ms), then a stretch [10, 40 ms) written as one point, then [40, 45 ms).
  for (const auto& [start_ms, span_ms] : std::vector<std::pair<int64_t, int64_t>>{{0, 10}, {10, 30}, {40, 5}}) {
    TimeseriesPoint p;
    p.start_s = static_cast<double>(start_ms) * 1e-3;
    p.span_ns = span_ms * kMs;
    run.timeseries.push_back(p);
  }
  run.requests.push_back(scheduled(0, 0, 0, 100, 0));                 // [0, 10)
  run.requests.push_back(scheduled(1, 0, 10 * kMs - 1, 100, 50));     // [0, 10): 1 ns before its end
  run.requests.push_back(scheduled(2, 0, 10 * kMs, 40, 32));          // [10, 40): exactly at its start
  run.requests.push_back(scheduled(3, 0, 39 * kMs, 60, 0));           // [10, 40)
  run.requests.push_back(scheduled(4, 0, 44 * kMs, 10, 10));          // [40, 45)
  RequestState never = scheduled(5, 0, kNeverNs, 999, 0);
  never.first_scheduled_ns = kNeverNs;
  never.outcome = RequestOutcome::rejected;
  run.requests.push_back(never);
  const std::vector<PrefixCacheTotals> per_point = prefix_cache_per_point(run);
  REQUIRE(per_point.size() == 3);
  CHECK(per_point[0].query_tokens == 200);
  CHECK(per_point[0].hit_tokens == 50);
  CHECK(*per_point[0].hit_rate() == Approx(0.25));
  CHECK(per_point[1].query_tokens == 100);
  CHECK(per_point[1].hit_tokens == 32);
  CHECK(*per_point[1].hit_rate() == Approx(0.32));
  CHECK(per_point[2].requests == 1);
  CHECK(*per_point[2].hit_rate() == Approx(1.0));
}

TEST_CASE("prefix cache: figures only for frameworks that look prefixes up, on workloads with content identity") {
  VllmSettings on;
  on.enable_prefix_caching = true;
  VllmSettings off;
  off.enable_prefix_caching = false;
  StaticBatchingSettings batching;
  batching.batch_size = 4;
  CHECK(looks_up_prefixes(FrameworkSettings(on)));
  CHECK_FALSE(looks_up_prefixes(FrameworkSettings(off)));
  CHECK_FALSE(looks_up_prefixes(FrameworkSettings(batching)));
}
