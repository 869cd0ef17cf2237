// shorten_yaml_comments must never change what yaml-cpp reads: only comments' words go. Each
// case states the shortened text by hand, and every YAML file of the project is read both ways
// by yaml-cpp and compared node by node, marks (line, column) included.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

#include "fuzz/fuzz_inputs.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/input_limits.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/yaml_comments.hpp"

using namespace llmpo;

namespace {

// The same tree (fuzz::same_yaml_tree: kinds, tags, scalars, keys in order, every node's line and
// column).
void check_reads_the_same(const std::string& text, const std::string& where) {
  INFO(where);
  int64_t budget = 100000;
  CHECK(fuzz::same_yaml_tree(YAML::Load(text), YAML::Load(shorten_yaml_comments(text)), 0, budget));
}

}  // namespace

TEST_CASE("yaml comments: a comment keeps its '#' and one blank before it, nothing else moves") {
  CHECK(shorten_yaml_comments("a: 1      # the source of 1\nb: 2\n") == "a: 1 #\nb: 2\n");
  CHECK(shorten_yaml_comments("# heading words\n  # indented words\nk: v\n") == "#\n  #\nk: v\n");
  // A last line without a line break keeps its length: yaml-cpp reports the end of the text (the
  // mark of m's null value here; found by fuzzing).
  CHECK(shorten_yaml_comments("k: v\t# tab before\r\nm: # last, no line break") == "k: v\t#\r\nm: # last, no line break");
  check_reads_the_same("k:\n  m:\n    # last, no line break", "last line");
  CHECK(shorten_yaml_comments("list: [a, \"b\"]  # note\n") == "list: [a, \"b\"] #\n");
  // '#' not after a blank is content.
  CHECK(shorten_yaml_comments("k: a#b # c\n") == "k: a#b #\n");
  CHECK(shorten_yaml_comments("") == "");
}

TEST_CASE("yaml comments: '#' inside quoted scalars is content") {
  CHECK(shorten_yaml_comments("k: 'a # b' # c\n") == "k: 'a # b' #\n");
  CHECK(shorten_yaml_comments("k: \"a # \\\" # b\" # c\n") == "k: \"a # \\\" # b\" #\n");
  CHECK(shorten_yaml_comments("k: 'it''s # x' # c\n") == "k: 'it''s # x' #\n");
  CHECK(shorten_yaml_comments("- 'a # b'\n- [\"c # d\", 'e # f'] # g\n") == "- 'a # b'\n- [\"c # d\", 'e # f'] #\n");
}

TEST_CASE("yaml comments: block scalars, and from a line it cannot be sure of the rest, are copied as they are") {
  // A block scalar: its '#' lines are content; the scan resumes at the first line indented no
  // more than the indicator's.
  const std::string block = "a: 1 # x\nb: |  # kept\n  # content\n\n  more # content\nc: 2 # y\n";
  CHECK(shorten_yaml_comments(block) == "a: 1 #\nb: |  # kept\n  # content\n\n  more # content\nc: 2 #\n");
  const std::string nested = "s:\n  - k: >-\n      folded # content\n    m: 1 # in the item\n  - n: 2 # z\n";
  CHECK(shorten_yaml_comments(nested) == "s:\n  - k: >-\n      folded # content\n    m: 1 # in the item\n  - n: 2 #\n");
  check_reads_the_same(nested, "nested block");
  // An indicator alone on its line: its content may be indented less than it (found by fuzzing).
  const std::string own_line = "k:\n    >-\n  text # content\nm: 1 # n\n";
  CHECK(shorten_yaml_comments(own_line) == own_line);
  check_reads_the_same(own_line, "indicator on its own line");
  // From here on, the rest of the text: a quoted scalar going on past its line.
  const std::string quoted = "a: 1 # x\nb: 'one\n  # two'\nc: 2 # y\n";
  CHECK(shorten_yaml_comments(quoted) == "a: 1 #\nb: 'one\n  # two'\nc: 2 # y\n");
  // A flow collection going on past its line.
  CHECK(shorten_yaml_comments("a: [1, # x\n  2] # y\n") == "a: [1, # x\n  2] # y\n");
  // A quote that may be plain text or an opening: "[a - 'b, 'c # d']" holds one of each.
  CHECK(shorten_yaml_comments("a: [a - 'b, 'c # d'] # e\nf: 1 # g\n") == "a: [a - 'b, 'c # d'] # e\nf: 1 # g\n");
  CHECK(shorten_yaml_comments("k: &anchor 'v # w' # x\n") == "k: &anchor 'v # w' # x\n");
  // Each of these reads the same both ways.
  check_reads_the_same(block, "block");
  check_reads_the_same(quoted, "quoted");
  check_reads_the_same("a: [1, # x\n  2] # y\n", "flow");
  check_reads_the_same("a: [a - 'b, 'c # d'] # e\nf: 1 # g\n", "flow quotes");
}

