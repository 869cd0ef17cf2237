#pragma once
// A few top-level keys of a YAML data file, read from its lines without a YAML parse. The data
// libraries (models, GPUs, interconnects) index every file's names this way at start-up and
// parse a file only when a command uses it: yaml-cpp's scanner made parsing all 65 library
// files most of a small run's time.
//
// The scan answers only where it reads the text exactly as yaml-cpp does: keys written at column
// 0 as plain words, each once; a wanted key's value a plain or quoted scalar on its own line, or
// a flow list `[a, "b c", 'd']` of such scalars whose items may continue on indented lines.
// Anything else (a block list, an anchor, a tag, a multi-line scalar, an escape, a tab, a
// document marker, a null) makes it answer "unsure" (nullopt), and the caller parses the file.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmpo {

struct ScannedValue {
  bool is_list = false;
  std::vector<std::string> items;  // the scalar alone when !is_list
};

using ScannedValues = std::map<std::string, ScannedValue>;  // wanted key -> value; absent keys absent

// nullopt when the scan cannot be sure it reads `text` as a YAML parser would.
std::optional<ScannedValues> scan_top_level_values(std::string_view text, const std::vector<std::string>& wanted_keys);

}  // namespace llmpo
