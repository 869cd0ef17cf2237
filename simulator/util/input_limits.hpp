#pragma once
// Limits checked on raw input text before a parser builds a tree from it, for inputs whose
// shape alone could crash the program rather than merely be wrong.
#include <string>

namespace llmpo {

// JSON nested deeper than this many arrays/objects is rejected. Published config.json files
// nest three or four levels (text_config.rope_scaling); found by fuzzing, a file nested 100,000
// deep overflowed the stack, because nlohmann::json parses iteratively but copies and prints
// values recursively.
inline constexpr int kMaxJsonNesting = 64;

// Throws InputError at the bracket that opens level max_depth + 1. Brackets inside strings do
// not count; the text need not be valid JSON (the parser reports that afterwards).
void check_json_nesting(const std::string& text, const std::string& file,
                        int max_depth = kMaxJsonNesting);

}  // namespace llmpo
