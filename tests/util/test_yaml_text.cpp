// Input that is not well-formed text is an input error at its line and column, before any tree is
// built or copied: bytes that are not UTF-8, NUL bytes, nesting past the limit, aliases that
// expand to millions of nodes or refer to themselves, and YAML merge keys.
#include <catch2/catch.hpp>

#include <string>

#include "simulator/util/input_limits.hpp"
#include "simulator/util/yaml_reader.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

// The error message of parsing `text` as file "t.yaml" (fails the test when it parses).
std::string error_of(const std::string& text) {
  try {
    load_yaml_string(text, "t.yaml");
  } catch (const InputError& error) {
    return error.what();
  }
  FAIL("parsed without an error: " << text);
  return "";
}

// `levels` lists nested in flow style: [[[ x ]]].
std::string nested_lists(int levels) { return "a: " + std::string(levels, '[') + "1" + std::string(levels, ']') + "\n"; }

// An anchor bomb: level 0 holds `width` scalars, each next level `width` aliases of the one before.
std::string alias_bomb(int levels, int width) {
  std::string text = "l0: &l0 [";
  for (int i = 0; i < width; ++i) text += i ? ", x" : "x";
  text += "]\n";
  for (int level = 1; level < levels; ++level) {
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < width; ++i) text += (i ? ", *l" : "*l") + std::to_string(level - 1);
    text += "]\n";
  }
  return text;
}

}  // namespace

TEST_CASE("yaml text: bytes that are not UTF-8 are refused at their line and column") {
  // Latin-1 e-acute (0xE9), a lone continuation byte, a truncated 3-byte sequence, an overlong
  // '/' and a UTF-16 surrogate: none is UTF-8.
  CHECK_THAT(error_of("name: caf\xE9\n"), Contains("t.yaml:1:10: byte 0xE9 is not UTF-8 text"));
  CHECK_THAT(error_of("a: 1\nb: x\x80y\n"), Contains("t.yaml:2:5: byte 0x80 is not UTF-8"));
  CHECK_THAT(error_of("a: \xE2\x82"), Contains("t.yaml:1:4: byte 0xE2"));
  CHECK_THAT(error_of("a: \xC0\xAF\n"), Contains("t.yaml:1:4: byte 0xC0"));
  CHECK_THAT(error_of("a: \xED\xA0\x80\n"), Contains("t.yaml:1:4: byte 0xED"));
  // Multi-byte UTF-8 is text, and columns count characters.
  CHECK(load_yaml_string("name: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n", "t.yaml")["name"].Scalar() ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK_THAT(error_of("a: \xC3\xA9\xFF\n"), Contains("t.yaml:1:5: byte 0xFF"));
}

TEST_CASE("yaml text: a NUL byte is refused, not silently dropped") {
  const std::string text = std::string("name: ab") + '\0' + "cd\n";
  CHECK_THAT(error_of(text), Contains("t.yaml:1:9: a NUL byte"));
}

TEST_CASE("yaml text: nesting deeper than the limit says so, with the limit") {
  CHECK_NOTHROW(load_yaml_string(nested_lists(kMaxYamlNesting - 1), "t.yaml"));  // + the top mapping
  CHECK_THAT(error_of(nested_lists(kMaxYamlNesting)),
             Contains("nested too deep: more than " + std::to_string(kMaxYamlNesting) + " levels"));
  // Block mappings nest too, not only brackets.
  std::string block;
  for (int level = 0; level <= kMaxYamlNesting; ++level) block += std::string(2 * level, ' ') + "k:\n";
  block += std::string(2 * (kMaxYamlNesting + 1), ' ') + "v\n";
  CHECK_THAT(error_of(block), Contains("nested too deep"));
  // 100,000 brackets: refused at the 65th, long before yaml-cpp's own recursion.
  CHECK_THAT(error_of(nested_lists(100000)), Contains("t.yaml:1:") && Contains("nested too deep"));
}

TEST_CASE("yaml text: aliases may repeat values, but not expand past the node limit") {
  // 4 levels of 10: 10,000 values, fine; 7 levels: 10^7, refused while parsing.
  CHECK_NOTHROW(load_yaml_string(alias_bomb(4, 10), "t.yaml"));
  CHECK_THAT(error_of(alias_bomb(7, 10)), Contains("more than 1000000 values once its aliases"));
  // Wide rather than deep: 2 levels of 1,001 make 1,002,001 values.
  CHECK_THAT(error_of(alias_bomb(2, 1001)), Contains("t.yaml:2:") && Contains("aliases"));
}

TEST_CASE("yaml text: an alias inside its own anchor is a cycle, refused") {
  CHECK_THAT(error_of("a: &x [1, *x]\n"), Contains("t.yaml:1:11: this alias (*) refers to the anchor"));
  CHECK_THAT(error_of("a: &m {k: {deeper: [*m]}}\n"), Contains("a cycle"));
  // The same alias after its anchor closed is an ordinary repeat.
  CHECK(load_yaml_string("a: &x [1, 2]\nb: *x\n", "t.yaml")["b"].size() == 2);
}

TEST_CASE("yaml text: merge keys are named as unsupported") {
  const std::string text = "base: &b {preset: H100-SXM}\ngpu1:\n  count: 4\n  <<: *b\n";
  CHECK_THAT(error_of(text), Contains("t.yaml:4:3: gpu1.<<: YAML merge keys (<<) are not supported"));
}

TEST_CASE("yaml text: a standalone value refuses anchors and aliases") {
  CHECK(load_yaml_value("[1, {a: 2}]", "--set x").size() == 2);
  for (const std::string value : {"&a 1", "[&a x, *a]", "{k: &v [1]}", "*nothing"}) {
    INFO(value);
    try {
      load_yaml_value(value, "--set x");
      FAIL("accepted");
    } catch (const InputError& error) {
      const std::string what = error.what();
      // An alias to an undefined anchor is a YAML syntax error before it is an alias.
      CHECK((what.find("not allowed here") != std::string::npos || what.find("YAML syntax error") != std::string::npos));
    }
  }
}
