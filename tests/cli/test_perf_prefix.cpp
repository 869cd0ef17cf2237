// `perf`'s prefix benchmark: the multi-turn chat workload it builds (checked turn by turn against
// the sizes) and its twin without content identity, which must differ in nothing else.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "simulator/cli/perf_prefix.hpp"

using namespace llmpo;

namespace {

PrefixBenchmarkSizes small_sizes() {
  PrefixBenchmarkSizes sizes;
  sizes.sessions = 4;
  sizes.turns_per_session = 3;
  sizes.system_prompt_tokens = 50;
  sizes.message_min_tokens = 10;
  sizes.message_max_tokens = 20;
  sizes.output_min_tokens = 5;
  sizes.output_max_tokens = 9;
  return sizes;
}

}  // namespace

TEST_CASE("perf prefix benchmark: each turn's prompt is the system prompt, the whole history and a new message") {
  const PrefixBenchmarkSizes sizes = small_sizes();
  const Workload w = multi_turn_chat_workload(sizes);
  REQUIRE(w.requests.size() == 12);
  REQUIRE(w.prompts);
  const PromptTree& tree = *w.prompts;
  SimTime previous_arrival = 0;
  for (int64_t s = 0; s < 4; ++s) {
    // First turns: ids 0..3, fixed arrivals in order; follow-ups after them, unsent.
    const Request& first = w.requests[static_cast<std::size_t>(s)];
    CHECK(w.turn(s).session_id == s);
    CHECK(w.turn(s).previous_turn == -1);
    CHECK_FALSE(first.follow_up());
    CHECK(first.arrival_ns >= previous_arrival);
    CHECK(first.arrival_ns != kNeverNs);
    previous_arrival = first.arrival_ns;
    int64_t id = s;
    int64_t history_tokens = 50;  // the system prompt
    std::vector<int32_t> path;
    for (int64_t t = 0; t < 3; ++t) {
      const Request& r = w.requests[static_cast<std::size_t>(id)];
      CHECK(r.id == id);
      const SessionTurn turn = w.turn(id);
      CHECK(turn.session_id == s);
      CHECK(r.follow_up() == (t > 0));
      if (t > 0) CHECK(r.arrival_ns == kNeverNs);
      // Prompt = history + a 10..20-token message; output 5..9 tokens; the content path is
      // prompt then output, and starts with the one shared system prompt (node 0).
      const int64_t message = r.prompt_tokens - history_tokens;
      CHECK(message >= 10);
      CHECK(message <= 20);
      CHECK(r.output_tokens >= 5);
      CHECK(r.output_tokens <= 9);
      CHECK(tree.end_tokens(r.content_node) == r.prompt_tokens + r.output_tokens);
      tree.path(r.content_node, path);
      CHECK(path.front() == 0);
      CHECK(tree.length_tokens(0) == 50);
      CHECK(path.size() == static_cast<std::size_t>(1 + 2 * (t + 1)));  // system, then message + reply per turn
      history_tokens = r.prompt_tokens + r.output_tokens;
      if (t < 2) {
        REQUIRE(turn.next_turn >= 4);
        CHECK(w.turn(turn.next_turn).previous_turn == id);
        // The next turn's content extends this one's: its path passes through this reply.
        std::vector<int32_t> next_path;
        tree.path(w.requests[static_cast<std::size_t>(turn.next_turn)].content_node, next_path);
        CHECK(next_path[path.size() - 1] == r.content_node);
        id = turn.next_turn;
      } else {
        CHECK(turn.next_turn == -1);
      }
    }
  }
  // Deterministic: the same sizes build the same requests.
  const Workload again = multi_turn_chat_workload(sizes);
  for (std::size_t i = 0; i < w.requests.size(); ++i) {
    CHECK(again.requests[i].prompt_tokens == w.requests[i].prompt_tokens);
    CHECK(again.requests[i].arrival_ns == w.requests[i].arrival_ns);
    CHECK(again.turns[i].think_ns == w.turns[i].think_ns);
  }
}

TEST_CASE("perf prefix benchmark: the twin without reuse has the same requests, sharing nothing") {
  const Workload w = multi_turn_chat_workload(small_sizes());
  const Workload plain = without_content_identity(w);
  CHECK_FALSE(plain.prompts);
  REQUIRE(plain.requests.size() == w.requests.size());
  for (std::size_t i = 0; i < w.requests.size(); ++i) {
    const Request& a = w.requests[i];
    const Request& b = plain.requests[i];
    CHECK(b.content_node == kNoPromptNode);
    CHECK(b.prompt_tokens == a.prompt_tokens);
    CHECK(b.output_tokens == a.output_tokens);
    CHECK(b.arrival_ns == a.arrival_ns);
    CHECK(b.follow_up() == a.follow_up());
    const auto id = static_cast<int64_t>(i);
    CHECK(plain.turn(id).session_id == w.turn(id).session_id);
    CHECK(plain.turn(id).previous_turn == w.turn(id).previous_turn);
    CHECK(plain.turn(id).next_turn == w.turn(id).next_turn);
    CHECK(plain.turn(id).think_ns == w.turn(id).think_ns);
  }
}

TEST_CASE("perf prefix benchmark: both runs serve every request, only the one with content identity looks up") {
  PrefixBenchmarkSizes sizes = small_sizes();
  sizes.sessions = 30;
  const PrefixBenchmark bench = run_prefix_benchmark(sizes, Libraries::load(), 2);
  CHECK(bench.rounds == 2);
  CHECK(bench.with_reuse.completed == 90);
  CHECK(bench.without_reuse.completed == 90);
  REQUIRE(bench.with_reuse.prefix_cache);
  CHECK_FALSE(bench.without_reuse.prefix_cache);
  // Every request's prompt was queried once.
  int64_t prompts = 0;
  for (const auto& r : multi_turn_chat_workload(sizes).requests) prompts += r.prompt_tokens;
  CHECK(bench.with_reuse.prefix_cache->query_tokens == prompts);
  CHECK(bench.with_reuse.events > 0);
  CHECK(bench.ratio() > 0);
  // The printed text states the sizes it ran and both wall times.
  const std::string text = prefix_benchmark_text(sizes, bench);
  CHECK_THAT(text, Catch::Matchers::Contains("30 multi-turn chat sessions x 3 turns = 90 requests"));
  CHECK_THAT(text, Catch::Matchers::Contains("a 50-token system prompt"));
  CHECK_THAT(text, Catch::Matchers::Contains("each time the least of 2 runs, the two alternating"));
  CHECK_THAT(text, Catch::Matchers::Contains(fmt::format("{:.3f} s wall", bench.without_reuse.wall_s)));
  CHECK_THAT(text, Catch::Matchers::Contains(
                       fmt::format("ratio with / without: {:.2f} wall, {:.2f} CPU", bench.ratio(), bench.cpu_ratio())));
}
