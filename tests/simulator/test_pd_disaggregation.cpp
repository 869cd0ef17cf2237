// Prefill/decode disaggregation worked out by hand: every step costs 10 ms + 1 ms per new token,
// KV blocks hold 16 tokens, and the KV link moves 1,000 bytes per token at 1 MB/s after 1 ms, so a
// 20-token prompt's read takes 1 + 20 x 1000 / 1e6 x 1000 = 21 ms.
#include <catch2/catch.hpp>

#include <algorithm>

#include "scenario.hpp"
#include "simulator/core/rng.hpp"
#include "simulator/metrics/run_metrics.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

KvTransferLink test_link() {
  KvTransferLink link;
  link.latency_s = 1e-3;
  link.bandwidth_bytes_per_s = 1e6;
  link.kv_bytes_per_token = 1000;
  return link;
}

// `prefill` replicas of `prefill_blocks` blocks, then `decode` replicas of `decode_blocks`.
RunResult simulate_pd(const Workload& w, int32_t prefill, int64_t prefill_blocks, int32_t decode, int64_t decode_blocks,
                      bool bulk_decode = true) {
  std::vector<Replica> list;
  for (int32_t i = 0; i < prefill + decode; ++i) {
    Replica replica;
    const int64_t blocks = i < prefill ? prefill_blocks : decode_blocks;
    replica.framework = make_framework(vllm(100), KvCacheCapacity{blocks, 16, 1 << 20, {}}, 0);
    replica.cost = std::make_unique<LinearStepCost>(LinearCostParams{10e-3, 1e-3, 0, 0});
    list.push_back(std::move(replica));
  }
  SimulationOptions options;
  options.record_itl_samples = true;
  options.bulk_decode = bulk_decode;
  options.pd = PdOptions{prefill, RouterPolicy::round_robin, test_link()};
  Simulation simulation(w, std::move(list), options);
  return simulation.run();
}

}  // namespace

