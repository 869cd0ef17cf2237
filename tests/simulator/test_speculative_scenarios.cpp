// Speculative decoding in whole simulations small enough to follow by hand (linear step cost:
// base + per new token, no drafter cost), and its byte-identity with today's path when off.
#include <catch2/catch.hpp>

#include "scenario.hpp"
#include "simulator/metrics/run_metrics.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

VllmSettings speculating(int64_t budget, int64_t k, double acceptance) {
  VllmSettings s = vllm(budget);
  s.speculative.method = "eagle";
  s.speculative.num_speculative_tokens = k;
  s.speculative.acceptance_rates.assign(static_cast<std::size_t>(k), acceptance);
  return s;
}

}  // namespace

TEST_CASE("scenario: EAGLE k = 3 with every draft accepted: TPOT, ITL per chunk and tokens worked out by hand") {
  // Step = 10 ms + 1 ms per new token; one request at 0, prompt 10, output 9, k = 3, a = 1.
  //   step 1  0 -> 20  prefill 10: token 1 at 20
  //   step 2 20 -> 34  verify 1 + 3: 4 tokens (5 in all) at 34, one chunk
  //   step 3 34 -> 48  verify 1 + 3: 4 tokens (9 in all) at 48, done
  // TTFT 20, E2E 48, TPOT (48 - 20) / (9 - 1) = 3.5; ITL per streamed chunk: 14 and 14.
  // Without speculation: 8 decodes of 11 ms, E2E 108, TPOT 11.
  const Workload w = open_loop({{0, 10, 9}});
  const RunResult run = simulate(w, speculating(64, 3, 1.0), 100, 16, 10, 1);
  const RequestState& r = run.requests[0];
  CHECK(ms(r.first_token_ns) == 20);
  CHECK(ms(r.completion_ns) == 48);
  CHECK(r.generated_tokens == 9);
  CHECK(run.steps == 3);
  REQUIRE(run.itl.size() == 2);
  CHECK(ms(run.itl[0].gap_ns) == 14);
  CHECK(ms(run.itl[1].gap_ns) == 14);
  CHECK(run.spec_accepted_histogram == std::vector<int64_t>{0, 0, 0, 2});
  const RunMetrics m = compute_run_metrics(run, {}, {});
  CHECK(m.tpot_ms.mean == Approx(3.5));
  CHECK(m.itl_ms.count == 2);
  CHECK(m.total_output_tokens == 9);

  const RunResult plain = simulate(w, vllm(64), 100, 16, 10, 1);
  CHECK(ms(plain.requests[0].completion_ns) == 108);
  CHECK(compute_run_metrics(plain, {}, {}).tpot_ms.mean == Approx(11));
}

TEST_CASE("scenario: speculation never emits more than the requested output, and drafts shrink to what is left") {
  // Outputs 7, 2 and 1, all at 0 with prompt 10 (step = 10 ms + 1 ms per new token):
  //   step 1  0 -> 40  three prefills (30 tokens): each its token 1; the 1-token request is done
  //   step 2 40 -> 55  the 2-token request has 1 token left: a plain decode (a draft could never
  //                    be emitted); the 7-token one verifies 1 + 3 (5 tokens): 5 new, done at 55
  //   step 3 55 -> 67  the 7-token request has 2 left: 1 + 1, exactly 7 at 67
  const Workload w = open_loop({{0, 10, 7}, {0, 10, 2}, {0, 10, 1}});
  const RunResult run = simulate(w, speculating(64, 3, 1.0), 100, 16, 10, 1);
  for (const RequestState& r : run.requests) CHECK(r.generated_tokens == r.request.output_tokens);
  CHECK(ms(run.requests[2].completion_ns) == 40);
  CHECK(ms(run.requests[1].completion_ns) == 55);
  CHECK(ms(run.requests[0].completion_ns) == 67);
  CHECK(run.requests[0].spec_draft_tokens == 4);
  CHECK(run.requests[1].spec_draft_tokens == 0);
  const RunMetrics m = compute_run_metrics(run, {}, {});
  CHECK(m.total_output_tokens == 10);
}

TEST_CASE("scenario: with nothing accepted speculation only adds verify rows, and TPOT is worse than without") {
  // a = 0, k = 2, output 5: every verification yields 1 token. After the first token 4 are left:
  // 1 + 2 (13 ms), 1 + 2 (13 ms), then 2 left: 1 + 1 (12 ms), then 1 left: a plain decode (11 ms).
  // TPOT (13 + 13 + 12 + 11) / 4 = 12.25 against 11 for plain decodes.
  const Workload w = open_loop({{0, 10, 5}});
  const RunMetrics spec = compute_run_metrics(simulate(w, speculating(64, 2, 0.0), 100, 16, 10, 1), {}, {});
  const RunMetrics plain = compute_run_metrics(simulate(w, vllm(64), 100, 16, 10, 1), {}, {});
  CHECK(spec.tpot_ms.mean == Approx(12.25));
  CHECK(plain.tpot_ms.mean == Approx(11));
}

TEST_CASE("scenario: with speculation bulk decoding steps aside, so both paths give the same run") {
  const Workload w = open_loop({{0, 30, 200}, {1, 20, 150}, {2, 40, 90}});
  VllmSettings s = speculating(64, 3, 0.6);
  auto run_with = [&](bool bulk) {
    std::vector<Replica> list;
    Replica replica;
    replica.framework = make_framework(s, KvCacheCapacity{1000, 16, 1 << 20, {}}, 0, nullptr, 99);
    replica.cost = std::make_unique<LinearStepCost>(LinearCostParams{10e-3, 1e-3, 0, 0});
    list.push_back(std::move(replica));
    SimulationOptions options;
    options.bulk_decode = bulk;
    options.record_itl_samples = true;
    return Simulation(w, std::move(list), options).run();
  };
  const RunResult bulk = run_with(true);
  const RunResult stepped = run_with(false);
  REQUIRE(bulk.requests.size() == stepped.requests.size());
  for (std::size_t i = 0; i < bulk.requests.size(); ++i) {
    CHECK(bulk.requests[i].completion_ns == stepped.requests[i].completion_ns);
    CHECK(bulk.requests[i].spec_accepted_tokens == stepped.requests[i].spec_accepted_tokens);
  }
  CHECK(bulk.spec_accepted_histogram == stepped.spec_accepted_histogram);
}
