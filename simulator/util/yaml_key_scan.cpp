#include "yaml_key_scan.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace llmpo {

namespace {

using Lines = std::vector<std::string_view>;

// Where the scan stands: a line of the text and a column in it.
struct Cursor {
  const Lines& lines;
  std::size_t line = 0;
  std::size_t col = 0;
  std::string_view text() const { return lines[line]; }
};

Lines split_lines(std::string_view text) {
  Lines lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool blank_or_comment(std::string_view line) {
  const std::size_t first = line.find_first_not_of(' ');
  return first == std::string_view::npos || line[first] == '#';
}

// Only spaces, then optionally a comment (which YAML wants set off by a space), from `pos` on.
bool rest_is_blank_or_comment(std::string_view line, std::size_t pos) {
  std::size_t k = pos;
  while (k < line.size() && line[k] == ' ') ++k;
  return k == line.size() || (line[k] == '#' && k > pos);
}

// Plain scalars YAML reads as null (yaml-cpp's IsNull), not as text.
bool is_null_word(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// Characters that give a plain scalar's first character another meaning (YAML 1.2 c-indicator),
// or, in the middle of one, make the scan unsure of where it ends.
bool is_indicator(char c) { return std::string_view("-?:,[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos; }
bool is_flow_bracket(char c) { return c == '[' || c == ']' || c == '{' || c == '}'; }
bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

std::string_view trim_right(std::string_view text) {
  const std::size_t last = text.find_last_not_of(' ');
  return last == std::string_view::npos ? std::string_view() : text.substr(0, last + 1);
}

// A quoted scalar closed on its own line; `pos` is at the quote and ends past the closing one.
// Escapes (\n, \x41) and non-ASCII text are left to the parser.
std::optional<std::string> quoted_scalar(std::string_view line, std::size_t& pos) {
  const char quote = line[pos];
  std::string value;
  for (std::size_t k = pos + 1; k < line.size(); ++k) {
    const char c = line[k];
    if (!is_ascii(c) || (quote == '"' && c == '\\')) return std::nullopt;
    if (c != quote) {
      value += c;
    } else if (quote == '\'' && k + 1 < line.size() && line[k + 1] == '\'') {
      value += '\'';  // '' is a single quote inside '...'
      ++k;
    } else {
      pos = k + 1;
      return value;
    }
  }
  return std::nullopt;  // continues on the next line
}

// A plain scalar that is a top-level key's whole value, up to a comment or the line's end.
std::optional<std::string> plain_block_scalar(std::string_view line, std::size_t pos) {
  if (is_indicator(line[pos])) return std::nullopt;
  std::size_t end = line.size();
  for (std::size_t k = pos; k < line.size(); ++k) {
    const char c = line[k];
    if (c == '#' && line[k - 1] == ' ') {
      end = k;
      break;
    }
    if (!is_ascii(c) || is_flow_bracket(c) || c == ',') return std::nullopt;
    if (c == ':' && (k + 1 == line.size() || line[k + 1] == ' ')) return std::nullopt;  // a mapping
  }
  const std::string_view value = trim_right(line.substr(pos, end - pos));
  if (is_null_word(value)) return std::nullopt;
  return std::string(value);
}

// A plain item of a flow list, ended by ',' or ']' on the same line; `pos` moves to that character.
std::optional<std::string> plain_flow_item(std::string_view line, std::size_t& pos) {
  if (is_indicator(line[pos])) return std::nullopt;
  std::size_t k = pos;
  for (; k < line.size() && line[k] != ',' && line[k] != ']'; ++k) {
    const char c = line[k];
    if (!is_ascii(c) || is_flow_bracket(c) || (c == '#' && line[k - 1] == ' ')) return std::nullopt;
    if (c == ':' && (k + 1 == line.size() || line[k + 1] == ' ' || line[k + 1] == ',' || line[k + 1] == ']'))
      return std::nullopt;  // a key: value pair inside the list
  }
  if (k == line.size()) return std::nullopt;  // the item goes on past the line
  const std::string_view value = trim_right(line.substr(pos, k - pos));
  if (is_null_word(value)) return std::nullopt;
  pos = k;
  return std::string(value);
}

// Skips spaces inside a flow list; with `may_break`, on to the next line, which must be indented
// and hold more of the list. False at a comment, a blank or column-0 line, or the text's end.
bool skip_flow_space(Cursor& at, bool may_break) {
  while (true) {
    const std::string_view line = at.text();
    while (at.col < line.size() && line[at.col] == ' ') ++at.col;
    if (at.col < line.size()) return line[at.col] != '#';
    if (!may_break || at.line + 1 >= at.lines.size()) return false;
    ++at.line;
    at.col = 0;
    const std::string_view next = at.text();
    if (next.empty() || next[0] != ' ' || blank_or_comment(next)) return false;
  }
}

// `[item, item, ...]`, `at` at the '['; ends past the ']'.
std::optional<ScannedValue> flow_list(Cursor& at) {
  ScannedValue value{true, {}};
  ++at.col;
  if (!skip_flow_space(at, true)) return std::nullopt;
  if (at.text()[at.col] == ']') {
    ++at.col;
    return value;
  }
  while (true) {
    const std::string_view line = at.text();
    const char first = line[at.col];
    std::optional<std::string> item =
        first == '"' || first == '\'' ? quoted_scalar(line, at.col) : plain_flow_item(line, at.col);
    if (!item) return std::nullopt;
    value.items.push_back(std::move(*item));
    if (!skip_flow_space(at, false)) return std::nullopt;
    const char next = at.text()[at.col++];
    if (next == ']') return value;
    if (next != ',') return std::nullopt;
    if (!skip_flow_space(at, true) || at.text()[at.col] == ']') return std::nullopt;  // a trailing comma too
  }
}

// A wanted key's value, `at` at its first character; ends at the start of the next line.
std::optional<ScannedValue> wanted_value(Cursor& at) {
  const std::string_view line = at.text();
  const char first = line[at.col];
  ScannedValue value;
  if (first == '[') {
    auto list = flow_list(at);
    if (!list) return std::nullopt;
    value = std::move(*list);
  } else if (first == '"' || first == '\'') {
    auto scalar = quoted_scalar(line, at.col);
    if (!scalar) return std::nullopt;
    value.items.push_back(std::move(*scalar));
  } else {
    auto scalar = plain_block_scalar(line, at.col);
    if (!scalar) return std::nullopt;
    value.items.push_back(std::move(*scalar));
    at.col = line.size();  // the comment, if any, was read with it
  }
  if (!rest_is_blank_or_comment(at.text(), at.col)) return std::nullopt;
  ++at.line;
  at.col = 0;
  return value;
}

// Steps over another key's quoted or flow value (it may span indented lines), so that a line of
// it is never taken for a key. False when unsure where it ends.
bool skip_flow_or_quoted(Cursor& at) {
  int depth = 0;
  char quote = 0;
  char previous = 0;  // the last character outside quotes that was not a space; 0 at the start
  for (bool first_line = true;; first_line = false) {
    if (!first_line) {
      if (++at.line >= at.lines.size()) return false;
      at.col = 0;
      const std::string_view next = at.text();
      if (next.empty() || next[0] != ' ') return false;
    }
    const std::string_view line = at.text();
    for (; at.col < line.size(); ++at.col) {
      const char c = line[at.col];
      if (quote == '"') {
        if (c == '\\') ++at.col;
        else if (c == '"') quote = 0;
      } else if (quote == '\'') {
        if (c == '\'' && at.col + 1 < line.size() && line[at.col + 1] == '\'') ++at.col;
        else if (c == '\'') quote = 0;
      } else if (c == '#' && at.col > 0 && line[at.col - 1] == ' ') {
        break;  // a comment: the rest of the line
      } else if ((c == '"' || c == '\'') && (previous == 0 || std::string_view("[{,:").find(previous) != std::string_view::npos)) {
        quote = c;  // a quote opens a scalar only where one starts; inside a plain word it is text
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (--depth < 0) return false;
      }
      if (quote == 0 && c != ' ') previous = c;
      if (quote == 0 && depth == 0) {
        if (!rest_is_blank_or_comment(line, at.col + 1)) return false;
        ++at.line;
        at.col = 0;
        return true;
      }
    }
  }
}

}  // namespace

std::optional<ScannedValues> scan_top_level_values(std::string_view text, const std::vector<std::string>& wanted_keys) {
  // Tabs, carriage returns, other control characters and byte-order marks change how YAML
  // reads indentation or encoding: left to the parser.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return std::nullopt;
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\n'; }))
    return std::nullopt;
  const Lines lines = split_lines(text);
  ScannedValues values;
  std::set<std::string_view> keys_seen;
  bool after_wanted_value = false;  // an indented line now could continue that value
  Cursor at{lines};
  while (at.line < lines.size()) {
    const std::string_view line = at.text();
    if (blank_or_comment(line)) {
      ++at.line;
      continue;
    }
    if (line[0] == ' ') {
      // Indented: the value of the key above, unless no key came yet (then the whole document
      // might be indented) or the key above is one whose value was read as complete.
      if (keys_seen.empty() || after_wanted_value) return std::nullopt;
      ++at.line;
      continue;
    }
    after_wanted_value = false;
    std::size_t key_end = 0;
    const auto key_char = [](char c, bool first) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || (!first && (c == '-' || c == '.'));
    };
    while (key_end < line.size() && key_char(line[key_end], key_end == 0)) ++key_end;
    // `key:` then a space or the line's end; anything else at column 0 (`- item`, `---`, a
    // quoted or complex key, a second document) is not a plain top-level key.
    if (key_end == 0 || key_end >= line.size() || line[key_end] != ':' ||
        (key_end + 1 < line.size() && line[key_end + 1] != ' '))
      return std::nullopt;
    const std::string_view key = line.substr(0, key_end);
    if (!keys_seen.insert(key).second) return std::nullopt;  // a duplicate key is the parser's error to report
    at.col = line.find_first_not_of(' ', key_end + 1);
    const bool empty_value = at.col == std::string_view::npos || line[at.col] == '#';
    const bool wanted = std::find(wanted_keys.begin(), wanted_keys.end(), key) != wanted_keys.end();
    if (wanted) {
      if (empty_value) return std::nullopt;  // a block list below, or null
      auto value = wanted_value(at);
      if (!value) return std::nullopt;
      values[std::string(key)] = std::move(*value);
      after_wanted_value = true;
      continue;
    }
    if (!empty_value) {
      const char first = line[at.col];
      if (first == '&' || first == '*' || first == '!' || first == '%' || first == '@' || first == '`')
        return std::nullopt;  // anchors, aliases and tags: left to the parser
      if (first == '[' || first == '{' || first == '"' || first == '\'') {
        if (!skip_flow_or_quoted(at)) return std::nullopt;
        continue;
      }
    }
    ++at.line;  // a plain or block scalar, or a nested block: its further lines are indented
  }
  return values;
}

}  // namespace llmpo
