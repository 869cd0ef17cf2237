#include "csv_table.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return std::string(text.substr(begin, end - begin));
}

// Splits one line into cells; a cell in double quotes may hold commas and "" for a quote.
// Returns false for an unterminated quote.
bool split_line(std::string_view line, std::vector<std::string>& cells) {
  cells.clear();
  std::string cell;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"' && trim(cell).empty()) {
      quoted = true;
      was_quoted = true;
      cell.clear();
    } else if (c == ',') {
      cells.push_back(was_quoted ? cell : trim(cell));
      cell.clear();
      was_quoted = false;
    } else {
      cell += c;
    }
  }
  cells.push_back(was_quoted ? cell : trim(cell));
  return !quoted;
}

}  // namespace

void CsvTable::fail(int line, const std::string& message) const {
  throw InputError(SourcePos{path_, line, 0}, "", message);
}

CsvTable CsvTable::read(const std::string& path) {
  CsvTable table;
  table.path_ = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path, 0, 0}, "", "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  std::size_t start = 0;
  int line_number = 0;
  std::vector<std::string> cells;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (trim(line).empty()) continue;
    if (!split_line(line, cells)) table.fail(line_number, "unterminated quoted cell");
    if (table.header_.empty()) {
      table.header_ = cells;
      table.header_line_ = line_number;
      continue;
    }
    if (cells.size() != table.header_.size())
      table.fail(line_number, fmt::format("{} cells, but the header (line {}) has {} columns",
                                          cells.size(), table.header_line_, table.header_.size()));
    table.rows_.push_back({line_number, cells});
  }
  if (table.header_.empty()) throw InputError(SourcePos{path, 0, 0}, "", "file is empty (expected a CSV header and rows)");
  if (table.rows_.empty())
    table.fail(table.header_line_, "no data rows after the header");
  return table;
}

std::optional<std::size_t> CsvTable::find(const std::string& name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

std::size_t CsvTable::column(const std::string& name, const std::string& role) const {
  if (auto index = find(name)) return *index;
  std::string message = fmt::format("missing {}column '{}' (columns: {})", role.empty() ? "" : role + " ", name,
                                    join(header_));
  const std::string hint = did_you_mean(name, header_);
  if (!hint.empty()) message += "; " + hint;
  fail(header_line_, message);
}

std::optional<double> CsvTable::optional_number(const CsvRow& row, std::size_t column) const {
  const std::string& text = row.cells[column];
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    fail(row.line, fmt::format("column '{}': '{}' is not a number", header_[column], text));
  return value;
}

double CsvTable::number(const CsvRow& row, std::size_t column) const {
  if (auto value = optional_number(row, column)) return *value;
  fail(row.line, fmt::format("column '{}': empty cell where a number is needed", header_[column]));
}

bool CsvTable::boolean(const CsvRow& row, std::size_t column) const {
  const std::string value = to_lower(row.cells[column]);
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  fail(row.line, fmt::format("column '{}': '{}' is not True or False", header_[column], row.cells[column]));
}

int32_t CsvTable::token_count(const CsvRow& row, std::size_t column) const {
  const std::string& text = row.cells[column];
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value != std::floor(value) || value < 0 || value > 1e9)
    fail(row.line, fmt::format("column '{}': '{}' is not a token count (a whole number from 0 to 1e9)",
                               header_[column], text));
  return static_cast<int32_t>(value);
}

}  // namespace llmpo
