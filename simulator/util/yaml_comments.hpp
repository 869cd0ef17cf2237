#pragma once
// Comment text is the most of our YAML files' bytes (the libraries cite a source for every number
// at the end of its line) and yaml-cpp's scanner spends ~2,000 instructions on each byte it
// skips, twice per file (parse_or_throw scans, then loads). Shortening each comment to a bare '#'
// before parsing changes nothing the parser sees but the comments' own text.
#include <string>
#include <string_view>

namespace llmpo {

// `text` with each comment's text removed: a comment keeps its '#', the blanks before a comment
// that follows content on its line shrink to one, and every other byte stays where it was, so the
// lines and columns of every token are unchanged (and a comment still ends what it ended, e.g. a
// multi-line plain scalar). Comments are recognised as YAML does: a '#' at the start of a line or
// after a blank, outside quoted and block scalars. The lines that may be a block scalar's ('|' or
// '>') are copied as they are, and from the first line the scan cannot be sure of (a quoted
// scalar or flow collection going on past its line, a quote that may be plain text) the rest is:
// copying is always correct, only slower.
// A last line without a line break after it is copied as it is: the end of the text is a
// position yaml-cpp reports. For text check_text_encoding accepts (UTF-8 without NUL bytes), as parse_or_throw gives it: yaml-cpp
// reads a NUL inside a plain scalar, so a comment after one is not a comment to it.
std::string shorten_yaml_comments(std::string_view text);

}  // namespace llmpo
