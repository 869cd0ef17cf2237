// Experiment files and --set values that are not well-formed text, through the command line:
// `validate` refuses them with exit 2 at file:line (before, `run` crashed in the JSON writer on a
// Latin-1 name, a self-referring --set alias overflowed the stack and an anchor bomb took 3 GB).
#include <catch2/catch.hpp>

#include <string>

#include "experiment_helpers.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

const char* kBase = R"(name: text
simulation:
  seed: 2
hardware:
  gpu0: {preset: A100-80GB-SXM, count: 4}
workload:
  arrival: {process: constant, rate_per_s: 5}
  num_requests: 10
  prompt_tokens: {distribution: fixed, value: 64}
  output_tokens: {distribution: fixed, value: 8}
frameworks_to_test:
  - name: vllm-a
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
)";

std::string replaced(const std::string& from, const std::string& to) { return with_edits(kBase, {{from, to}}); }

// `validate` (or `run`, into the folder's out/) with --set values.
Checked check(const std::string& text, const std::vector<std::string>& sets = {}, const std::string& command = "validate") {
  if (command == "validate") {
    std::vector<std::string> extra;
    for (const auto& set : sets) extra.insert(extra.end(), {"--set", set});
    return validate_text(text, "malformed", extra);
  }
  const std::string dir = fresh_dir("malformed");
  Checked out{write_file(dir, "exp.yaml", text), {}};
  std::vector<std::string> args = {command, out.file, "--out", dir + "/out"};
  for (const auto& set : sets) args.insert(args.end(), {"--set", set});
  out.run = run_cli_args(args);
  return out;
}

// A --set value of `levels` nested lists of ten aliases each: 10^levels values.
std::string set_bomb(int levels) {
  std::string value = "[&a0 [x, x, x, x, x, x, x, x, x, x]";
  for (int level = 1; level < levels; ++level) {
    value += ", &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) value += (i ? ", *a" : "*a") + std::to_string(level - 1);
    value += "]";
  }
  return value + "]";
}

}  // namespace

TEST_CASE("malformed input: a name that is not UTF-8 is refused by validate and by run") {
  for (const std::string command : {"validate", "run"}) {
    const Checked c = check(replaced("name: vllm-a", "name: vllm-\xF6\xE4"), {}, command);
    INFO(c.run.err);
    CHECK(c.run.code == 2);
    CHECK_THAT(c.run.err, Contains(c.file + ":12:16: byte 0xF6 is not UTF-8 text"));
  }
  // A non-UTF-8 byte in a comment is refused too: the file as a whole must be text.
  CHECK(check(std::string(kBase) + "# caf\xE9\n").run.code == 2);
}

TEST_CASE("malformed input: a NUL byte in a name or value is refused") {
  const Checked c = check(replaced("name: text", std::string("name: te") + '\0' + "xt"));
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains(c.file + ":1:9: a NUL byte"));
  const Checked set = check(kBase, {std::string("frameworks_to_test[0].name=a") + '\0' + "b"});
  CHECK(set.run.code == 2);
  CHECK_THAT(set.run.err, Contains("--set frameworks_to_test[0].name: a NUL byte"));
  const Checked latin1 = check(kBase, {"description=\xA9 2026"});
  CHECK(latin1.run.code == 2);
  CHECK_THAT(latin1.run.err, Contains("--set description: byte 0xA9 is not UTF-8 text"));
}

TEST_CASE("malformed input: --set values refuse anchors and aliases, cyclic or not") {
  for (const std::string value : {"[&n x, *n]", "{a: &s [1, [*s]]}", "&only 4"}) {
    INFO(value);
    const Checked c = check(kBase, {"workload.num_requests=" + value});
    CHECK(c.run.code == 2);
    CHECK_THAT(c.run.err, Contains("--set workload.num_requests: anchors and aliases (&name, *name) are not allowed here"));
  }
  const Checked bomb = check(kBase, {"description=" + set_bomb(8)});  // 10^8 values
  CHECK(bomb.run.code == 2);
  CHECK_THAT(bomb.run.err, Contains("--set description: anchors and aliases"));
  // Plain values still work.
  CHECK(check(kBase, {"workload.num_requests=12", "description=plain text, no anchors"}).run.code == 0);
}

TEST_CASE("malformed input: anchor bombs, cycles, deep nesting and merge keys in files are named") {
  // 10^7 values from 7 levels of aliases, as the value of an ignored-looking key.
  std::string bomb = "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int level = 1; level < 7; ++level) {
    bomb += "x" + std::to_string(level) + ": &x" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *x" : "*x") + std::to_string(level - 1);
    bomb += "]\n";
  }
  const Checked many = check(std::string(kBase) + "description:\n  " + [&] {
    std::string indented;
    for (char c : bomb) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return indented;
  }());
  CHECK(many.run.code == 2);
  CHECK_THAT(many.run.err, Contains(many.file + ":") && Contains("more than 1000000 values once its aliases"));

  const Checked cycle = check(std::string(kBase) + "description: &d {note: [*d]}\n");
  CHECK(cycle.run.code == 2);
  CHECK_THAT(cycle.run.err, Contains(cycle.file + ":15:25: this alias (*) refers to the anchor"));

  std::string deep = "description: ";
  for (int i = 0; i < 500; ++i) deep += "{a: ";
  deep += "1" + std::string(500, '}') + "\n";
  const Checked nested = check(std::string(kBase) + deep);
  CHECK(nested.run.code == 2);
  CHECK_THAT(nested.run.err, Contains(nested.file + ":15:") && Contains("nested too deep: more than 64 levels"));

  const Checked merge = check(replaced("  gpu0: {preset: A100-80GB-SXM, count: 4}",
                                       "  gpu0: &g {preset: A100-80GB-SXM, count: 4}\n  gpu1: {<<: *g, count: 2}"));
  CHECK(merge.run.code == 2);
  CHECK_THAT(merge.run.err, Contains(merge.file + ":6:10: hardware.gpu1.<<: YAML merge keys (<<) are not supported"));
}
