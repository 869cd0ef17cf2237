#include "csv_table.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

struct SplitProblem {
  std::size_t offset;  // 0-based, in the line
  const char* message;
};

// Splits one line into cells. A cell whose first non-blank character is a double quote runs to
// the matching quote and may hold commas and "" for a quote; other cells are trimmed of spaces
// and tabs and taken as written (a quote inside them is an ordinary character).
std::optional<SplitProblem> split_line(std::string_view line, std::vector<std::string>& cells) {
  cells.clear();
  std::size_t pos = 0;
  while (true) {
    std::size_t start = pos;
    while (start < line.size() && is_blank(line[start])) ++start;
    if (start < line.size() && line[start] == '"') {
      std::string cell;
      std::size_t i = start + 1;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cell += line[i++];
      }
      if (!closed)
        return SplitProblem{start, "unterminated quoted cell: the quote opened here does not close on this line "
                                   "(a quoted cell may not span lines)"};
      while (i < line.size() && is_blank(line[i])) ++i;
      if (i < line.size() && line[i] != ',')
        return SplitProblem{i, "text after the closing quote of a cell (write a quote inside a quoted cell as \"\")"};
      cells.push_back(std::move(cell));
      if (i >= line.size()) return std::nullopt;
      pos = i + 1;
    } else {
      const std::size_t comma = line.find(',', pos);
      const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
      cells.emplace_back(trim(line.substr(pos, end - pos)));
      if (comma == std::string_view::npos) return std::nullopt;
      pos = comma + 1;
    }
  }
}

}  // namespace

NumberRule NumberRule::non_negative(double max) {
  return {.min = 0, .max = max, .kind = Kind::non_negative};
}

NumberRule NumberRule::positive(double max) {
  return {.min = 0, .min_exclusive = true, .max = max, .kind = Kind::positive};
}

NumberRule NumberRule::whole_in(int64_t min, int64_t max) {
  // Doubles hold every whole number up to 2^53 exactly; a wider range could round past max.
  constexpr int64_t kExact = int64_t{1} << 53;
  if (min < -kExact || max > kExact || min > max) throw InternalError("NumberRule::whole_in: bad range");
  return {.min = static_cast<double>(min), .max = static_cast<double>(max), .whole = true, .kind = Kind::whole_range};
}

NumberRule NumberRule::token_count() {
  NumberRule rule = whole_in(0, kMaxTokenCount);
  rule.kind = Kind::token_count;
  return rule;
}

std::string NumberRule::expected() const {
  constexpr double kUnbounded = std::numeric_limits<double>::max();
  switch (kind) {
    case Kind::number: break;
    case Kind::non_negative: return max == kUnbounded ? "a number >= 0" : fmt::format("a number from 0 to {}", max);
    case Kind::positive: return max == kUnbounded ? "a positive number" : fmt::format("a positive number up to {}", max);
    // Whole bounds within 2^53 (whole_in checks): exact as integers.
    case Kind::whole_range:
      return fmt::format("a whole number from {} to {}", static_cast<int64_t>(min), static_cast<int64_t>(max));
    case Kind::token_count: return fmt::format("a token count (a whole number from 0 to {})", kMaxTokenCount);
  }
  return "a number";
}

bool parse_number(std::string_view text, const NumberRule& rule, double& value, std::string& problem) {
  const auto bad = [&](std::string_view what) {
    problem = text.empty() ? fmt::format("empty cell; expected {}", rule.expected())
                           : fmt::format("'{}' {}; expected {}", CsvTable::shown(text), what, rule.expected());
    return false;
  };
  if (text.empty()) return bad("");
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);  // strtod accepts it; from_chars does not
  if (!digits.empty() && digits.front() == '-' && text.front() == '+') return bad("is not a number");
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) return bad("is out of the range of a number");
  if (error != std::errc() || end != digits.data() + digits.size()) return bad("is not a number");
  if (!std::isfinite(value)) return bad("is not a finite number");
  if (rule.whole && value != std::floor(value)) return bad("is not a whole number");
  if (value < rule.min || (rule.min_exclusive && value == rule.min))
    return bad(value < 0 && rule.min >= 0 ? "is negative" : value == 0 ? "is zero" : "is too small");
  if (value > rule.max) return bad("is too large");
  return true;
}

