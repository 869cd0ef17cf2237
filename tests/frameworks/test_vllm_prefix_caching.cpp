// vLLM V1 automatic prefix caching in the scheduler and in whole simulations: what a cache hit
// does to a request's first step, to KV use, to admission and to a preempted request, and the
// hit rate of shared prefixes. Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <random>

#include "framework_driver.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"
#include "keep_evicted_tier.hpp"
#include "simulator/scenario.hpp"

using namespace llmpo;
using llmpo::test::FrameworkDriver;
using llmpo::test::kMs;
using llmpo::test::kMsNs;

namespace {

VllmSchedulerConfig small_config(int64_t num_gpu_blocks, bool prefix_caching = true) {
  VllmSchedulerConfig c;
  c.max_num_seqs = 8;
  c.max_num_batched_tokens = 64;
  c.block_size = 4;
  c.num_gpu_blocks = num_gpu_blocks;
  c.max_model_len = 1000;
  c.enable_prefix_caching = prefix_caching;
  return c;
}

// One vLLM replica costing base + per new token + per KV token read (attention), in ms.
RunResult simulate_with_kv_cost(const Workload& workload, bool prefix_caching, double base_ms, double per_token_ms,
                                double per_kv_token_ms) {
  VllmSettings settings = test::vllm(2048, 256, 4);
  settings.enable_prefix_caching = prefix_caching;
  Replica replica;
  replica.framework = make_framework(settings, KvCacheCapacity{1000, 4, 1 << 20, {}}, 0);
  replica.cost = std::make_unique<LinearStepCost>(
      LinearCostParams{base_ms * 1e-3, per_token_ms * 1e-3, 0, per_kv_token_ms * 1e-3});
  std::vector<Replica> replicas;
  replicas.push_back(std::move(replica));
  SimulationOptions options;
  options.timeseries_interval_ns = 10 * kMsNs;
  Simulation simulation(workload, std::move(replicas), options);
  return simulation.run();
}

// Turn 1: a 20-token message, a 5-token reply. Turn 2, sent 100 ms after the reply: the whole
// history (25 tokens) + a 10-token message, a 3-token reply.
Workload two_turn_chat() {
  auto tree = std::make_shared<PromptTree>();
  const int32_t user1 = tree->add(kNoPromptNode, 20);
  const int32_t reply1 = tree->add(user1, 5);
  const int32_t user2 = tree->add(reply1, 10);
  const int32_t reply2 = tree->add(user2, 3);
  Workload w = test::open_loop({{0, 20, 5}, {0, 35, 3}});
  auto& r = w.requests;
  r[0].content_node = reply1;
  r[1].content_node = reply2;
  r[1].arrival_ns = kNeverNs;
  w.set_session(0, 0);
  w.set_session(1, 0);
  w.link_turns(0, 1, 100 * kMsNs);
  w.prompts = tree;
  return w;
}

}  // namespace

TEST_CASE("vllm prefix caching: a second chat turn prefills only its new tokens, attention still reading the history") {
  // Step = 10 ms + 1 ms per new token + 0.1 ms per KV token read; blocks of 4 tokens.
  // Turn 1: prefill 20 (kv 20): 10 + 20 + 2 = 32 ms. Decodes with kv 21, 22, 23, 24:
  // 13.1 + 13.2 + 13.3 + 13.4 = 53 ms -> done at 85 ms. Its KV then covers 24 tokens (the last
  // output token is never fed back): 6 full blocks, registered as they filled, reply included.
  // Turn 2 is sent at 185 ms; of its 35 tokens, 24 are cached (block 7, tokens 24..27, holds its
  // new message): 10 + 11 + 3.5 (all 35 tokens are read) = 24.5 ms.
  const Workload w = two_turn_chat();
  const RunResult cached = simulate_with_kv_cost(w, true, 10, 1, 0.1);
  const auto& q = cached.requests;
  CHECK(test::ms(q[0].first_token_ns) == Approx(32));
  CHECK(test::ms(q[0].completion_ns) == Approx(85));
  CHECK(test::ms(q[1].request.arrival_ns) == Approx(185));
  CHECK(q[0].cached_prompt_tokens == 0);
  CHECK(q[1].cached_prompt_tokens == 24);
  CHECK(test::ms(q[1].first_token_ns - q[1].request.arrival_ns) == Approx(24.5));
  // Without prefix caching the whole history is prefilled again: 10 + 35 + 3.5 = 48.5 ms.
  const RunResult uncached = simulate_with_kv_cost(w, false, 10, 1, 0.1);
  const auto& u = uncached.requests;
  CHECK(test::ms(u[1].request.arrival_ns) == Approx(185));
  CHECK(u[1].cached_prompt_tokens == 0);
  CHECK(test::ms(u[1].first_token_ns - u[1].request.arrival_ns) == Approx(48.5));
}

