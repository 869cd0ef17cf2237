// Generic traces that name each row's session and shared prefix (session_id, prefix_id,
// prefix_tokens columns): content identity from the rows, and errors naming file and line.
#include <catch2/catch.hpp>

#include <functional>

#include "simulator/util/error.hpp"
#include "simulator/workload/workload.hpp"
#include "test_paths.hpp"

using namespace llmpo;

namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

std::vector<TraceRow> rows_of(const std::string& text) {
  return read_trace_text(text, "t.csv", TraceFormat::generic, "prompt_tokens", "output_tokens");
}

std::string column_of(const Workload& w, const std::string& key) {
  for (const auto& [name, value] : w.columns)
    if (name == key) return value;
  return "(no column " + key + ")";
}

}  // namespace

TEST_CASE("trace identity: rows share their prefix and continue their session's history") {
  // tests/data/traces/generic_sessions.csv, written by hand for this test:
  //   line 2: chat-1 turn 1, prefix 'system' (40 tokens) + 60 own, 10 out
  //   line 3: no session, prefix 'system' + 20 own, 5 out
  //   line 4: chat-1 turn 2: turn 1's 110 tokens + 40 new, 20 out
  //   line 5: shares nothing
  //   line 6: chat-1 turn 3 (repeats the session's prefix): 170 + 30 new, 8 out
  TraceSpec trace;
  trace.file = llmpo::test::data_dir() + "/traces/generic_sessions.csv";
  trace.format = TraceFormat::generic;
  trace.column_prompt = "prompt_tokens";
  trace.column_output = "output_tokens";
  trace.rows = std::make_shared<const std::vector<TraceRow>>(
      read_trace(trace.file, trace.format, trace.column_prompt, trace.column_output));
  WorkloadSpec spec;
  spec.trace = trace;
  const Workload w = generate_workload(spec, 1, 0);
  REQUIRE(w.requests.size() == 5);
  REQUIRE(w.prompts);
  const PromptTree& tree = *w.prompts;
  const auto& r = w.requests;
  // Requests keep the trace's arrivals; sessions are named but no turn waits for another.
  CHECK(r[2].arrival_ns == 2'000'000'000);
  CHECK(!r[2].follow_up());
  CHECK(w.turn(0).session_id == 0);
  CHECK(w.turn(2).session_id == 0);
  CHECK(w.turn(4).session_id == 0);
  CHECK(w.turn(1).session_id == -1);
  CHECK(w.turn(3).session_id == -1);
  // The shared prefix: the first 40 tokens of requests 0 and 1, and no more.
  CHECK(tree.key_at(r[0].content_node, 40) == tree.key_at(r[1].content_node, 40));
  CHECK(tree.key_at(r[0].content_node, 41) != tree.key_at(r[1].content_node, 41));
  // Turn 2 holds turn 1's prompt and reply (110 tokens), then its own 40.
  CHECK(tree.key_at(r[2].content_node, 110) == tree.key_at(r[0].content_node, 110));
  CHECK(tree.end_tokens(r[2].content_node) == 170);
  CHECK(tree.key_at(r[4].content_node, 170) == tree.key_at(r[2].content_node, 170));
  CHECK(tree.end_tokens(r[4].content_node) == 208);
  // Request 3 shares nothing with anyone.
  for (int i : {0, 1, 2, 4}) CHECK(tree.key_at(r[3].content_node, 1) != tree.key_at(r[static_cast<std::size_t>(i)].content_node, 1));
  // Reusable: 0 + 40 + 110 + 0 + 170 of 100 + 60 + 150 + 50 + 200 = 320 / 560.
  CHECK(column_of(w, "reusable_prompt_share") == "0.5714");
}

TEST_CASE("trace identity: a generic trace without identity columns shares nothing, as before") {
  const std::vector<TraceRow> rows = rows_of("arrival_s,prompt_tokens,output_tokens\n0,10,1\n1,20,2\n");
  CHECK(rows[0].session == -1);
  CHECK(rows[1].prefix == -1);
  WorkloadSpec spec;
  TraceSpec trace;
  trace.rows = std::make_shared<const std::vector<TraceRow>>(rows);
  spec.trace = trace;
  const Workload w = generate_workload(spec, 1, 0);
  CHECK(!w.prompts);
  CHECK(w.requests[1].content_node == kNoPromptNode);
}

TEST_CASE("trace identity: inconsistent sessions and prefixes are errors naming the line") {
  const std::string head = "arrival_s,prompt_tokens,output_tokens,session_id,prefix_id,prefix_tokens\n";
  CHECK(error_of([&] { rows_of(head + "0,100,10,a,,\n1,105,5,a,,\n"); }) ==
        "t.csv:3: prompt_tokens: session 'a' resends its history: this turn's prompt (105 tokens) must hold at "
        "least the previous turn's prompt + output on line 2 (110 tokens)");
  CHECK(error_of([&] { rows_of(head + "0,100,10,,p,40\n1,100,5,,p,50\n"); }) ==
        "t.csv:3: prefix_tokens: prefix 'p' has 50 tokens here but 40 on line 2; one prefix has one length");
  CHECK(error_of([&] { rows_of(head + "0,30,10,,p,40\n"); }) ==
        "t.csv:2: prefix_tokens: '40' is too large; expected a whole number from 1 to 30");
  CHECK(error_of([&] { rows_of(head + "0,100,10,,,40\n"); }) ==
        "t.csv:2: prefix_tokens: prefix_tokens without a prefix_id on this row; give both or neither");
  CHECK(error_of([&] { rows_of(head + "0,100,10,a,p,40\n1,200,5,a,q,40\n"); }) ==
        "t.csv:3: prefix_id: session 'a' started on line 2 with another prefix; a later turn keeps the session's "
        "prefix (leave the cell empty, or repeat it)");
  CHECK(error_of([&] { rows_of("arrival_s,prompt_tokens,output_tokens,prefix_id\n0,100,10,p\n"); }) ==
        "t.csv:1: prefix_tokens: column 'prefix_tokens' is missing: prefix_id (which prefix a row starts with) and "
        "prefix_tokens (how long it is) come together");
}
