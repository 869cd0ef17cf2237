#include "yaml_comments.hpp"

namespace llmpo {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The scan of one line must agree with YAML on which '#' start comments, and a '#' inside a
// quoted scalar is content. So the scan keeps to what it can be sure of and gives the line (and
// the rest of the text) up otherwise:
// - a quote opens a quoted scalar only where YAML opens one whatever came before it: in block
//   context at the first non-blank of the line, after ": ", or after a "- " or "? " that itself
//   starts a node (only blanks and such indicators before it); in a flow collection after '[',
//   '{', ',' or ": ". A quote anywhere else could be plain text or an opening: give up. In a
//   flow collection "[a - 'b, 'c # d']" holds one of each; in block context "- a - 'b: 'c # d"
//   is the plain key "a - 'b" and the quoted value "'c # d" (found by fuzzing), so a "- " inside
//   plain text is no indicator.
// - a flow collection must close on its line (its line breaks could hide where plain text
//   ends): give up.
// - after a block scalar indicator ('|' or '>' after a blank, in block context) the lines that
//   may be the scalar's content (blank, or indented more than the indicator's line) are copied
//   as they are: there a '#' is content. An indicator alone on its line (its key on a line
//   above, "key:\n   >-\n  text") gives up: its content may be indented less than it.
// A quote taken for an opening in block context that YAML reads as plain text (the first thing on
// a line that goes on a multi-line plain scalar) is harmless: there no quoted scalar can start
// until the line ends (yaml-cpp refuses a ": " there, and a "- " is text), and the scan only keeps
// a '#' it could have cut.
enum class LineEnd { shortened, block_scalar_follows, give_up };

class LineScan {
 public:
  explicit LineScan(std::string_view line) : line_(line) {}

  // Appends the shortened line (without its line break) to `out`, or, when a block scalar may
  // follow, the line as it is; appends nothing when the scan gives up.
  LineEnd shorten_into(std::string& out) {
    for (std::size_t i = 0; i < line_.size(); ++i) {
      const char c = line_[i];
      if (quote_ != 0) {
        i = after_quoted_char(i);
        continue;
      }
      if (c == '\'' || c == '"') {
        if (!opens_quote(i)) return LineEnd::give_up;
        quote_ = c;
      } else if (c == '[' || c == '{') {
        ++flow_depth_;
      } else if (c == ']' || c == '}') {
        if (--flow_depth_ < 0) return LineEnd::give_up;
      } else if ((c == '|' || c == '>') && (i == 0 || is_blank(line_[i - 1]))) {
        // The scalar's parent starts on this line only when something precedes the indicator
        // ("key: |", "- >"); an indicator alone on its line belongs to a key above, whose
        // indentation the scan does not know.
        if (flow_depth_ != 0 || line_.find_first_not_of(" \t") == i) return LineEnd::give_up;
        out.append(line_);
        return LineEnd::block_scalar_follows;
      } else if (c == '#' && (i == 0 || is_blank(line_[i - 1]))) {
        if (flow_depth_ != 0) return LineEnd::give_up;
        std::size_t content_end = i;
        while (content_end > 0 && is_blank(line_[content_end - 1])) --content_end;
        // A comment alone on its line keeps its indentation; one after content keeps one blank.
        out.append(line_.substr(0, content_end == 0 ? i : content_end + 1));
        out += '#';
        return LineEnd::shortened;
      }
    }
    if (quote_ != 0 || flow_depth_ != 0) return LineEnd::give_up;  // goes on past the line
    out.append(line_);
    return LineEnd::shortened;
  }

 private:
  // Inside a quoted scalar at `i`: where the scan goes on from (the escape or the closing quote).
  std::size_t after_quoted_char(std::size_t i) {
    const char c = line_[i];
    if (quote_ == '\'' && c == '\'') {
      if (i + 1 < line_.size() && line_[i + 1] == '\'') return i + 1;  // '' is a quote inside
      quote_ = 0;
    } else if (quote_ == '"') {
      if (c == '\\') return i + 1;  // an escape: the next character is content
      if (c == '"') quote_ = 0;
    }
    return i;
  }

  bool opens_quote(std::size_t at) const {
    std::size_t before = at;
    while (before > 0 && is_blank(line_[before - 1])) --before;
    if (before == 0) return flow_depth_ == 0;  // the first thing on the line (in block context)
    const char indicator = line_[before - 1];
    const bool blank_between = before < at;
    if (flow_depth_ > 0) return indicator == '[' || indicator == '{' || indicator == ',' || (indicator == ':' && blank_between);
    if (!blank_between) return false;
    if (indicator == ':') return true;  // in block context ": " always ends a plain scalar
    return (indicator == '-' || indicator == '?') && only_indicators_before(before - 1);
  }

  // Whether only blanks and block indicators ("- ", "? ", ": ") come before `at` on the line.
  bool only_indicators_before(std::size_t at) const {
    for (std::size_t i = 0; i < at; ++i) {
      const char c = line_[i];
      const bool indicator = (c == '-' || c == '?' || c == ':') && is_blank(line_[i + 1]);
      if (!is_blank(c) && !indicator) return false;
    }
    return true;
  }

  std::string_view line_;
  char quote_ = 0;  // the quote of the quoted scalar the scan is in, 0 outside
  int flow_depth_ = 0;
};

// Leading spaces (YAML indents with spaces only).
std::size_t indentation(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// Whether `line` may belong to a block scalar whose indicator stands on a line indented by
// `indicator_indent`: the scalar's content is indented more than its parent node, which is
// indented at least as much as the indicator's line. Blank lines and lines starting with a tab
// are taken as content too (never wrong: content is copied as it is).
bool may_be_block_content(std::string_view line, std::size_t indicator_indent) {
  const std::size_t indent = indentation(line);
  if (indent == line.size()) return true;  // blank
  return indent > indicator_indent || line[indent] == '\t';
}

}  // namespace

std::string shorten_yaml_comments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  bool in_block_scalar = false;
  std::size_t block_indicator_indent = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    // A '\r' before the '\n' stays where it is: it is part of the line break.
    const std::size_t content_end = end > start && text[end - 1] == '\r' ? end - 1 : end;
    const std::string_view line = text.substr(start, content_end - start);
    // The end of the text is a position yaml-cpp reports (the mark of a null value or an error
    // at the end): without a line break after the last line, that line keeps its length.
    const bool last_line_unbroken = end == text.size();
    if (last_line_unbroken || (in_block_scalar && may_be_block_content(line, block_indicator_indent))) {
      out.append(line);
    } else {
      in_block_scalar = false;
      switch (LineScan(line).shorten_into(out)) {
        case LineEnd::shortened:
          break;
        case LineEnd::block_scalar_follows:
          in_block_scalar = true;
          block_indicator_indent = indentation(line);
          break;
        case LineEnd::give_up:
          out.append(text.substr(start));
          return out;
      }
    }
    out.append(text.substr(content_end, end - content_end));
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace llmpo