TEST_CASE("vllm prefix caching: two running requests share a system prompt's blocks, counted once") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 8);
  const int32_t user1 = tree.add(system, 6), user2 = tree.add(system, 6);  // 12-token prompts, 2 outputs
  VllmScheduler vllm(small_config(100));
  vllm.use_prompts(&tree);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(12, 2);
  RequestState& b = d.request(12, 2);
  a.request.content_node = user1;
  b.request.content_node = user2;
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  // One step: A computes its 12 tokens, registering S[0,4), S[4,8) and its own block as they are
  // allocated; B, scheduled after A in the same step, finds the system prompt's two blocks
  // (vLLM caches blocks when allocate_slots runs, before their KV is computed).
  REQUIRE(d.step(0));
  CHECK(d.cached(a) == 0);
  CHECK(d.scheduled(a) == 12);
  CHECK(d.cached(b) == 8);
  CHECK(d.scheduled(b) == 4);
  CHECK(a.cached_prompt_tokens == 0);
  CHECK(b.cached_prompt_tokens == 8);
  CHECK(a.allocated_blocks == 3);
  CHECK(b.allocated_blocks == 3);
  CHECK(vllm.stats().kv_used_blocks == 4);  // 2 shared + 1 + 1
  CHECK(vllm.stats().prefix_query_tokens == 24);
  CHECK(vllm.stats().prefix_hit_tokens == 8);
  REQUIRE(d.step(10 * kMs));  // both decode their second token and finish
  CHECK(d.finished(a));
  CHECK(d.finished(b));
  CHECK(vllm.stats().kv_used_blocks == 0);
  CHECK(vllm.idle());
}

TEST_CASE("vllm prefix caching: admission with reserve_full_isl needs no free block for hit blocks in use") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 8);
  const int32_t user1 = tree.add(system, 6), user2 = tree.add(system, 6);
  VllmScheduler vllm(small_config(6));
  vllm.use_prompts(&tree);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(12, 5);
  a.request.content_node = user1;
  REQUIRE(d.admit(a));
  REQUIRE(d.step(0));  // A: 3 blocks, 3 free
  RequestState& b = d.request(12, 2);
  b.request.content_node = user2;
  REQUIRE(d.admit(b));
  // A's decode takes its 4th block: 2 free. B's 12 tokens need 3 blocks, 2 of them A's system
  // prompt (in use, no block spent): 1 <= 2, admitted. Counting all 3 it would wait.
  REQUIRE(d.step(10 * kMs));
  CHECK(d.scheduled(a) == 1);
  CHECK(d.cached(b) == 8);
  CHECK(d.scheduled(b) == 4);
  CHECK(vllm.stats().kv_used_blocks == 5);
}

