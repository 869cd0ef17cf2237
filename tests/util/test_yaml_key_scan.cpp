// scan_top_level_values reads the name keys of library files without a YAML parse. It must never
// read a value other than yaml-cpp does: every answer it gives is checked against yaml-cpp's
// parse of the same text (the oracle), and texts whose reading is in doubt must be "unsure".
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "simulator/util/data_paths.hpp"
#include "simulator/util/text_file.hpp"
#include "simulator/util/yaml_key_scan.hpp"

using namespace llmpo;

namespace {

const std::vector<std::string> kKeys = {"id", "hf_id", "name", "aliases", "family_names"};

// What yaml-cpp reads for the wanted keys, in the scan's terms (keys absent or null left out).
ScannedValues parsed_values(const std::string& text) {
  const YAML::Node root = YAML::Load(text);
  ScannedValues values;
  for (const auto& key : kKeys) {
    const YAML::Node node = root[key];
    if (!node.IsDefined() || node.IsNull()) continue;
    ScannedValue value;
    value.is_list = node.IsSequence();
    if (value.is_list)
      for (const auto& item : node) value.items.push_back(item.Scalar());
    else
      value.items.push_back(node.Scalar());
    values[key] = value;
  }
  return values;
}

void check_agrees_with_yaml_cpp(const std::string& text) {
  INFO(text);
  const auto scanned = scan_top_level_values(text, kKeys);
  if (!scanned) return;  // unsure is always allowed: the caller parses
  const ScannedValues parsed = parsed_values(text);
  REQUIRE(scanned->size() == parsed.size());
  for (const auto& [key, value] : parsed) {
    INFO(key);
    REQUIRE(scanned->count(key) == 1);
    CHECK(scanned->at(key).is_list == value.is_list);
    CHECK(scanned->at(key).items == value.items);
  }
}

}  // namespace

TEST_CASE("yaml key scan: every shipped library file is read by the scan, exactly as yaml-cpp reads it") {
  // All 65 shipped files must scan: a file the scan is unsure of is parsed at every start-up.
  int files = 0;
  for (const std::string& dir : {model_library_dir(), gpu_library_dir(), interconnect_dir()}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".yaml") continue;
      ++files;
      const std::string text = read_text_file(entry.path().string());
      INFO(entry.path().string());
      REQUIRE(scan_top_level_values(text, kKeys).has_value());
      check_agrees_with_yaml_cpp(text);
    }
  }
  CHECK(files == 42 + 16 + 6);
}

TEST_CASE("yaml key scan: plain, quoted and flow-list values read as yaml-cpp reads them") {
  const std::string text =
      "# a comment before the keys\n"
      "id: Llama-Test   # trailing comment\n"
      "hf_id: 'org/it''s-a-model'\n"
      "name: \"NVIDIA H100 # not a comment\"\n"
      "aliases: [llama:test, \"Llama Test 8B\", 'q''uote', a#b,\n"
      "          org/Llama-Test-Instruct]\n"
      "family_names: []\n"
      "notes: >-\n"
      "  id: not a key, indented inside a block scalar\n"
      "architecture:\n"
      "  id: nested, not top level\n";
  const auto scanned = scan_top_level_values(text, kKeys);
  REQUIRE(scanned.has_value());
  // Worked out by hand from the YAML rules: '' is a quote inside '...', # needs a space before
  // it to start a comment, a flow list continues on an indented line.
  CHECK(scanned->at("id").items == std::vector<std::string>{"Llama-Test"});
  CHECK(scanned->at("hf_id").items == std::vector<std::string>{"org/it's-a-model"});
  CHECK(scanned->at("name").items == std::vector<std::string>{"NVIDIA H100 # not a comment"});
  CHECK(scanned->at("aliases").is_list);
  CHECK(scanned->at("aliases").items ==
        std::vector<std::string>{"llama:test", "Llama Test 8B", "q'uote", "a#b", "org/Llama-Test-Instruct"});
  CHECK(scanned->at("family_names").is_list);
  CHECK(scanned->at("family_names").items.empty());
  check_agrees_with_yaml_cpp(text);
}