// Short and printable whatever the file holds: a fuzzed or binary file can put anything in a
// cell, and the message goes to a terminal.
std::string CsvTable::shown(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

void CsvTable::fail(int line, const std::string& message) const {
  throw InputError(SourcePos{path_, line, 0}, "", message);
}

void CsvTable::fail(const CsvRow& row, std::size_t column, const std::string& message) const {
  throw InputError(SourcePos{path_, row.line, 0}, header_[column], message);
}

CsvTable CsvTable::read(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw InputError(SourcePos{path, 0, 0}, "", "is a folder, not a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path, 0, 0}, "", "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(SourcePos{path, 0, 0}, "", "cannot read file");
  return parse(buffer.str(), path);
}

CsvTable CsvTable::parse(std::string_view text, const std::string& path) {
  CsvTable table;
  table.path_ = path;
  if (text.empty()) throw InputError(SourcePos{path, 0, 0}, "", "file is empty (0 bytes; expected a CSV header line and data rows)");
  if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF")
    table.fail(1, "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark, as Excel writes

  std::size_t start = 0;
  int line_number = 0;
  std::vector<std::string> cells;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line_number == INT_MAX) table.fail(line_number, "more lines than this reader counts (2^31)");
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos)
      throw InputError(SourcePos{path, line_number, static_cast<int>(nul) + 1}, "",
                       "NUL byte in the line: this is not a text CSV file (binary, or UTF-16 without a byte-order mark?)");
    if (const std::size_t cr = line.find('\r'); cr != std::string_view::npos)
      throw InputError(SourcePos{path, line_number, static_cast<int>(cr) + 1}, "",
                       "carriage return inside the line: lines must end with LF or CRLF, not CR alone");
    if (trim(line).empty()) continue;
    // Each row takes the cells' storage with it: room for a row's cells at once, not by doubling.
    cells.reserve(table.header_.size());
    if (const auto problem = split_line(line, cells))
      throw InputError(SourcePos{path, line_number, static_cast<int>(problem->offset) + 1}, "", problem->message);
    if (table.header_.empty()) {
      table.header_ = cells;
      table.header_line_ = line_number;
      continue;
    }
    if (cells.size() != table.header_.size())
      table.fail(line_number, fmt::format("{} cells, but the header (line {}) has {} columns", cells.size(),
                                          table.header_line_, table.header_.size()));
    table.rows_.push_back({line_number, std::move(cells)});
  }
  if (table.header_.empty())
    throw InputError(SourcePos{path, 0, 0}, "",
                     fmt::format("file holds only blank lines ({} line{}; expected a CSV header line and data rows)",
                                 line_number, line_number == 1 ? "" : "s"));
  if (table.rows_.empty())
    table.fail(table.header_line_,
               fmt::format("no data rows after the header (expected rows of {})", join(table.header_)));
  return table;
}

std::optional<std::size_t> CsvTable::find(const std::string& name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

std::vector<std::size_t> CsvTable::column_list(const std::vector<std::string>& names, std::string_view needed_by,
                                               std::string_view advice) const {
  std::vector<std::size_t> indices;
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == name) at.push_back(i + 1);
    // Reading the first of two same-named columns would silently pick one of two meanings.
    if (at.size() > 1)
      throw InputError(SourcePos{path_, header_line_, 0}, name,
                       fmt::format("the header has this column {} times (columns {} and {}); rename one so that "
                                   "it is clear which to read", at.size(), at[0], at[1]));
    if (at.empty()) missing.push_back(name);
    else indices.push_back(at[0] - 1);
  }
  if (missing.empty()) return indices;
  std::string message = fmt::format("missing from the header; {} needs the column{} {}; the header (line {}) has {}",
                                    needed_by, names.size() == 1 ? "" : "s", join(names), header_line_, join(header_));
  for (const std::string& name : missing) {
    const std::string hint = did_you_mean(name, header_);
    if (hint.empty()) continue;
    message += missing.size() == 1 ? "; " + hint : fmt::format("; for '{}': {}", name, hint);
  }
  if (!advice.empty()) message += fmt::format("; {}", advice);
  throw InputError(SourcePos{path_, header_line_, 0}, join(missing), message);
}

double CsvTable::number(const CsvRow& row, std::size_t column, const NumberRule& rule) const {
  double value = 0.0;
  std::string problem;
  if (!parse_number(row.cells[column], rule, value, problem)) fail(row, column, problem);
  return value;
}

bool CsvTable::boolean(const CsvRow& row, std::size_t column) const {
  const std::string value = to_lower(row.cells[column]);
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  fail(row, column, fmt::format("'{}' is not a boolean; expected True, False, 1 or 0", shown(row.cells[column])));
}

}  // namespace llmpo
