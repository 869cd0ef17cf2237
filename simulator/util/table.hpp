#pragma once
// A plain-text table for the terminal: columns sized to their contents, numbers right-aligned.
#include <ostream>
#include <string>
#include <vector>

namespace llmpo {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  void add_separator();  // a rule between groups of rows
  void print(std::ostream& out) const;
  // Comma-separated form of the same table (headers first), for --format csv.
  void print_csv(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a separator
};

}  // namespace llmpo