TEST_CASE("yaml comments: a \"- \" inside plain text opens nothing; one that starts a node does") {
  // "a - 'b" is a plain key and "'c # d" its quoted value (yaml-cpp takes an unclosed quote to
  // the end of the text): the '#' is content. Found by fuzzing; the scan gives up there.
  const std::string dash_in_key = "- a - 'b: 'c # d\n";
  CHECK(shorten_yaml_comments(dash_in_key) == dash_in_key);
  check_reads_the_same(dash_in_key, "dash in a plain key");
  const std::string fuzzed = "a: e\nk:Ra - ': 'i one\n  two # end\n";
  CHECK(shorten_yaml_comments(fuzzed) == fuzzed);
  check_reads_the_same(fuzzed, "fuzzed");
  // Indicators that start nodes, one after another, still open quotes, and the comment goes.
  const std::string nested = "- - 'a # b' # c\n- ? 'k # l' # m\n  : 'v # w' # x\n";
  CHECK(shorten_yaml_comments(nested) == "- - 'a # b' #\n- ? 'k # l' #\n  : 'v # w' #\n");
  check_reads_the_same(nested, "nested indicators");
  // "-- " is plain text, not an indicator followed by one.
  CHECK(shorten_yaml_comments("-- 'x: 'y # z\n") == "-- 'x: 'y # z\n");
}

TEST_CASE("yaml comments: a comment still ends a multi-line plain scalar") {
  // yaml-cpp reads "one two" here: the comment line in between is kept as a bare '#'.
  const std::string text = "k: one\n  two # end\nm: [x, 'y # z']  # w\n";
  CHECK(shorten_yaml_comments(text) == "k: one\n  two #\nm: [x, 'y # z'] #\n");
  check_reads_the_same(text, "plain");
  // A comment line inside a plain scalar ends it, and what follows is an error, both ways.
  const std::string broken = "k: one\n  # between words\n  two\n";
  CHECK(shorten_yaml_comments(broken) == "k: one\n  #\n  two\n");
  std::string errors[2];
  for (int i = 0; i < 2; ++i) {
    try {
      YAML::Load(i == 0 ? broken : shorten_yaml_comments(broken));
    } catch (const YAML::Exception& error) {
      errors[i] = error.what();
    }
  }
  CHECK(errors[0] == "yaml-cpp: error at line 3, column 3: end of map not found");
  CHECK(errors[1] == errors[0]);
}

TEST_CASE("yaml comments: every YAML file of the project reads the same, node for node") {
  const std::filesystem::path root = std::filesystem::path(LLMPO_TEST_DATA_DIR).parent_path().parent_path();
  int files = 0;
  std::size_t bytes_before = 0, bytes_after = 0;
  for (const char* dir : {"models", "hardware", "experiments", "frameworks", "tests"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / dir)) {
      if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") continue;
      const std::string text = read_text_file(entry.path().string());
      YAML::Node original;
      try {
        check_text_encoding(text, entry.path().string());  // as parse_or_throw does first
        original = YAML::Load(text);
      } catch (const YAML::Exception&) {
        continue;  // the inputs of error tests: not ours to compare
      } catch (const InputError&) {
        continue;
      }
      ++files;
      const std::string shortened = shorten_yaml_comments(text);
      INFO(entry.path().string());
      int64_t budget = 100000;
      CHECK(fuzz::same_yaml_tree(original, YAML::Load(shortened), 0, budget));
      if (entry.path().parent_path().filename() == "library" || entry.path().parent_path().filename() == "gpus" ||
          entry.path().parent_path().filename() == "interconnects") {
        bytes_before += text.size();
        bytes_after += shortened.size();
      }
    }
  }
  CHECK(files > 100);
  // The point of it: comments are most of the model, GPU and interconnect libraries' bytes.
  CHECK(bytes_after < bytes_before / 2);
}