TEST_CASE("P/D: one request's TTFT is prefill queue + prefill + decode queue + KV transfer + first decode step") {
  // A at 0, prompt 20, output 3. Prefill replica: 0 -> 30 (10 + 20 new tokens); the prefill's own
  // token is not the client's. Decode replica (idle): allocates 2 blocks at 30 and reads the KV,
  // 30 -> 51 (21 ms); then recomputes the last prompt token, 51 -> 62 (10 + 1): first token at 62.
  // Decodes 62 -> 73 -> 84. TTFT 62 = 0 + 30 + 0 + 21 + 11; TPOT (84 - 62) / 2 = 11.
  const RunResult run = simulate_pd(open_loop({{0, 20, 3}}), 1, 100, 1, 100);
  const RequestState& a = run.requests[0];
  const PdTiming& t = run.pd.at(0);
  CHECK(t.prefill_replica == 0);
  CHECK(a.instance == 1);
  CHECK(ms(t.prefill_start_ns) == 0);
  CHECK(ms(t.prefill_end_ns) == 30);
  CHECK(ms(t.transfer_start_ns) == 30);
  CHECK(ms(t.transfer_end_ns) == 51);
  CHECK(t.transfer_bytes == 20'000);
  CHECK(ms(a.first_token_ns) == 62);
  CHECK(ms(a.completion_ns) == 84);
  CHECK(a.generated_tokens == 3);
  // 1 step on the prefill replica (the whole prompt fits the budget), 3 on the decode replica.
  CHECK(run.steps == 4);
  const RunMetrics m = compute_run_metrics(run, {}, {});
  CHECK(m.ttft_ms.mean == Approx(62));
  CHECK(m.tpot_ms.mean == Approx(11));
  REQUIRE(run.itl.size() == 2);
  CHECK(ms(run.itl[0].gap_ns) == 11);
}

TEST_CASE("P/D: the prefill replica holds a request's blocks until the decode side has read them") {
  // Prefill replica of 3 blocks. A at 0 (prompt 20: 2 blocks), B at 1 ms (prompt 20: 2 blocks).
  // A prefills 0 -> 30 and keeps its 2 blocks until its read ends at 51, so B (needing 2 of the 1
  // free) starts only then: 51 -> 81. A decodes 51 -> 62 -> 73 -> 84; B, handed off at 81, waits
  // for that step to end: read 84 -> 105, first decode 105 -> 116.
  // B: prefill queue 50, prefill 30, decode queue 3, transfer 21, first decode 11: TTFT 115.
  const RunResult run = simulate_pd(open_loop({{0, 20, 3}, {1, 20, 3}}), 1, 3, 1, 100);
  const PdTiming& b = run.pd.at(1);
  CHECK(ms(run.pd.at(0).transfer_end_ns) == 51);
  CHECK(ms(b.prefill_start_ns) == 51);
  CHECK(ms(b.prefill_end_ns) == 81);
  CHECK(ms(b.transfer_start_ns) == 84);
  CHECK(ms(b.transfer_end_ns) == 105);
  CHECK(ms(run.requests[1].first_token_ns) == 116);
  CHECK(ms(run.requests[1].first_token_ns - run.requests[1].request.arrival_ns) == 50 + 30 + 3 + 21 + 11);
}

TEST_CASE("P/D: a request waits in the decode queue while the decode replica's KV is full") {
  // Two prefill replicas (round robin: A on 0, B on 1), both prefill 0 -> 30. The decode replica
  // has 2 blocks: A takes both at 30 (read 30 -> 51, first token 62, done 84); B waits for them:
  // read 84 -> 105, first decode 105 -> 116. B: decode queue 84 - 30 = 54, TTFT 0 + 30 + 54 + 21 + 11.
  const RunResult run = simulate_pd(open_loop({{0, 20, 3}, {0, 20, 3}}), 2, 100, 1, 2);
  const PdTiming& b = run.pd.at(1);
  CHECK(b.prefill_replica == 1);
  CHECK(ms(b.prefill_end_ns) == 30);
  CHECK(ms(run.requests[0].completion_ns) == 84);
  CHECK(ms(b.transfer_start_ns) == 84);
  CHECK(ms(b.transfer_end_ns) == 105);
  CHECK(ms(run.requests[1].first_token_ns) == 116);
  CHECK(ms(run.requests[1].completion_ns) == 138);
}

TEST_CASE("P/D: reads into one decode replica queue on its link in the order they start") {
  // A and B on two prefill replicas end at 30; the decode replica (room for both) starts both reads
  // at 30: A 30 -> 51, B after it 51 -> 72. A runs alone 51 -> 62 (first token) and 62 -> 73; B
  // joins the step after its read: 73 -> 85 (A's third token + B's recompute: 10 + 2).
  const RunResult run = simulate_pd(open_loop({{0, 20, 3}, {0, 20, 3}}), 2, 100, 1, 100);
  CHECK(ms(run.pd.at(0).transfer_end_ns) == 51);
  CHECK(ms(run.pd.at(1).transfer_start_ns) == 30);
  CHECK(ms(run.pd.at(1).transfer_end_ns) == 72);
  CHECK(ms(run.requests[1].first_token_ns) == 85);
}

TEST_CASE("P/D: every request finishes once with all its tokens, and the run repeats exactly") {
  // 300 requests of random lengths on 2 prefill + 3 decode replicas with small caches (decode
  // preemptions happen): conservation, the order of each request's stages, and the TTFT identity.
  Rng rng(7);
  std::vector<RequestSpec> specs;
  double t = 0;
  for (int i = 0; i < 300; ++i) {
    t += rng.uniform01() * 8;
    specs.push_back({t, static_cast<int32_t>(1 + rng.uniform01() * 120), static_cast<int32_t>(1 + rng.uniform01() * 60)});
  }
  const Workload w = open_loop(specs);
  const RunResult run = simulate_pd(w, 2, 40, 3, 30);
  int64_t tokens = 0, expected = 0;
  for (const RequestState& r : run.requests) {
    INFO("request " << r.request.id);
    REQUIRE(r.outcome == RequestOutcome::completed);
    CHECK(r.generated_tokens == r.request.output_tokens);
    tokens += r.generated_tokens;
    expected += r.request.output_tokens;
    const PdTiming& p = run.pd.at(static_cast<std::size_t>(r.request.id));
    CHECK(r.request.arrival_ns <= p.prefill_start_ns);
    CHECK(p.prefill_start_ns < p.prefill_end_ns);
    if (r.request.prompt_tokens >= 2) {
      CHECK(p.prefill_end_ns <= p.transfer_start_ns);
      CHECK(p.transfer_start_ns < p.transfer_end_ns);
      CHECK(p.transfer_end_ns < r.first_token_ns);
      CHECK(p.transfer_bytes == 1000 * int64_t{r.request.prompt_tokens});
    } else {
      CHECK(p.transfer_start_ns == kNeverNs);  // a one-token prompt has nothing to read
      CHECK(p.prefill_end_ns < r.first_token_ns);
    }
    CHECK(r.first_token_ns <= r.completion_ns);
    CHECK(r.instance >= 2);
    CHECK(p.prefill_replica < 2);
  }
  CHECK(tokens == expected);
  // Bulk decoding and stepping agree, and a second run is identical.
  const RunResult stepped = simulate_pd(w, 2, 40, 3, 30, false);
  const RunResult again = simulate_pd(w, 2, 40, 3, 30);
  for (std::size_t i = 0; i < run.requests.size(); ++i) {
    CHECK(run.requests[i].first_token_ns == stepped.requests[i].first_token_ns);
    CHECK(run.requests[i].completion_ns == stepped.requests[i].completion_ns);
    CHECK(run.requests[i].completion_ns == again.requests[i].completion_ns);
    CHECK(run.pd[i].transfer_end_ns == again.pd[i].transfer_end_ns);
  }
  CHECK(run.preemptions == stepped.preemptions);
}
