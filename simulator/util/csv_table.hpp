#pragma once
// A small CSV reader for every CSV the program reads (traces, length files, measured kernel
// profiles): a header row, then rows of cells, each row remembering its line number so that
// every complaint can point at file:line (1-based, the header's line counted). Empty cells are
// kept (Vidur leaves columns empty). Accepted: LF or CRLF line ends (the Azure traces use CRLF),
// a missing final newline, a UTF-8 byte-order mark (Excel writes one), blank lines (skipped) and
// double-quoted cells. Rejected with file:line: an empty or blank file, no data rows, a row
// whose cell count differs from the header's, an unterminated quote (no cell may span lines),
// text after a closing quote, UTF-16, NUL bytes and bare CR line ends.
//
// Errors about a cell carry the column name as the InputError's key path:
// "t.csv:3: ContextTokens: '39x' is not a number; expected a token count (...)".
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "input_limits.hpp"  // kMaxTokenCount

namespace llmpo {

// What a number read from text may be. A rule is built for every cell a trace reads, so it
// holds no text: expected() words what is valid, from the bounds, only when a message needs it
// (formatting that text up front for each cell cost more than parsing the whole trace).
struct NumberRule {
  enum class Kind : uint8_t { number, non_negative, positive, whole_range, token_count };
  double min = -std::numeric_limits<double>::max();
  bool min_exclusive = false;
  double max = std::numeric_limits<double>::max();
  bool whole = false;
  Kind kind = Kind::number;

  std::string expected() const;

  static NumberRule non_negative(double max = std::numeric_limits<double>::max());
  static NumberRule positive(double max = std::numeric_limits<double>::max());
  static NumberRule whole_in(int64_t min, int64_t max);  // |min|, |max| <= 2^53
  static NumberRule token_count();
};

// Parses `text` as a finite decimal number ("12", "-0.5", "1e3", "+4") obeying `rule`. False,
// with `problem` saying what is wrong and what would be valid, for empty text, text that is
// not a number, NaN, infinity, a non-whole or out-of-range value.
bool parse_number(std::string_view text, const NumberRule& rule, double& value, std::string& problem);

struct CsvRow {
  int line = 0;                    // 1-based line number in the file
  std::vector<std::string> cells;  // as many as the header has columns
};

class CsvTable {
 public:
  // Reads the whole file and parses it; InputError when it cannot be opened or is malformed.
  static CsvTable read(const std::string& path);
  // Parses CSV text held in memory; `path` is only used in messages (tests and the fuzzer).
  static CsvTable parse(std::string_view text, const std::string& path);

  const std::string& path() const { return path_; }
  int header_line() const { return header_line_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }

  // Indices of the columns a reader needs, in the order asked. When any is missing (or appears
  // twice in the header): one InputError at the header line naming every missing column, the
  // required ones (for `needed_by`, e.g. "an azure trace"), the ones found, did-you-means, and
  // `advice` when given.
  std::vector<std::size_t> column_list(const std::vector<std::string>& names, std::string_view needed_by,
                                       std::string_view advice = "") const;
  template <std::size_t N>
  std::array<std::size_t, N> columns(const std::string (&names)[N], std::string_view needed_by) const {
    const std::vector<std::size_t> found = column_list(std::vector<std::string>(names, names + N), needed_by);
    std::array<std::size_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = found[i];
    return out;
  }
  std::size_t column(const std::string& name, std::string_view needed_by) const { return column_list({name}, needed_by)[0]; }
  std::optional<std::size_t> find(const std::string& name) const;
  bool has(const std::string& name) const { return find(name).has_value(); }

  // A cell as a number obeying the rule (NumberRule, parse_number); otherwise an InputError
  // naming file:line, the column (as key path) and the text.
  double number(const CsvRow& row, std::size_t column, const NumberRule& rule = {}) const;
  double non_negative(const CsvRow& row, std::size_t column,
                      double max = std::numeric_limits<double>::max()) const {
    return number(row, column, NumberRule::non_negative(max));
  }
  double positive(const CsvRow& row, std::size_t column, double max = std::numeric_limits<double>::max()) const {
    return number(row, column, NumberRule::positive(max));
  }
  // A whole number in [min, max] ("512" or "512.0").
  int64_t whole(const CsvRow& row, std::size_t column, int64_t min, int64_t max) const {
    return static_cast<int64_t>(number(row, column, NumberRule::whole_in(min, max)));
  }
  // A token count: a whole number from 0 to kMaxTokenCount.
  int32_t token_count(const CsvRow& row, std::size_t column) const {
    return static_cast<int32_t>(number(row, column, NumberRule::token_count()));
  }
  // "True"/"False" (any case) or 1/0.
  bool boolean(const CsvRow& row, std::size_t column) const;
  const std::string& text(const CsvRow& row, std::size_t column) const { return row.cells[column]; }
  bool empty_cell(const CsvRow& row, std::size_t column) const { return row.cells[column].empty(); }

  // A cell's text for a message: at most 40 characters, control characters as '?'.
  static std::string shown(std::string_view text);

  // An error at `line` of this file; the second form names the row's line and the column (as
  // the key path), for a problem with one cell.
  [[noreturn]] void fail(int line, const std::string& message) const;
  [[noreturn]] void fail(const CsvRow& row, std::size_t column, const std::string& message) const;

 private:
  std::string path_;
  int header_line_ = 0;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

}  // namespace llmpo
