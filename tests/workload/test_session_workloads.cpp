// Workloads with content identity: multi-turn sessions (chat, agent loops) and shared prefixes
// from the experiment file, checked against hand-worked prompts, trees and closed forms.
#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "simulator/core/distributions.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/workload/workload.hpp"

using namespace llmpo;

namespace {

WorkloadSpec parse(const std::string& text) {
  StrictMap root(load_yaml_string(text, "exp.yaml"), "exp.yaml", "");
  StrictMap workload = root.get_map("workload");
  return parse_workload(workload);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

std::string error_of_generation(const WorkloadSpec& spec) {
  try {
    generate_workload(spec, 1, 0);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

std::string column_of(const Workload& w, const std::string& key) {
  for (const auto& [name, value] : w.columns)
    if (name == key) return value;
  return "(no column " + key + ")";
}

// One chat session (constant arrivals: the first at 1 s) of `turns` turns of 100 new prompt
// tokens and 20 output tokens each, 5 s of thinking between turns.
std::string chat_yaml(const std::string& turns, const std::string& extra = "") {
  return "workload:\n"
         "  arrival: {process: constant, rate_per_s: 1}\n"
         "  num_requests: 1\n"
         "  prompt_tokens: {distribution: fixed, value: 100}\n"
         "  output_tokens: {distribution: fixed, value: 20}\n"
         "  sessions: {turns: " + turns + ", think_time_s: 5}\n" + extra;
}

// The root segment a request's tokens start with.
int32_t root_of(const PromptTree& tree, int32_t node) {
  while (tree.parent(node) != kNoPromptNode) node = tree.parent(node);
  return node;
}

}  // namespace

TEST_CASE("session workloads: turns are kept beside the requests, a request outside them is in no session") {
  Workload w;
  w.requests.resize(4);
  for (int64_t i = 0; i < 4; ++i) w.requests[static_cast<std::size_t>(i)].id = static_cast<int32_t>(i);
  // No session yet: every request reads as a first turn of none, and nothing is stored.
  CHECK(w.turns.empty());
  CHECK(w.turn(2).session_id == -1);
  CHECK(w.turn(2).previous_turn == -1);
  w.set_session(0, 9);
  w.set_session(2, 9);
  w.link_turns(0, 2, 7);
  // Request 2 follows 0 (sent 7 ns after 0's reply); 1 and 3 stay outside any session.
  CHECK(w.requests[2].follow_up());
  CHECK_FALSE(w.requests[0].follow_up());
  CHECK_FALSE(w.requests[1].follow_up());
  CHECK(w.turn(0).session_id == 9);
  CHECK(w.turn(0).next_turn == 2);
  CHECK(w.turn(0).previous_turn == -1);
  CHECK(w.turn(2).previous_turn == 0);
  CHECK(w.turn(2).next_turn == -1);
  CHECK(w.turn(2).think_ns == 7);
  CHECK(w.turn(1).session_id == -1);
  CHECK(w.turn(3).session_id == -1);
  CHECK(w.turn(3).think_ns == 0);
  // Only requests that exist can join (a programming error, not an input one).
  CHECK_THROWS_AS(w.set_session(4, 1), InternalError);
  CHECK_THROWS_AS(w.link_turns(3, -1, 0), InternalError);
}

TEST_CASE("session workloads: a 3-turn chat resends its whole history before each new message") {
  const Workload w = generate_workload(parse(chat_yaml("{distribution: fixed, value: 3}")), 7, 0);
  REQUIRE(w.requests.size() == 3);
  REQUIRE(w.prompts);
  const auto& r = w.requests;
  // Turn k's prompt: every earlier message (100) and reply (20), then its own message.
  CHECK(r[0].prompt_tokens == 100);
  CHECK(r[1].prompt_tokens == 100 + 20 + 100);
  CHECK(r[2].prompt_tokens == 220 + 20 + 100);
  for (const Request& q : r) {
    CHECK(q.output_tokens == 20);
    CHECK(w.turn(q.id).session_id == 0);
  }
  // Only the first turn has a fixed arrival; the others wait 5 s after the previous reply.
  CHECK(r[0].arrival_ns == 1'000'000'000);
  CHECK(!r[0].follow_up());
  CHECK(r[1].arrival_ns == kNeverNs);
  CHECK(r[2].arrival_ns == kNeverNs);
  CHECK(r[1].follow_up());
  CHECK(r[2].follow_up());
  CHECK(w.turn(1).think_ns == 5'000'000'000);
  CHECK(w.turn(2).think_ns == 5'000'000'000);
  CHECK(w.turn(0).next_turn == 1);
  CHECK(w.turn(1).previous_turn == 0);
  CHECK(w.turn(1).next_turn == 2);
  CHECK(w.turn(2).previous_turn == 1);
  CHECK(w.turn(2).next_turn == -1);

  // The tree: message 1, reply 1, message 2, reply 2, message 3, reply 3, one path.
  const PromptTree& tree = *w.prompts;
  std::vector<int32_t> path;
  tree.path(r[2].content_node, path);
  REQUIRE(path.size() == 6);
  const std::vector<int64_t> ends = {100, 120, 220, 240, 340, 360};
  for (std::size_t i = 0; i < path.size(); ++i) CHECK(tree.end_tokens(path[i]) == ends[i]);
  CHECK(r[0].content_node == path[1]);
  CHECK(r[1].content_node == path[3]);
  // Turn 3 holds turn 2's 240 tokens (prompt and reply) exactly, then its own.
  CHECK(tree.key_at(r[2].content_node, 240) == tree.key_at(r[1].content_node, 240));
  CHECK(tree.key_at(r[2].content_node, 240) == prefix_key(path[3], 20));
  CHECK(tree.key_at(r[2].content_node, 241) == prefix_key(path[4], 1));

  // A perfect cache reuses 0 + 120 + 240 of the 100 + 220 + 340 prompt tokens.
  CHECK(w.sessions == 1);
  CHECK(column_of(w, "sessions") == "1");
  CHECK(column_of(w, "mean_turns_per_session") == "3.00");
  CHECK(column_of(w, "mean_prompt_tokens") == "220.00");
  CHECK(column_of(w, "reusable_prompt_share") == "0.5455");
  CHECK(column_of(w, "session_kind") == "chat");
  CHECK(column_of(w, "num_requests") == "3");
  CHECK_THAT(w.summary, Catch::StartsWith("3 requests in 1 sessions, mean 3.00 turns (chat sessions, turns "
                                          "fixed(3), think 5 s); session starts constant 1 req/s") &&
                            Catch::Contains("new message fixed(100), prompt mean 220.0 with history") &&
                            Catch::EndsWith("reusable prompt share 54.5%"));
  // Follow-ups arrive after the first turns' span, so no request rate is offered up front.
  CHECK(column_of(w, "offered_rate_per_s").empty());
  CHECK(w.last_fixed_arrival_ns() == 1'000'000'000);
}

TEST_CASE("session workloads: an agent resends its context with tool results and short tool calls") {
  const Workload w = generate_workload(parse(R"(workload:
  arrival: {process: constant, rate_per_s: 1}
  num_requests: 2
  prompt_tokens: {distribution: fixed, value: 1000}
  output_tokens: {distribution: fixed, value: 30}
  sessions:
    kind: agent
    turns: {distribution: fixed, value: 3}
    think_time_s: 0.5
    tool_result_tokens: {distribution: fixed, value: 50}
    tool_call_tokens: {distribution: fixed, value: 10}
)"), 3, 0);
  REQUIRE(w.requests.size() == 6);
  // Session 1 is requests 3..5, laid out after session 0's turns.
  for (int s = 0; s < 2; ++s) {
    const Request* r = &w.requests[static_cast<std::size_t>(3 * s)];
    CHECK(r[0].prompt_tokens == 1000);
    CHECK(r[0].output_tokens == 30);
    CHECK(r[1].prompt_tokens == 1000 + 30 + 50);
    CHECK(r[1].output_tokens == 10);
    CHECK(r[2].prompt_tokens == 1080 + 10 + 50);
    CHECK(r[2].output_tokens == 10);
    CHECK(w.turn(3 * s + 2).think_ns == 500'000'000);
    CHECK(w.turn(3 * s).session_id == s);
  }
  CHECK(w.requests[3].arrival_ns == 2'000'000'000);
  CHECK(column_of(w, "session_kind") == "agent");
}

TEST_CASE("session workloads: think times are drawn from their own stream, one per follow-up") {
  const WorkloadSpec spec = parse(R"(workload:
  arrival: {process: poisson, rate_per_s: 10}
  num_requests: 400
  prompt_tokens: {distribution: uniform, min: 10, max: 50}
  output_tokens: {distribution: uniform, min: 5, max: 15}
  sessions:
    turns: {distribution: uniform, min: 1, max: 9}
    think_time_s: {distribution: exponential, mean: 2}
)");
  const Workload w = generate_workload(spec, 11, 0);
  // Follow-ups in id order take the think-time stream's draws in order.
  Rng rng = stream(11, kThinkTimeStream);
  double sum_s = 0;
  int64_t follow_ups = 0;
  for (const Request& r : w.requests) {
    const SimTime think_ns = w.turn(r.id).think_ns;
    if (!r.follow_up()) {
      CHECK(think_ns == 0);
      continue;
    }
    const double expected_s = sample_exponential(rng, 0.5);
    CHECK(think_ns == duration_to_ns(expected_s));
    sum_s += static_cast<double>(think_ns) * 1e-9;
    ++follow_ups;
  }
  // 400 sessions of 1..9 turns (mean 5): about 1600 follow-ups; their mean within 4 standard
  // errors (2 / sqrt(1600) = 0.05 s) of 2 s.
  REQUIRE(follow_ups > 1400);
  CHECK(sum_s / static_cast<double>(follow_ups) == Approx(2.0).margin(0.2));
  // num_requests counts sessions: 400 first turns, the rest follow-ups.
  CHECK(w.sessions == 400);
  CHECK(static_cast<int64_t>(w.requests.size()) == 400 + follow_ups);
}

TEST_CASE("session workloads: shared prefixes follow the Zipf law p_k = k^-s / H(K, s)") {
  // K = 4, s = 1: H = 25/12, so p = 12/25, 6/25, 4/25, 3/25.
  const Workload w = generate_workload(parse(R"(workload:
  arrival: {process: poisson, rate_per_s: 100}
  num_requests: 20000
  prompt_tokens: {distribution: fixed, value: 30}
  output_tokens: {distribution: fixed, value: 5}
  shared_prefixes: {count: 4, tokens: {distribution: fixed, value: 64}, popularity: zipf}
)"), 5, 0);
  REQUIRE(w.prompts);
  const PromptTree& tree = *w.prompts;
  std::map<int32_t, int64_t> uses;
  for (const Request& r : w.requests) {
    CHECK(r.prompt_tokens == 94);
    ++uses[root_of(tree, r.content_node)];
  }
  REQUIRE(uses.size() == 4);
  // The prefixes are the tree's first four nodes, the most popular first.
  const std::vector<double> pmf = {12.0 / 25, 6.0 / 25, 4.0 / 25, 3.0 / 25};
  double chi_square = 0;
  for (int32_t k = 0; k < 4; ++k) {
    const double expected = 20000 * pmf[static_cast<std::size_t>(k)];
    const double observed = static_cast<double>(uses[k]);
    chi_square += (observed - expected) * (observed - expected) / expected;
  }
  // 3 degrees of freedom: P(chi^2 > 16.27) = 0.001.
  CHECK(chi_square < 16.27);
  // Every prefix is used, so a perfect cache reuses 64 tokens of every request but the first
  // use of each prefix: 64 * (20000 - 4) / (20000 * 94) = 1279744 / 1880000 = 0.68071.
  CHECK(column_of(w, "reusable_prompt_share") == "0.6807");
  CHECK(column_of(w, "shared_prefixes") == "4 prefixes of fixed(64), zipf(s=1)");
}

TEST_CASE("session workloads: uniform popularity picks each prefix equally often") {
  const Workload w = generate_workload(parse(R"(workload:
  arrival: {process: poisson, rate_per_s: 100}
  num_requests: 9000
  prompt_tokens: {distribution: fixed, value: 30}
  output_tokens: {distribution: fixed, value: 5}
  shared_prefixes: {count: 3, tokens: {distribution: uniform, min: 16, max: 512}, popularity: uniform}
)"), 5, 0);
  std::map<int32_t, int64_t> uses;
  for (const Request& r : w.requests) {
    const int32_t root = root_of(*w.prompts, r.content_node);
    CHECK(r.prompt_tokens == w.prompts->end_tokens(root) + 30);
    ++uses[root];
  }
  REQUIRE(uses.size() == 3);
  double chi_square = 0;
  for (const auto& [node, count] : uses) {
    const double deviation = static_cast<double>(count) - 3000.0;
    chi_square += deviation * deviation / 3000.0;
  }
  CHECK(chi_square < 13.82);  // 2 degrees of freedom, P = 0.001
}

TEST_CASE("session workloads: requests with one prefix share exactly its blocks") {
  const Workload w = generate_workload(parse(R"(workload:
  arrival: {process: poisson, rate_per_s: 100}
  num_requests: 50
  prompt_tokens: {distribution: uniform, min: 20, max: 60}
  output_tokens: {distribution: fixed, value: 5}
  shared_prefixes: {count: 2, tokens: {distribution: fixed, value: 40}, popularity: uniform}
)"), 9, 0);
  const PromptTree& tree = *w.prompts;
  // Two requests on the same prefix and two on different ones.
  const Request* a = nullptr;
  const Request* b = nullptr;
  const Request* other = nullptr;
  for (const Request& r : w.requests) {
    const int32_t root = root_of(tree, r.content_node);
    if (a == nullptr) a = &r;
    else if (b == nullptr && root == root_of(tree, a->content_node)) b = &r;
    else if (other == nullptr && root != root_of(tree, a->content_node)) other = &r;
  }
  REQUIRE(b != nullptr);
  REQUIRE(other != nullptr);
  for (int64_t t = 1; t <= 40; ++t) CHECK(tree.key_at(a->content_node, t) == tree.key_at(b->content_node, t));
  CHECK(tree.key_at(a->content_node, 41) != tree.key_at(b->content_node, 41));
  CHECK(tree.key_at(a->content_node, 1) != tree.key_at(other->content_node, 1));
  // In blocks of 16: tokens [0, 16) and [0, 32) are the prefix's; [0, 48) is each request's own.
  std::vector<uint64_t> ka, kb;
  tree.block_keys(a->content_node, a->prompt_tokens, 16, ka);
  tree.block_keys(b->content_node, b->prompt_tokens, 16, kb);
  REQUIRE(ka.size() >= 3);
  REQUIRE(kb.size() >= 3);
  CHECK(ka[0] == kb[0]);
  CHECK(ka[1] == kb[1]);
  CHECK(ka[2] != kb[2]);
}

TEST_CASE("session workloads: prefixes and sessions move no arrival or drawn length") {
  const std::string base = R"(workload:
  arrival: {process: poisson, rate_per_s: 4}
  num_requests: 300
  prompt_tokens: {distribution: lognormal, mean: 300, stdev: 200}
  output_tokens: {distribution: uniform, min: 1, max: 200}
)";
  const Workload plain = generate_workload(parse(base), 21, 0);
  CHECK(!plain.prompts);
  CHECK(column_of(plain, "reusable_prompt_share").empty());
  const Workload prefixed = generate_workload(
      parse(base + "  shared_prefixes: {count: 8, tokens: {distribution: fixed, value: 100}, popularity: zipf, "
                   "exponent: 1.2}\n"), 21, 0);
  REQUIRE(prefixed.requests.size() == plain.requests.size());
  for (std::size_t i = 0; i < plain.requests.size(); ++i) {
    CHECK(prefixed.requests[i].arrival_ns == plain.requests[i].arrival_ns);
    CHECK(prefixed.requests[i].prompt_tokens == plain.requests[i].prompt_tokens + 100);
    CHECK(prefixed.requests[i].output_tokens == plain.requests[i].output_tokens);
  }
  // With sessions of one turn, each session is one request with the same draws.
  const Workload single = generate_workload(
      parse(base + "  sessions: {turns: {distribution: fixed, value: 1}, think_time_s: 3}\n"), 21, 0);
  REQUIRE(single.requests.size() == plain.requests.size());
  for (std::size_t i = 0; i < plain.requests.size(); ++i) {
    CHECK(single.requests[i].arrival_ns == plain.requests[i].arrival_ns);
    CHECK(single.requests[i].prompt_tokens == plain.requests[i].prompt_tokens);
    CHECK(single.requests[i].output_tokens == plain.requests[i].output_tokens);
  }
  CHECK(column_of(single, "reusable_prompt_share") == "0.0000");
}

TEST_CASE("session workloads: generation is identical for the same spec and seed") {
  const WorkloadSpec spec = parse(R"(workload:
  arrival: {process: gamma, rate_per_s: 3, burstiness: 0.5}
  duration_s: 120
  prompt_tokens: {distribution: lognormal, mean: 200, stdev: 150, max: 4000}
  output_tokens: {distribution: lognormal, mean: 150, stdev: 100, max: 1000}
  shared_prefixes: {count: 10, tokens: {distribution: uniform, min: 100, max: 2000}, popularity: zipf}
  sessions: {turns: {distribution: zipf, min: 1, max: 20, exponent: 1.5}, think_time_s: {distribution: lognormal, mean: 20, stdev: 15}}
  over_max_model_len: clip
)");
  const Workload a = generate_workload(spec, 99, 8192);
  const Workload b = generate_workload(spec, 99, 8192);
  REQUIRE(a.requests.size() == b.requests.size());
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    const Request& x = a.requests[i];
    const Request& y = b.requests[i];
    const SessionTurn s = a.turn(x.id), t = b.turn(y.id);
    CHECK(std::tie(x.arrival_ns, x.prompt_tokens, x.output_tokens, x.class_id, x.content_node,
                   x.sent_by_previous_turn, s.session_id, s.previous_turn, s.next_turn, s.think_ns) ==
          std::tie(y.arrival_ns, y.prompt_tokens, y.output_tokens, y.class_id, y.content_node,
                   y.sent_by_previous_turn, t.session_id, t.previous_turn, t.next_turn, t.think_ns));
  }
  REQUIRE(a.prompts->size() == b.prompts->size());
  for (int32_t n = 0; n < a.prompts->size(); ++n) {
    CHECK(a.prompts->parent(n) == b.prompts->parent(n));
    CHECK(a.prompts->end_tokens(n) == b.prompts->end_tokens(n));
  }
  CHECK(a.summary == b.summary);
  CHECK(a.columns == b.columns);
  // Nothing passes the limit, every path matches its request's lengths.
  for (const Request& r : a.requests) {
    CHECK(r.prompt_tokens + r.output_tokens <= 8192);
    CHECK(a.prompts->end_tokens(r.content_node) == r.prompt_tokens + r.output_tokens);
  }
}

TEST_CASE("session workloads: clip ends a session before the turn whose history passes max_model_len") {
  // Five turns of 100 + 20: totals 120, 240, 360, 480, 600. At 500 the fifth is not generated.
  const WorkloadSpec spec = parse(chat_yaml("{distribution: fixed, value: 5}", "  over_max_model_len: clip\n"));
  const Workload w = generate_workload(spec, 1, 500);
  REQUIRE(w.requests.size() == 4);
  CHECK(w.requests[3].prompt_tokens == 460);
  CHECK(w.turn(3).next_turn == -1);
  CHECK(w.sessions_ended_at_max_model_len == 1);
  CHECK(w.turns_dropped_at_max_model_len == 1);
  CHECK(w.clipped_requests == 0);
  CHECK(column_of(w, "sessions_ended_at_max_model_len") == "1");
  CHECK_THAT(w.summary, Catch::Contains("1 sessions ended at max_model_len 500 (1 turns not sent)"));
  // A first turn alone too long is shortened (output to 1, then prompt) and ends its session.
  const Workload tight = generate_workload(spec, 1, 80);
  REQUIRE(tight.requests.size() == 1);
  CHECK(tight.requests[0].output_tokens == 1);
  CHECK(tight.requests[0].prompt_tokens == 79);
  CHECK(tight.clipped_requests == 1);
  CHECK(tight.turns_dropped_at_max_model_len == 4);
  // Without a limit nothing is dropped, and the bound is the fifth turn's 600 tokens exactly.
  CHECK(generate_workload(spec, 1, 0).requests.size() == 5);
  CHECK(max_total_tokens_bound(spec) == 600);
}

TEST_CASE("session workloads: bounds and expected counts hold with sessions and prefixes") {
  const WorkloadSpec spec = parse(R"(workload:
  arrival: {process: poisson, rate_per_s: 10}
  num_requests: 500
  prompt_tokens: {distribution: uniform, min: 1, max: 100}
  output_tokens: {distribution: uniform, min: 1, max: 20}
  shared_prefixes: {count: 3, tokens: {distribution: uniform, min: 10, max: 50}, popularity: uniform}
  sessions: {turns: {distribution: uniform, min: 1, max: 4}, think_time_s: 1}
)");
  // A prefix of at most 50, then up to 4 turns of at most 100 + 20.
  CHECK(max_total_tokens_bound(spec) == 50 + 4 * 120);
  // 500 sessions of 2.5 turns on average.
  CHECK(expected_request_count(spec) == Approx(1250));
  const Workload w = generate_workload(spec, 4, 0);
  int64_t longest = 0;
  for (const Request& r : w.requests) longest = std::max<int64_t>(longest, r.prompt_tokens + r.output_tokens);
  CHECK(longest <= max_total_tokens_bound(spec));
  CHECK(static_cast<double>(w.requests.size()) == Approx(1250).epsilon(0.08));
}

TEST_CASE("session workloads: mistakes in sessions and shared_prefixes name their key and position") {
  const std::string head = "workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 10\n"
                           "  prompt_tokens: {distribution: fixed, value: 10}\n"
                           "  output_tokens: {distribution: fixed, value: 10}\n";
  CHECK(error_of(head + "  sessions: {turns: {distribution: fixed, value: 2}, think_time: 5}\n") ==
        "exp.yaml:6:54: workload.sessions.think_time: unknown key 'think_time'; did you mean 'think_time_s'?");
  CHECK(error_of(head + "  sessions: {turns: {distribution: lognormal, mean: 4, stdev: 2}, think_time_s: 5}\n") ==
        "exp.yaml:6:14: workload.sessions.turns: a lognormal number of turns needs max (at most 10000)");
  CHECK(error_of(head + "  sessions: {turns: {distribution: uniform, min: 1, max: 20000}, think_time_s: 5}\n") ==
        "exp.yaml:6:14: workload.sessions.turns: sessions of up to 20000 turns; at most 10000 are supported");
  CHECK(error_of(head + "  sessions: {turns: {distribution: fixed, value: 2}, think_time_s: -1}\n") ==
        "exp.yaml:6:68: workload.sessions.think_time_s: -1 is out of range (must be at least 0 and at most 1000000000)");
  CHECK(error_of(head + "  sessions: {kind: agent, turns: {distribution: fixed, value: 2}, think_time_s: 1, "
                        "tool_result_tokens: {distribution: fixed, value: 5}}\n") ==
        "exp.yaml:6:13: workload.sessions.tool_call_tokens: missing required key 'tool_call_tokens' (an agent's "
        "turns after the first append a tool result and produce a tool call; give both lengths)");
  CHECK(error_of(head + "  sessions: {turns: {distribution: fixed, value: 2}, think_time_s: 1, "
                        "tool_call_tokens: {distribution: fixed, value: 5}}\n") ==
        "exp.yaml:6:71: workload.sessions.tool_call_tokens: tool_call_tokens applies to kind: agent only (a chat's "
        "turns draw from prompt_tokens and output_tokens)");
  CHECK(error_of(head + "  sessions: {turns: {distribution: fixed, value: 2}, think_time_s: {distribution: "
                        "exponential, mean: 2, stdev: 1}}\n") ==
        "exp.yaml:6:105: workload.sessions.think_time_s.stdev: 'stdev' does not apply to distribution "
        "'exponential' (exponential takes: mean)");
  CHECK(error_of(head + "  shared_prefixes: {count: 4, tokens: {distribution: fixed, value: 10}, popularity: "
                        "uniform, exponent: 1}\n") ==
        "exp.yaml:6:94: workload.shared_prefixes.exponent: 'exponent' does not apply to popularity 'uniform' "
        "(uniform takes: count, tokens)");
  CHECK(error_of(head + "  shared_prefixes: {count: 0, tokens: {distribution: fixed, value: 10}, popularity: "
                        "zipf}\n") ==
        "exp.yaml:6:28: workload.shared_prefixes.count: 0 is out of range (must be at least 1 and at most 1000000)");
  CHECK(error_of("workload:\n  arrival: {process: closed_loop, clients: 4}\n  num_requests: 10\n"
                 "  prompt_tokens: {distribution: fixed, value: 10}\n"
                 "  output_tokens: {distribution: fixed, value: 10}\n"
                 "  sessions: {turns: {distribution: fixed, value: 2}, think_time_s: 1}\n") ==
        "exp.yaml:6:3: workload.sessions: sessions need an open-loop arrival process (it gives the sessions' "
        "first turns; each later turn is sent think_time_s after the previous reply)");
}

TEST_CASE("session workloads: a class with its own shared_prefixes draws only from its own pool") {
  const std::string text = R"(workload:
  arrival: {process: poisson, rate_per_s: 50}
  num_requests: 400
  prompt_tokens: {distribution: fixed, value: 10}
  output_tokens: {distribution: fixed, value: 2}
  shared_prefixes: {count: 2, tokens: {distribution: fixed, value: 100}, popularity: uniform}
  classes:
    - {name: chat, weight: 1}
    - {name: rag, weight: 1, shared_prefixes: {count: 3, tokens: {distribution: fixed, value: 700}, popularity: zipf, exponent: 2}}
)";
  const Workload w = generate_workload(parse(text), 2, 0);
  // The top-level pool's prefixes are nodes 0 and 1, the rag class's 2, 3 and 4.
  std::map<int32_t, int64_t> chat_uses, rag_uses;
  for (const Request& r : w.requests) {
    const int32_t root = root_of(*w.prompts, r.content_node);
    if (r.class_id == 0) {
      CHECK(r.prompt_tokens == 110);
      ++chat_uses[root];
    } else {
      CHECK(r.prompt_tokens == 710);
      ++rag_uses[root];
    }
  }
  CHECK(chat_uses.size() == 2);
  CHECK(chat_uses.begin()->first == 0);
  REQUIRE(rag_uses.size() == 3);
  CHECK(rag_uses.begin()->first == 2);
  // Zipf s = 2 over 3: p = 1, 1/4, 1/9 over H = 49/36, so prefix 1 takes 36/49 = 73% of the class.
  const double rag = static_cast<double>(rag_uses[2] + rag_uses[3] + rag_uses[4]);
  CHECK(static_cast<double>(rag_uses[2]) / rag == Approx(36.0 / 49).margin(0.08));
  CHECK(max_total_tokens_bound(parse(text)) == 712);
  // A top-level pool that every class replaces would never be used.
  std::string all_own = text;
  all_own.replace(all_own.find("{name: chat, weight: 1}"), 23,
                  "{name: chat, weight: 1, shared_prefixes: {count: 1, tokens: {distribution: fixed, value: 5}, "
                  "popularity: uniform}}");
  CHECK(error_of(all_own) ==
        "exp.yaml:6:3: workload.shared_prefixes: every class sets its own shared_prefixes, so this one would never be "
        "used");
}

TEST_CASE("session workloads: a history past what one request may hold is an error, not an overflow") {
  // Turn 2 resends 600M + 1 tokens and adds 600M more: past the 1e9 tokens of one request.
  const WorkloadSpec spec = parse(R"(workload:
  arrival: {process: constant, rate_per_s: 1}
  num_requests: 2
  prompt_tokens: {distribution: fixed, value: 600000000}
  output_tokens: {distribution: fixed, value: 1}
  sessions: {turns: {distribution: fixed, value: 3}, think_time_s: 1}
)");
  CHECK(error_of_generation(spec) ==
        "workload.sessions: session 0 would reach 1200000002 tokens at turn 2, more than the 1000000000 one request "
        "may hold; lower turns or token lengths, or set over_max_model_len: clip");
  // With a limit (clip), the session simply ends after its first turn.
  const Workload clipped = generate_workload(spec, 1, 700'000'000);
  CHECK(clipped.requests.size() == 2);
  CHECK(clipped.turns_dropped_at_max_model_len == 4);
}
