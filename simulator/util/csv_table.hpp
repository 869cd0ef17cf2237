#pragma once
// A small CSV reader for every CSV the program reads (traces, length files, measured kernel
// profiles): a header row, then rows of cells, each row remembering its line number so that
// every complaint can point at file:line. Empty cells are kept (Vidur leaves columns empty). Handles CRLF
// line ends (the Azure traces use them), a missing final newline, a UTF-8 byte-order mark,
// blank lines (skipped) and double-quoted cells; no cell may span lines.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

struct CsvRow {
  int line = 0;                    // 1-based line number in the file
  std::vector<std::string> cells;  // as many as the header has columns
};

class CsvTable {
 public:
  // Reads the whole file; throws InputError (file[:line]) when it cannot be opened, is empty,
  // has no data rows, or a row's cell count differs from the header's.
  static CsvTable read(const std::string& path);

  const std::string& path() const { return path_; }
  int header_line() const { return header_line_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }

  // Index of a header column; otherwise an InputError at the header line listing the columns,
  // with a did-you-mean. `role` says what the column was wanted for, e.g. "prompt token".
  std::size_t column(const std::string& name, const std::string& role = "") const;
  std::optional<std::size_t> find(const std::string& name) const;
  bool has(const std::string& name) const { return find(name).has_value(); }

  // A cell as a token count: a whole number in [0, 1e9] ("512" or "512.0"); otherwise an
  // InputError at the row's line naming the column and the text.
  int32_t token_count(const CsvRow& row, std::size_t column) const;
  // A cell as a finite number; otherwise an InputError at the row's line.
  double number(const CsvRow& row, std::size_t column) const;
  // The same, or nullopt for an empty cell.
  std::optional<double> optional_number(const CsvRow& row, std::size_t column) const;
  // "True"/"False" (any case) or 1/0.
  bool boolean(const CsvRow& row, std::size_t column) const;
  const std::string& text(const CsvRow& row, std::size_t column) const { return row.cells[column]; }

  [[noreturn]] void fail(int line, const std::string& message) const;

 private:
  std::string path_;
  int header_line_ = 0;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

}  // namespace llmpo
