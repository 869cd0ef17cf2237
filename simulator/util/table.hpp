#pragma once
// A plain-text table for the terminal: columns sized to their contents, numbers right-aligned.
// The same rows print as CSV or JSON, so that every tabular command offers `--format` from one
// implementation (simulator/cli/output_format.hpp parses the option).
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llmpo {

// How a command prints its table: aligned text for people, CSV or JSON for scripts.
enum class TableFormat { table, csv, json };

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  void add_separator();  // a rule between groups of rows
  void print(std::ostream& out) const;
  // Comma-separated form of the same table (headers first, separators left out).
  void print_csv(std::ostream& out) const;
  // A JSON array with one object per row, keyed by header in column order. A cell that is a
  // whole JSON number ("12", "-3.5e2") becomes a number, "" and "-" become null, anything else
  // ("12%", "1/2", "80 GB/s") stays a string. Indented by 2, newline-terminated.
  void print_json(std::ostream& out) const;
  // The array print_json prints, for commands that put several tables in one JSON object.
  nlohmann::ordered_json to_json() const;
  void print(std::ostream& out, TableFormat format) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a separator
};

}  // namespace llmpo
