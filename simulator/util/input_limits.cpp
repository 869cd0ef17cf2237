#include "input_limits.hpp"

#include <fmt/format.h>

#include "error.hpp"

namespace llmpo {

void check_json_nesting(const std::string& text, const std::string& file, int max_depth) {
  int depth = 0, line = 1, column = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    }
    if (in_string) {  // only an unescaped quote ends a string
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if ((c == ']' || c == '}') && depth > 0) --depth;
    if ((c == '[' || c == '{') && ++depth > max_depth)
      throw InputError(SourcePos{file, line, column}, "",
                       fmt::format("nested more than {} levels deep (arrays and objects); a "
                                   "config file needs only a few", max_depth));
  }
}

}  // namespace llmpo
