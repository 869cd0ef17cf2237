#pragma once
// What the `--format csv|json` tests share: the built binary run with stdout and stderr kept
// apart, an RFC 4180 reader for its CSV, and checks that a JSON value is the data a CSV cell
// holds and that no cell is display text ("32.86 GiB", "196,608", "12%", "yes", "2000/0").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

namespace llmpo::test {

struct BinaryRun {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The built llmperforacle with stdout and stderr kept apart (test::run_command merges them):
// stdout must hold the document alone.
inline BinaryRun run_binary(const std::vector<std::string>& args) {
  const std::string err_path = fresh_dir("format-stderr") + "/stderr.txt";
  std::string command = shell_quoted(binary_path());
  for (const auto& arg : args) command += " " + shell_quoted(arg);
  BinaryRun run;
  FILE* pipe = popen((command + " 2>" + shell_quoted(err_path)).c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, count);
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = read_file(err_path);
  return run;
}

inline std::vector<std::string> with(std::vector<std::string> args, const std::string& format) {
  args.insert(args.end(), {"--format", format});
  return args;
}

using CsvRows = std::vector<std::vector<std::string>>;

// RFC 4180: fields separated by commas, records by CRLF or LF; a quoted field may hold commas,
// line breaks and doubled quotes. Throws on a quote inside an unquoted field, text after a
// closing quote, or an unterminated quote, so malformed output fails the test.
inline CsvRows parse_csv(const std::string& text) {
  CsvRows rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, was_quoted = false;
  const auto end_field = [&] {
    row.push_back(field);
    field.clear();
    was_quoted = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') field += c;
      else if (i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else quoted = false;
      continue;
    }
    if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_field();
      rows.push_back(row);
      row.clear();
    } else if (c == '"') {
      if (!field.empty() || was_quoted) throw std::runtime_error("CSV: quote inside an unquoted field");
      quoted = was_quoted = true;
    } else {
      if (was_quoted) throw std::runtime_error("CSV: text after a closing quote");
      field += c;
    }
  }
  if (quoted) throw std::runtime_error("CSV: unterminated quote");
  if (!field.empty() || !row.empty() || was_quoted) {
    end_field();
    rows.push_back(row);
  }
  return rows;
}

// JSON that keeps its keys in document order, so a test sees the column order printed.
using Json = nlohmann::ordered_json;

// stdout of a --format json run: exactly one JSON document.
inline Json json_of(const BinaryRun& run) {
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  Json j;
  REQUIRE_NOTHROW(j = Json::parse(run.out));
  return j;
}

// stdout of a --format csv run: a header and rows of as many cells.
inline CsvRows csv_of(const BinaryRun& run) {
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  CsvRows rows;
  REQUIRE_NOTHROW(rows = parse_csv(run.out));
  REQUIRE(!rows.empty());
  for (const auto& row : rows) CHECK(row.size() == rows.front().size());
  return rows;
}

inline CsvRows csv_file(const std::string& path) { return parse_csv(read_file(path)); }

// A whole decimal number as JSON writes one: no sign, dot or exponent may stand alone, no
// separators or suffixes.
inline bool is_number_text(const std::string& cell) {
  if (cell.empty() || cell[0] == '+' || cell[0] == '.' || cell.back() == '.') return false;
  const std::size_t first = cell[0] == '-' ? 1 : 0;  // "007" is text to JSON: no leading zeros
  if (cell.size() > first + 1 && cell[first] == '0' && std::isdigit(static_cast<unsigned char>(cell[first + 1])))
    return false;
  char* end = nullptr;
  const double value = std::strtod(cell.c_str(), &end);
  return end == cell.c_str() + cell.size() && std::isfinite(value) && cell.find_first_of("xXpP") == std::string::npos;
}

// Display text that machine formats must not hold: a thousands separator, a number with a unit
// or percent after it, yes/no, a count over a count, or a currency sign.
inline bool is_display_text(const std::string& cell) {
  if (cell.empty()) return false;
  if (cell == "yes" || cell == "no" || cell.find('$') != std::string::npos) return true;
  std::size_t i = cell[0] == '-' || cell[0] == '+' ? 1 : 0;
  const std::size_t digits_from = i;
  while (i < cell.size() && (std::isdigit(static_cast<unsigned char>(cell[i])) || cell[i] == '.')) ++i;
  if (i == digits_from || i == cell.size()) return false;  // not a number, or a plain one
  const std::string rest = cell.substr(i);
  if (rest[0] == ',' && rest.size() == 4 && is_number_text(rest.substr(1))) return true;  // 196,608
  if (rest[0] == ',' && rest.size() > 4 && rest[4] == ',') return true;                   // 1,234,567
  if (rest[0] == '/' && is_number_text(rest.substr(1))) return true;                       // 2000/0
  if (rest == "%" || rest[0] == ' ') return true;                                         // 12%, 32.86 GiB
  // 33.74B, 12ms: letters right after the digits (1e-05 is a number, checked first)
  return !is_number_text(cell) && std::isalpha(static_cast<unsigned char>(rest[0])) &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '/'; });
}

// Column names for scripts: letters, digits, underscores (dots for percentiles like p99.9).
inline bool is_data_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

// The JSON value is the data of the CSV cell: null for empty, true/false, the same number
// (exactly: full precision both ways), else the same string. A `label` cell names a category
// and may read like a quantity (a size bucket "16 KB - 64 MB"); any other may not.
inline void check_cell(const Json& value, const std::string& cell, bool label = false) {
  INFO("cell '" << cell << "', JSON " << value.dump());
  if (!label) CHECK_FALSE(is_display_text(cell));
  if (cell.empty()) {
    CHECK(value.is_null());
  } else if (cell == "true" || cell == "false") {
    REQUIRE(value.is_boolean());
    CHECK(value.get<bool>() == (cell == "true"));
  } else if (is_number_text(cell)) {
    REQUIRE(value.is_number());
    CHECK(value.get<double>() == std::stod(cell));
  } else {
    REQUIRE(value.is_string());
    CHECK(value.get<std::string>() == cell);
  }
}

// A JSON object holds exactly the columns of a CSV row, in order, with its data.
inline void check_row(const Json& object, const std::vector<std::string>& header,
                      const std::vector<std::string>& cells, const std::set<std::string>& labels = {}) {
  REQUIRE(object.is_object());
  REQUIRE(object.size() == header.size());
  REQUIRE(cells.size() == header.size());
  std::size_t c = 0;
  for (const auto& [key, value] : object.items()) {
    INFO("column " << header[c]);
    CHECK(key == header[c]);
    CHECK(is_data_name(key));
    check_cell(value, cells[c], labels.count(key) != 0);
    ++c;
  }
}

// A JSON array of objects holds the rows of a CSV table (header first), in order.
inline void check_rows(const Json& array, const CsvRows& csv) {
  REQUIRE(array.is_array());
  REQUIRE(!csv.empty());
  REQUIRE(array.size() == csv.size() - 1);
  for (std::size_t r = 0; r < array.size(); ++r) {
    INFO("row " << r);
    check_row(array[r], csv[0], csv[r + 1]);
  }
}

// The cells of one CSV row by column name.
inline std::map<std::string, std::string> row_map(const CsvRows& csv, std::size_t row) {
  std::map<std::string, std::string> out;
  for (std::size_t c = 0; c < csv[0].size(); ++c) out[csv[0][c]] = csv.at(row)[c];
  return out;
}

}  // namespace llmpo::test
