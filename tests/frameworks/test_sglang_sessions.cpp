// SGLang under chat traffic that shares system prompts and resends its history, with a pool small
// enough to evict and retract: every request completes, the scheduler's and radix cache's
// bookkeeping audits clean throughout (the simulation calls check_invariants), and the cache
// serves prompt tokens only when it is on.
#include <catch2/catch.hpp>

#include <memory>

#include "../simulator/scenario.hpp"
#include "simulator/core/rng.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

// An integer uniform in [lo, hi].
int64_t uniform_int(Rng& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng.uniform01() * static_cast<double>(hi - lo + 1));
}

// `sessions` conversations of `turns` turns over 4 shared 200-token system prompts; each turn a
// 20-80 token message and a 50-250 token reply; first turns 2 ms apart, 20 ms think time.
Workload chat(int sessions, int turns, uint64_t seed) {
  auto tree = std::make_shared<PromptTree>();
  std::vector<int32_t> systems;
  for (int i = 0; i < 4; ++i) systems.push_back(tree->add(kNoPromptNode, 200));
  Rng rng(seed);
  Workload w;
  w.classes.push_back({"default", 1.0, {}});
  std::vector<Request> firsts, follow_ups;
  for (int s = 0; s < sessions; ++s) {
    int32_t node = systems[static_cast<std::size_t>(uniform_int(rng, 0, 3))];
    for (int t = 0; t < turns; ++t) {
      Request r;
      const int32_t user = tree->add(node, uniform_int(rng, 20, 80));
      const auto output = static_cast<int32_t>(uniform_int(rng, 50, 250));
      node = tree->add(user, output);
      r.prompt_tokens = static_cast<int32_t>(tree->end_tokens(user));
      r.output_tokens = output;
      r.content_node = node;
      (t == 0 ? firsts : follow_ups).push_back(r);
    }
  }
  // Ids: first turns in arrival order, then the follow-ups, linked within each session.
  for (std::size_t i = 0; i < firsts.size(); ++i) firsts[i].arrival_ns = static_cast<SimTime>(i) * 2 * kMsNs;
  w.requests = firsts;
  w.requests.insert(w.requests.end(), follow_ups.begin(), follow_ups.end());
  for (std::size_t i = 0; i < w.requests.size(); ++i) w.requests[i].id = static_cast<int32_t>(i);
  const auto per_session = static_cast<std::size_t>(turns - 1);
  for (std::size_t s = 0; s < firsts.size(); ++s) {
    int64_t previous = static_cast<int64_t>(s);
    w.set_session(previous, static_cast<int64_t>(s));
    for (std::size_t t = 0; t < per_session; ++t) {
      const auto index = static_cast<int64_t>(firsts.size() + s * per_session + t);
      w.requests[static_cast<std::size_t>(index)].arrival_ns = kNeverNs;
      w.set_session(index, static_cast<int64_t>(s));
      w.link_turns(previous, index, 20 * kMsNs);
      previous = index;
    }
  }
  w.prompts = tree;
  return w;
}

int64_t cached_prompt_tokens(const RunResult& result) {
  int64_t sum = 0;
  for (const RequestState& r : result.requests) sum += r.cached_prompt_tokens;
  return sum;
}

}  // namespace

TEST_CASE("sglang sessions: chat traffic under memory pressure completes with clean bookkeeping") {
  const Workload w = chat(60, 3, 11);
  for (const char* policy : {"fcfs", "lpm"}) {
    SglangSettings settings;
    settings.schedule_policy = policy;
    settings.chunked_prefill_size = 256;
    // 2,000 slots: a few conversations' histories at once (the longest request holds 200 + 3 x 80 + 3 x 250 = 1,190), so
    // the cache evicts and, as new_token_ratio reserves only part of the replies, decode retracts.
    const RunResult result = simulate(w, settings, 2000, 1, 10, 0.01);
    INFO(policy);
    CHECK(result.unsent_requests == 0);
    for (const RequestState& r : result.requests) REQUIRE(r.outcome == RequestOutcome::completed);
    CHECK(result.preemptions > 0);
    CHECK(cached_prompt_tokens(result) > 0);
  }
  SglangSettings off;
  off.disable_radix_cache = true;
  const RunResult uncached = simulate(w, off, 2000, 1, 10, 0.01);
  for (const RequestState& r : uncached.requests) REQUIRE(r.outcome == RequestOutcome::completed);
  CHECK(cached_prompt_tokens(uncached) == 0);
}