TEST_CASE("vllm prefix caching: a preempted request re-hits what is left of its own blocks") {
  // 5 blocks of 4 tokens. A and B: 8-token prompts, 8 outputs, nothing shared.
  PromptTree tree;
  const int32_t a_path = tree.add(kNoPromptNode, 16), b_path = tree.add(kNoPromptNode, 16);
  VllmScheduler vllm(small_config(5));
  vllm.use_prompts(&tree);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(8, 8);
  RequestState& b = d.request(8, 8);
  a.request.content_node = a_path;
  b.request.content_node = b_path;
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  REQUIRE(d.step(0));  // both prefill: 2 + 2 blocks, 1 free
  // Step 2: A's decode takes the last block; B's finds none and B, the most recently admitted,
  // is preempted: its two full blocks go to the free queue, still cached ([B1 B0]).
  REQUIRE(d.step(10 * kMs));
  CHECK(d.last_plan().preempted == 1);
  CHECK(b.preemptions == 1);
  // B (9 tokens now) would hit both blocks, but needs 3 blocks taken from the 2 free: it waits
  // while A decodes. A's 13th token (its 6th step) evicts B1, B's tail; A finishes at step 8.
  SimTime now = 20 * kMs;
  for (int step = 3; step <= 8; ++step, now += 10 * kMs) {
    REQUIRE(d.step(now));
    CHECK(d.scheduled(b) == 0);
  }
  CHECK(a.finished());
  // Step 9: B finds B0 (4 tokens) and recomputes the other 5.
  REQUIRE(d.step(now));
  CHECK(d.cached(b) == 4);
  CHECK(d.scheduled(b) == 5);
  CHECK(b.cached_prompt_tokens == 0);  // set at its first scheduling, which hit nothing
  const FrameworkStats stats = vllm.stats();
  CHECK(stats.prefix_query_tokens == 16);
  CHECK(stats.prefix_hit_tokens == 0);
  CHECK(stats.prefix_preempted_query_tokens == 9);
  CHECK(stats.prefix_preempted_hit_tokens == 4);
}

TEST_CASE("vllm prefix caching: enable_prefix_caching false finds no hit and counts no lookup") {
  PromptTree tree;
  const int32_t system = tree.add(kNoPromptNode, 8);
  const int32_t user1 = tree.add(system, 6), user2 = tree.add(system, 6);
  VllmScheduler vllm(small_config(100, false));
  vllm.use_prompts(&tree);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(12, 2);
  RequestState& b = d.request(12, 2);
  a.request.content_node = user1;
  b.request.content_node = user2;
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  REQUIRE(d.step(0));
  CHECK(d.scheduled(b) == 12);
  CHECK(b.cached_prompt_tokens == 0);
  CHECK(vllm.stats().kv_used_blocks == 6);
  CHECK(vllm.stats().prefix_query_tokens == 0);
}

TEST_CASE("vllm prefix caching: blocks found in a host tier extend the hit and count as loaded from the host") {
  // 4 blocks of 4 tokens. A (8 tokens) fills 2 blocks and finishes; B (15 tokens) needs all 4,
  // evicting A's into the tier. C = A's 8 tokens + 4 of its own: no GPU hit, 2 blocks in the host.
  PromptTree tree;
  const int32_t a_path = tree.add(kNoPromptNode, 9), b_path = tree.add(kNoPromptNode, 16);
  const int32_t c_path = tree.add(a_path, 4);
  test::KeepEvictedTier tier;
  VllmScheduler vllm(small_config(4));
  vllm.use_prompts(&tree);
  vllm.set_host_tier(&tier);
  FrameworkDriver d(vllm);
  RequestState& a = d.request(8, 1);
  a.request.content_node = a_path;
  REQUIRE(d.admit(a));
  REQUIRE(d.step(0));
  CHECK(d.finished(a));
  RequestState& b = d.request(15, 1);
  b.request.content_node = b_path;
  REQUIRE(d.admit(b));
  REQUIRE(d.step(10 * kMs));
  CHECK(tier.kept.size() == 2);
  RequestState& c = d.request(12, 1);
  c.request.content_node = c_path;
  REQUIRE(d.admit(c));
  // Chains filled: A's 2 blocks, B's 3 (15 tokens), C's 3 (12 tokens: 2 loaded + its own).
  CHECK(tier.filled_chains == std::vector<int64_t>{2, 3});
  REQUIRE(d.step(20 * kMs));
  CHECK(tier.filled_chains == std::vector<int64_t>{2, 3, 3});
  CHECK(d.cached(c) == 8);
  CHECK(d.scheduled(c) == 4);
  CHECK(c.cached_prompt_tokens == 8);
  CHECK(c.host_loaded_tokens == 8);
}

