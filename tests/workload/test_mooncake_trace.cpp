// Mooncake traces (JSON Lines with block hash ids): prefix identity from the ids, worked by
// hand on a small text and checked on the published excerpt against an independent count.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/workload/mooncake_trace.hpp"
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

Workload generate(std::vector<TraceRow> rows, const std::string& file = "t.jsonl") {
  WorkloadSpec spec;
  TraceSpec trace;
  trace.file = file;
  trace.format = TraceFormat::mooncake;
  trace.rows = std::make_shared<const std::vector<TraceRow>>(std::move(rows));
  spec.trace = trace;
  return generate_workload(spec, 1, 0);
}

std::string column_of(const Workload& w, const std::string& key) {
  for (const auto& [name, value] : w.columns)
    if (name == key) return value;
  return "(no column " + key + ")";
}

}  // namespace

TEST_CASE("mooncake trace: requests share the full 512-token blocks whose hash ids agree") {
  const Workload w = generate(read_mooncake_trace_text(
      "{\"timestamp\": 0, \"input_length\": 1100, \"output_length\": 10, \"hash_ids\": [7, 8, 9]}\n"
      "{\"timestamp\": 1500, \"input_length\": 1024, \"output_length\": 5, \"hash_ids\": [7, 8]}\n"
      "\n"
      "{\"timestamp\": 2000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [7, 3]}\r\n"
      "{\"timestamp\": 2000, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [4]}\n",
      "t.jsonl"));
  REQUIRE(w.requests.size() == 4);
  REQUIRE(w.prompts);
  const PromptTree& tree = *w.prompts;
  const auto& r = w.requests;
  CHECK(r[1].arrival_ns == 1'500'000'000);
  CHECK(r[0].prompt_tokens == 1100);
  CHECK(r[3].output_tokens == 1);
  // Requests 0 and 1 share blocks 7, 8 (1024 tokens); request 1 has nothing more of its prompt.
  CHECK(tree.key_at(r[1].content_node, 1024) == tree.key_at(r[0].content_node, 1024));
  CHECK(tree.end_tokens(r[1].content_node) == 1029);
  // Request 2 shares block 7 only; its block 3 is partial (88 tokens) and its own.
  CHECK(tree.key_at(r[2].content_node, 512) == tree.key_at(r[0].content_node, 512));
  CHECK(tree.key_at(r[2].content_node, 513) != tree.key_at(r[0].content_node, 513));
  // Request 3's block 4 starts differently from everyone.
  CHECK(tree.key_at(r[3].content_node, 1) != tree.key_at(r[0].content_node, 1));
  // Request 0's partial third block (id 9, 76 tokens) is not shared with anyone: in blocks of
  // 16, request 0 and 1 agree on their first 64 blocks (1024 tokens) only.
  std::vector<uint64_t> a, b;
  tree.block_keys(r[0].content_node, 1100, 16, a);
  tree.block_keys(r[1].content_node, 1024, 16, b);
  REQUIRE(b.size() == 64);
  for (std::size_t i = 0; i < 64; ++i) CHECK(a[i] == b[i]);
  // Reusable: 0 + 1024 + 512 + 0 of 1100 + 1024 + 600 + 512 = 1536 / 3236.
  CHECK(column_of(w, "reusable_prompt_share") == "0.4747");
  CHECK(column_of(w, "trace_format") == "mooncake");
}

TEST_CASE("mooncake trace: the published conversation excerpt reuses what its hash ids say") {
  const std::string path = llmpo::test::traces_dir() + "/mooncake-fast25/conversation_trace_head500.jsonl";
  if (!std::filesystem::is_regular_file(path)) FAIL("the Mooncake excerpt " << path << " is missing");
  std::vector<TraceRow> rows = read_mooncake_trace(path);
  REQUIRE(rows.size() == 500);
  CHECK(rows[0].prompt_tokens == 6758);
  CHECK(rows[0].output_tokens == 500);
  CHECK(rows[0].block_hashes.size() == 14);
  CHECK(rows.back().time_s == 165.0);
  const Workload w = generate(std::move(rows), path);
  // Counted independently (Python over the JSON): 1,166,336 of 7,124,855 prompt tokens lie in
  // full blocks whose ids an earlier request already sent (each id has one parent in this
  // trace, so a seen id means its whole chain was seen).
  CHECK(column_of(w, "reusable_prompt_share") == "0.1637");
  CHECK(column_of(w, "mean_prompt_tokens") == "14249.71");
  CHECK(w.requests.back().arrival_ns == 165'000'000'000);
}

TEST_CASE("mooncake trace: malformed lines are errors naming the file, line and key") {
  const auto read = [](const std::string& text) { return error_of([&] { read_mooncake_trace_text(text, "m.jsonl"); }); };
  const std::string ok = "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n";
  CHECK(read(ok + "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [1]}\n") ==
        "m.jsonl:2: hash_ids: 1 ids for input_length 600; expected one per 512-token block (2)");
  CHECK(read("{\"timestamp\": 9, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n" + ok) ==
        "m.jsonl:2: timestamp: 0 ms is earlier than 9 ms on line 1; the trace must be sorted by timestamp");
  CHECK(read(ok + "{\"timestamp\": 1, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1], \"x\": 2}\n") ==
        "m.jsonl:2: x: unknown key; a Mooncake trace row has timestamp, input_length, output_length, hash_ids");
  CHECK(read("{\"timestamp\": 1, \"input_length\": 10, \"hash_ids\": [1]}\n") ==
        "m.jsonl:1: output_length: missing; a Mooncake trace row has timestamp, input_length, output_length, "
        "hash_ids");
  CHECK(read("{\"timestamp\": -1, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n") ==
        "m.jsonl:1: timestamp: -1 is not an arrival time in milliseconds from 0 to 4000000000000");
  CHECK(read("{\"timestamp\": 0, \"input_length\": 10.5, \"output_length\": 1, \"hash_ids\": [1]}\n") ==
        "m.jsonl:1: input_length: 10.5 is not a token count (a whole number from 0 to 1000000000)");
  CHECK(read("{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [\"a\"]}\n") ==
        "m.jsonl:1: hash_ids: \"a\" is not a block hash id (a non-negative integer)");
  CHECK_THAT(read(ok + "{\"timestamp\": 0,\n"), Catch::StartsWith("m.jsonl:2: not a JSON object ("));
  // A number past a double is nlohmann's out_of_range, not a parse_error: still bad input (fuzzing).
  CHECK_THAT(read("\n1e316\n"), Catch::StartsWith("m.jsonl:2: not a JSON object ("));
  CHECK(read("\n  \n") == "m.jsonl: no requests: the file is empty or has only blank lines");
}

TEST_CASE("mooncake trace: the workload section reads it as format mooncake, without column names") {
  const std::string path = llmpo::test::traces_dir() + "/mooncake-fast25/conversation_trace_head500.jsonl";
  const auto parse = [&](const std::string& extra) {
    const std::string text = "workload:\n  trace: {file: " + path + ", format: mooncake, end_s: 60" + extra + "}\n";
    StrictMap root(load_yaml_string(text, "exp.yaml"), "exp.yaml", "");
    StrictMap workload = root.get_map("workload");
    return parse_workload(workload);
  };
  const WorkloadSpec spec = parse("");
  const Workload w = generate_workload(spec, 1, 0);
  // Rows with timestamp < 60000 ms (162, counted with Python).
  CHECK(w.requests.size() == 162);
  CHECK(w.prompts);
  CHECK(error_of([&] { parse(", column_prompt: x"); }) ==
        "exp.yaml:2:" + std::to_string(48 + path.size()) +
            ": workload.trace.column_prompt: 'column_prompt' does not apply to format 'mooncake' (mooncake takes: "
            "file, rate_scale, start_s, end_s)");
}
