// The one-pass read (yaml_single_pass.hpp) takes only the texts it can vouch for, and whatever it
// leaves to the two-pass read is reported exactly as before.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "simulator/util/input_limits.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/yaml_comments.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/util/yaml_single_pass.hpp"

using namespace llmpo;

namespace {

bool one_pass(const std::string& text) { return load_plain_block_document(text).has_value(); }

std::string error_of(const std::string& text) {
  try {
    load_yaml_string(text, "t.yaml");
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

// `levels` block mappings, each indented two more than the one before, around a scalar.
std::string nested_block_maps(int levels) {
  std::string text;
  for (int level = 0; level < levels; ++level) text += std::string(2 * level, ' ') + "k:\n";
  return text + std::string(2 * levels, ' ') + "v\n";
}

}  // namespace

TEST_CASE("yaml single pass: a plain block mapping is read in one pass, as YAML::Load reads it") {
  const std::string text = "a: 1\nb:\n  c: [1, 2]\n  d: {e: f}\nlist:\n- x\n- y: 2\n";
  const auto document = load_plain_block_document(text);
  REQUIRE(document.has_value());
  CHECK(YAML::Dump(*document) == YAML::Dump(YAML::Load(text)));
  CHECK((*document)["b"]["c"][1].as<int>() == 2);
  CHECK((*document)["list"][1]["y"].Mark().line == 6);  // marks kept for errors
}

TEST_CASE("yaml single pass: texts it cannot vouch for are left to the two-pass read") {
  // Aliases are walked again: within the node limit they stay in one pass; a cycle or a bomb
  // reaches the limit and leaves.
  CHECK(one_pass("a: &x [1, 2]\nb: *x\nc: x*y & z\n"));
  CHECK_FALSE(one_pass("a: &x [1, *x]\n"));
  std::string bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 7; ++level) {
    bomb += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *l" : "*l") + std::to_string(level - 1);
    bomb += "]\n";
  }
  CHECK_FALSE(one_pass(bomb));
  CHECK_FALSE(one_pass("a: 1\n---\nb: 2\n"));        // a second document
  CHECK_FALSE(one_pass("---\na: 1\n"));              // any document marker
  CHECK_FALSE(one_pass("a: 1\n...\n"));
  CHECK_FALSE(one_pass("%YAML 1.2\n---\na: 1\n"));   // a directive
  CHECK_FALSE(one_pass("a: 1\r---\rb: 2\r"));        // old Mac line breaks start lines too
  CHECK_FALSE(one_pass("\xEF\xBB\xBF" "a: 1\n"));    // a byte-order mark
  CHECK_FALSE(one_pass("{a: 1}\n"));                 // a flow mapping may be followed by anything
  CHECK_FALSE(one_pass("- a\n"));                    // so may a sequence
  CHECK_FALSE(one_pass("a\n"));                      // or a scalar
  CHECK_FALSE(one_pass(""));                         // an empty document
  CHECK_FALSE(one_pass("  a: 1\nb: 2\n"));           // a mapping not at column 0 ends at "b"
  CHECK_FALSE(one_pass("a: 1\n- b\n"));              // a syntax error
  CHECK_FALSE(one_pass("a: 1\n,b: 2\n"));
  // Nesting at the limit: the tree is counted, and the two-pass read names the place.
  CHECK(one_pass(nested_block_maps(kMaxYamlNesting)));
  CHECK_FALSE(one_pass(nested_block_maps(kMaxYamlNesting + 1)));
  CHECK_FALSE(one_pass("a: " + std::string(5000, '[') + std::string(5000, ']') + "\n"));  // yaml-cpp's own guard
}

TEST_CASE("yaml single pass: what it leaves is reported as the two-pass read always has") {
  // The mapping at column 2 ends where "b" starts: two documents, not a silently dropped key.
  CHECK(error_of("  a: 1\nb: 2\n") == "t.yaml:2:1: this file holds 2 YAML documents (separated by ---); it must hold one");
  CHECK(error_of("a: 1\n---\nb: 2\n") == "t.yaml:3:1: this file holds 2 YAML documents (separated by ---); it must hold one");
  // The 65th mapping (the 64th inside the top one) starts on line 65, indented 128.
  CHECK(error_of(nested_block_maps(kMaxYamlNesting + 1)) ==
        "t.yaml:65:129: nested too deep: more than 64 levels of lists and mappings");
  CHECK(error_of("a: 1\n,b: 2\n") != "(no error)");
  CHECK(error_of("a: &x [1, *x]\n") ==
        "t.yaml:1:11: this alias (*) refers to the anchor (&) of a list or mapping that contains it: a cycle, which has no value");
  CHECK(error_of("a: 1\nb: 2\na: 3\n") ==
        "t.yaml:3:1: a: this key appears twice in the same mapping (first on line 1); keep one");
}

TEST_CASE("yaml single pass: every shipped experiment and library file is read in one pass") {
  // Start-up speed: a file that falls back to two passes costs twice its parse.
  const std::filesystem::path root = std::filesystem::path(LLMPO_TEST_DATA_DIR) / ".." / "..";
  int files = 0;
  for (const char* folder : {"experiments", "hardware/gpus", "hardware/interconnects", "models/library"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / folder)) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string text = shorten_yaml_comments(read_text_file(entry.path().string()));
      INFO(entry.path().string());
      CHECK(one_pass(text));
      ++files;
    }
  }
  CHECK(files > 80);
}