TEST_CASE("yaml key scan: forms it cannot be sure of are left to the parser") {
  const std::vector<std::string> unsure = {
      "id: a\naliases:\n  - b\n  - c\n",           // a block list
      "id: a\naliases:\n- b\n",                     // a block list at column 0
      "id: first\n  continued\n",                   // a plain scalar over two lines
      "id: \"esc\\taped\"\n",                       // an escape
      "id: &anchor a\nname: *anchor\n",             // an anchor and an alias
      "id: !!str a\n",                              // a tag
      "id: ~\n",                                    // null
      "id: null\n",                                 // null
      "id: a\nid: b\n",                             // a duplicate key (the parser's error)
      "---\nid: a\n",                               // a document marker
      "id: a\n---\nid: b\n",                        // a second document
      "id:\ta\n",                                   // a tab
      "id: a\r\n",                                  // a carriage return
      "  id: a\n",                                  // an indented document
      "id: [a, b\n",                                // an unclosed list
      "aliases: [a, b,]\nid: a\n",                  // a trailing comma
      "aliases: [a, [b]]\nid: a\n",                 // a nested list
      "aliases: [a: b]\nid: a\n",                   // a pair in a list
      "aliases: [a, # comment\n  b]\nid: a\n",      // a comment inside a list
      "notes: \"a multi-line\nid: fake\"\nid: a\n",  // a quoted value whose next line is at column 0
      "id: a: b\n",                                 // a nested mapping
      "\"id\": a\n",                                // a quoted key
      "? id\n: a\n",                                // a complex key
      "id: caf\xC3\xA9\n",                          // non-ASCII text
  };
  for (const auto& text : unsure) {
    INFO(text);
    CHECK_FALSE(scan_top_level_values(text, kKeys).has_value());
  }
}

TEST_CASE("yaml key scan: whatever it reads agrees with yaml-cpp") {
  const std::vector<std::string> texts = {
      "id: a\n",
      "id: a b c\n",
      "id: 'a b'   \n",
      "id: \"\"\nname: x\n",
      "id: a\nhf_id: org/name\naliases: [x, 'y', \"z\"]\n",
      "id: 123\naliases: [1.5, true, no]\n",
      "notes: \"quoted\n  over two lines\"\nid: a\n",
      "other: [1, 2,\n  3]\nid: a\n",
      "other: {k: v, w: [1, 2]}\nid: a\n",
      "other: it's plain\nid: a\n",
      "id: a\n\n\n# comment\nname: b # c\n",
      "id: a\nnested:\n  id: b\n  aliases: [c]\n",
      "id: a\naliases: [ x ,  y ]\n",
      "id: a\naliases: [x,\n\n  y]\n",
      "text: |\n  id: inside a literal block\nid: a\n",
  };
  for (const auto& text : texts) check_agrees_with_yaml_cpp(text);
  // Some of them must be read, not just refused: the comparison above is then not vacuous.
  CHECK(scan_top_level_values("id: a b c\n", kKeys)->at("id").items == std::vector<std::string>{"a b c"});
  CHECK(scan_top_level_values("notes: \"quoted\n  over two lines\"\nid: a\n", kKeys)->at("id").items ==
        std::vector<std::string>{"a"});
  CHECK(scan_top_level_values("id: 123\naliases: [1.5, true, no]\n", kKeys)->at("aliases").items ==
        std::vector<std::string>{"1.5", "true", "no"});
}

TEST_CASE("read_text_file: the bytes of a file, and a clear error for a missing one") {
  const std::string path = (std::filesystem::temp_directory_path() / "llmpo-read-text-file-test.bin").string();
  const std::string bytes = std::string("line one\n") + '\0' + "after a NUL\n" + std::string(70000, 'x');
  {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    REQUIRE(out != nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fclose(out);
  }
  CHECK(read_text_file(path) == bytes);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(read_text_file(path), path + ": cannot open file");
  CHECK_THROWS_WITH(read_text_file("/tmp"), "/tmp: cannot open file");
}
