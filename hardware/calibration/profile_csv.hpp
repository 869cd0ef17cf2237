#pragma once
// A small CSV reader for measured profiles (Vidur, aiconfigurator and the generic format). It
// lives here rather than reusing the workload reader because hardware may depend only on the core
// utilities. Each row remembers its line, so every complaint reads "file:line: column 'x': ...".
// Handles CRLF, a UTF-8 byte-order mark, blank lines (skipped) and double-quoted cells; empty
// cells are kept (Vidur leaves prefill columns empty on decode rows).
#include <optional>
#include <string>
#include <vector>

namespace llmpo::calibration {

struct ProfileRow {
  int line = 0;                    // 1-based line in the file
  std::vector<std::string> cells;  // as many as the header has columns
};

class ProfileCsv {
 public:
  // Throws InputError (file[:line]) when the file cannot be opened, is empty, has no data rows,
  // or a row's cell count differs from the header's.
  static ProfileCsv read(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<ProfileRow>& rows() const { return rows_; }
  bool has(const std::string& column) const { return find(column).has_value(); }
  std::optional<std::size_t> find(const std::string& column) const;

  // Index of a required column, or an InputError at the header line naming it (did-you-mean).
  std::size_t column(const std::string& name) const;
  // A cell as a finite number; an InputError at the row's line otherwise.
  double number(const ProfileRow& row, std::size_t column) const;
  // The same, or nullopt for an empty cell.
  std::optional<double> optional_number(const ProfileRow& row, std::size_t column) const;
  const std::string& text(const ProfileRow& row, std::size_t column) const { return row.cells[column]; }
  // "True"/"False" (any case, or 1/0).
  bool boolean(const ProfileRow& row, std::size_t column) const;

  [[noreturn]] void fail(int line, const std::string& message) const;

 private:
  std::string path_;
  int header_line_ = 0;
  std::vector<std::string> header_;
  std::vector<ProfileRow> rows_;
};

}  // namespace llmpo::calibration
