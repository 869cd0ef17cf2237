#include <catch2/catch.hpp>

#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"

using namespace llmpo;

namespace {

StrictMap map_of(const std::string& text) { return StrictMap(load_yaml_string(text, "t.yaml"), "t.yaml", "cfg"); }

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("yaml_reader: a syntax error names the file, line and column") {
  const std::string message = error_of([] { load_yaml_string("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml"); });
  CHECK_THAT(message, Catch::StartsWith("bad.yaml:") && Catch::Contains("YAML syntax error"));
}

TEST_CASE("yaml_reader: typed getters check type and range, with the key's position") {
  StrictMap map = map_of("count: 3\nratio: 0.5\nname: vllm\nflag: true\nbad: x\nneg: -2\nnan: .nan\nfrac: 1.5\n");
  CHECK(map.get_int("count") == 3);
  CHECK(map.get_double("ratio", fraction()) == 0.5);
  CHECK(map.get_string("name") == "vllm");
  CHECK(map.get_bool("flag"));
  CHECK(error_of([&] { map.get_int("bad"); }) == "t.yaml:5:6: cfg.bad: expected an integer, got 'x'");
  CHECK(error_of([&] { map.get_int("neg", positive()); }) ==
        "t.yaml:6:6: cfg.neg: -2 is out of range (must be greater than 0)");
  CHECK_THAT(error_of([&] { map.get_double("nan"); }), Catch::Contains("cfg.nan") && Catch::Contains("not a finite number"));
  CHECK_THAT(error_of([&] { map.get_double("frac", fraction()); }),
             Catch::Contains("t.yaml:8:7: cfg.frac: 1.5 is out of range (must be greater than 0 and at most 1)"));
  CHECK(error_of([&] { map.get_double("count", {0, 2, false}); }) ==
        "t.yaml:1:8: cfg.count: 3 is out of range (must be at least 0 and at most 2)");
}

TEST_CASE("yaml_reader: a fractional value is not an integer") {
  StrictMap map = map_of("n: 2.5\nbig: 1e3\n");
  CHECK(error_of([&] { map.get_int("n"); }) == "t.yaml:1:4: cfg.n: expected an integer, got '2.5'");
  CHECK(map.get_int("big") == 1000);
}

TEST_CASE("yaml_reader: a missing required key names the key path") {
  StrictMap map = map_of("a: 1\n");
  CHECK(error_of([&] { map.get_int("b"); }) == "t.yaml:1:1: cfg.b: missing required key 'b'");
  CHECK_FALSE(map.opt_int("b").has_value());
}

TEST_CASE("yaml_reader: an unknown key is an error with a did-you-mean") {
  StrictMap map = map_of("max_num_seqs: 4\nmax_num_seq: 5\n");
  map.get_int("max_num_seqs");
  CHECK(error_of([&] { map.reject_unknown_keys(); }) ==
        "t.yaml:2:1: cfg.max_num_seq: unknown key 'max_num_seq'; did you mean 'max_num_seqs'?");
  StrictMap other = map_of("zzz: 1\n");
  CHECK(error_of([&] { other.reject_unknown_keys({"alpha", "beta"}); }) ==
        "t.yaml:1:1: cfg.zzz: unknown key 'zzz' (valid: alpha, beta)");
}

TEST_CASE("yaml_reader: a choice is matched case-insensitively and lists the valid values") {
  StrictMap map = map_of("type: VLLM\nkind: statc\n");
  CHECK(map.get_choice("type", {"vllm", "static"}) == "vllm");
  CHECK(error_of([&] { map.get_choice("kind", {"vllm", "static"}); }) ==
        "t.yaml:2:1: cfg.kind: 'statc' is not valid (valid: vllm, static); did you mean 'static'?");
}

TEST_CASE("yaml_reader: a list where a mapping belongs is an error") {
  CHECK(error_of([] { map_of("- a\n- b\n"); }) == "t.yaml:1:1: cfg: expected a mapping of key: value pairs");
}

// yaml-cpp alone keeps one of two values of a repeated key, and reads only the first document of
// a file with `---` separators: both silently drop what the author wrote.
TEST_CASE("yaml_reader: a key written twice in one mapping is an error at its second place") {
  CHECK(error_of([] { load_yaml_string("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n", "dup.yaml"); }) ==
        "dup.yaml:5:3: b.c: this key appears twice in the same mapping (first on line 3); keep one");
  CHECK(error_of([] { load_yaml_string("runs:\n  - {x: 1, x: 2}\n", "dup.yaml"); }) ==
        "dup.yaml:2:12: runs[0].x: this key appears twice in the same mapping (first on line 2); keep one");
  // The same key in two different mappings is fine.
  CHECK(error_of([] { load_yaml_string("a: {x: 1}\nb: {x: 1}\n", "ok.yaml"); }) == "(no error)");
}

TEST_CASE("yaml_reader: a key that is a list or a mapping is an error") {
  CHECK(error_of([] { load_yaml_string("a:\n  [1, 2]: 3\n", "key.yaml"); }) ==
        "key.yaml:2:3: a: a key must be a plain name, not a list or a mapping");
}

TEST_CASE("yaml_reader: a file holding several YAML documents is an error at the second") {
  CHECK(error_of([] { load_yaml_string("a: 1\n---\nb: 2\n---\nc: 3\n", "multi.yaml"); }) ==
        "multi.yaml:3:1: this file holds 3 YAML documents (separated by ---); it must hold one");
  // A leading marker opens the one document; an empty file is an empty document.
  CHECK(load_yaml_string("---\na: 1\n", "one.yaml")["a"].as<int>() == 1);
  CHECK(load_yaml_string("", "empty.yaml").IsNull());
}

// Found by tests/fuzz/fuzz_experiment_yaml: nested aliases (each list repeating the previous one
// nine times) made the key check walk 9^8 nodes and run out of memory. Each list or mapping is
// now checked once; a repeated key inside an anchored mapping is still found.
TEST_CASE("yaml_reader: nested aliases are checked once each, not once per reference") {
  auto nested = [](int levels) {
    std::string text = "l0: &l0 [{x: 1}, {x: 2}]\n";
    for (int level = 1; level <= levels; ++level) {
      text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
      for (int i = 0; i < 9; ++i) text += (i ? ", *l" : "*l") + std::to_string(level - 1);
      text += "]\n";
    }
    return text;
  };
  // 5 levels stand for 9^5 x 5 = 295,245 values, within kMaxYamlExpandedNodes: accepted.
  CHECK(load_yaml_string(nested(5), "aliases.yaml")["l5"].size() == 9);
  // 8 levels stand for 2e8: refused while parsing, before anything could expand them.
  CHECK_THAT(error_of([&] { load_yaml_string(nested(8), "aliases.yaml"); }),
             Catch::Contains("more than 1000000 values once its aliases"));
  CHECK(error_of([] { load_yaml_string("a: &m {x: 1, x: 2}\nb: [*m, *m]\n", "dup.yaml"); }) ==
        "dup.yaml:1:14: a.x: this key appears twice in the same mapping (first on line 1); keep one");
}

TEST_CASE("yaml_reader: a line starting with ',' is a syntax error at it, not an endless stream of empty documents") {
  // yaml-cpp 0.7's LoadAll returns the same empty document forever here (found by fuzzing).
  CHECK(error_of([] { load_yaml_string(",\n", "comma.yaml"); }) ==
        "comma.yaml:1:1: YAML syntax error: unexpected character (a ',' outside [ ] or { }?)");
  CHECK(error_of([] { load_yaml_string(",imulation: {seed: 1}\nhardware: {}\n", "comma.yaml"); }) ==
        "comma.yaml:1:1: YAML syntax error: unexpected character (a ',' outside [ ] or { }?)");
  CHECK(error_of([] { load_yaml_string("a: 1\n---\n, b\n", "comma.yaml"); }) ==
        "comma.yaml:3:1: YAML syntax error: unexpected character (a ',' outside [ ] or { }?)");
}