TEST_CASE("vllm prefix caching: K shared prefixes drawn by a Zipf law hit as often as the closed form says") {
  // N requests, each = one of K 16-token prefixes (popularity p_k ~ 1 / k^s) + its own 5-token
  // message, 2 output tokens; blocks of 4 and a cache that never evicts. Every use of a prefix
  // after its first hits its 4 blocks (the message's block is the request's own): hit tokens =
  // 16 x (N - distinct prefixes drawn), exactly. Over the draws, E[distinct] = sum_k
  // 1 - (1 - p_k)^N, with Var = sum_k q_k (1 - q_k) + sum_{j != k} [(1 - p_j - p_k)^N
  // - (1 - p_j)^N (1 - p_k)^N] (q_k = 1 - (1 - p_k)^N).
  constexpr int K = 50, N = 400;
  constexpr double s = 1.1;
  std::vector<double> p(K);
  double norm = 0;
  for (int k = 0; k < K; ++k) norm += p[k] = 1.0 / std::pow(k + 1, s);
  for (double& x : p) x /= norm;

  auto tree = std::make_shared<PromptTree>();
  std::vector<int32_t> prefix(K);
  for (int k = 0; k < K; ++k) prefix[k] = tree->add(kNoPromptNode, 16);
  std::mt19937_64 rng(17);
  std::discrete_distribution<int> draw(p.begin(), p.end());
  std::vector<test::RequestSpec> specs;
  std::vector<int> drawn;
  for (int i = 0; i < N; ++i) {
    specs.push_back({static_cast<double>(i), 21, 2});
    drawn.push_back(draw(rng));
  }
  Workload w = test::open_loop(specs);
  std::vector<bool> seen(K, false);
  int distinct = 0;
  for (int i = 0; i < N; ++i) {
    w.requests[static_cast<std::size_t>(i)].content_node = tree->add(prefix[drawn[i]], 7);
    if (!seen[drawn[i]]) {
      seen[drawn[i]] = true;
      ++distinct;
    }
  }
  w.prompts = tree;
  const RunResult result = test::simulate(w, test::vllm(2048, 256, 4), 5000, 4, 10, 0.1);
  int64_t hit_tokens = 0;
  for (const RequestState& r : result.requests) {
    REQUIRE(r.outcome == RequestOutcome::completed);
    hit_tokens += r.cached_prompt_tokens;
  }
  CHECK(hit_tokens == 16 * (N - distinct));

  double expected_distinct = 0, variance = 0;
  std::vector<double> q(K);
  for (int k = 0; k < K; ++k) {
    q[k] = 1 - std::pow(1 - p[k], N);
    expected_distinct += q[k];
    variance += q[k] * (1 - q[k]);
  }
  for (int j = 0; j < K; ++j)
    for (int k = 0; k < K; ++k)
      if (j != k) variance += std::pow(1 - p[j] - p[k], N) - std::pow(1 - p[j], N) * std::pow(1 - p[k], N);
  // The drawn sequence is one sample: within 4 standard deviations of the expectation.
  const double expected_hit_rate = 16.0 * (N - expected_distinct) / (21.0 * N);
  const double hit_rate = static_cast<double>(hit_tokens) / (21.0 * N);
  const double tolerance = 4 * 16.0 * std::sqrt(variance) / (21.0 * N);
  CHECK(std::abs(hit_rate - expected_hit_rate) <= tolerance);
  CHECK(tolerance < 0.05);  // the comparison means something: a few percent of a ~0.6 hit rate
}
