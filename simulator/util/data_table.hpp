#pragma once
// Rows of data as the program's output files hold them, and as `--format csv|json` prints
// them: named columns (units in the names) and cells as text exactly as written - numbers at
// the file's precision, true/false, empty for "no value". A command builds its rows once; its
// CSV file and its machine output both come from them, so the two cannot drift apart.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llmpo {

class DataTable {
 public:
  explicit DataTable(std::vector<std::string> columns);
  // A table of one row from (column, cell) pairs: the answer of a command that gives one record.
  static DataTable record(std::vector<std::pair<std::string, std::string>> cells);

  // One row, a cell per column; a different count is a programming error (InternalError).
  void add_row(std::vector<std::string> cells);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  // The cell of `row` in the column named `column` (InternalError when there is none).
  const std::string& cell(std::size_t row, const std::string& column) const;

  // RFC 4180 text: the header (even without rows), then one line per row; a cell is quoted
  // when it holds a comma, a double quote, CR or LF.
  std::string csv() const;
  // One object per row, keys in column order, each cell as data_cell_json gives it.
  nlohmann::ordered_json json() const;
  nlohmann::ordered_json row_json(std::size_t row) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// A number at full precision: the shortest text that reads back as the same double ("0.1",
// "85899345920", "2.5e-07"), "" (no value) when it is not finite, and "0" for -0.
std::string data_number(double value);

// One CSV cell (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a line
// break; as it is otherwise. Every CSV the program writes quotes through this.
std::string csv_quoted(const std::string& cell);
inline std::string data_bool(bool value) { return value ? "true" : "false"; }

// True when the whole text is a number in JSON's grammar (RFC 8259): "12", "-3.5e2"; not "+1",
// ".5", "1.", "007", "inf" or "12%", so a number in the JSON is one any reader accepts.
bool is_json_number(const std::string& text);

// The JSON value of a data cell: a number when is_json_number, true/false for those words,
// null when empty, else the text as a string.
nlohmann::ordered_json data_cell_json(const std::string& text);

// The JSON number `text` spells (is_json_number, and within a double), or nothing: "1e999" is
// JSON's grammar but no double, so it stays text.
std::optional<nlohmann::ordered_json> json_number(const std::string& text);

}  // namespace llmpo
