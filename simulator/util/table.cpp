#include "table.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "data_table.hpp"

namespace llmpo {

namespace {

bool looks_numeric(const std::string& cell) {
  if (cell.empty()) return false;
  const char first = cell.front();
  return std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
         first == '.';
}


nlohmann::ordered_json json_cell(const std::string& cell) {
  if (cell.empty() || cell == "-") return nullptr;  // the tables' "no value"
  if (auto number = json_number(cell)) return *number;  // JSON's grammar, strictly
  return cell;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::add_separator() { rows_.emplace_back(); }

void TextTable::print(std::ostream& out) const {
  std::vector<std::size_t> width(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
  for (const auto& row : rows_)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());

  auto print_rule = [&] {
    for (std::size_t c = 0; c < width.size(); ++c) {
      if (c > 0) out << "  ";
      out << std::string(width[c], '-');
    }
    out << '\n';
  };
  auto print_cells = [&](const std::vector<std::string>& cells, bool header) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out << "  ";
      const std::size_t pad = width[c] - cells[c].size();
      const bool right = !header && c > 0 && c + 1 < cells.size() && looks_numeric(cells[c]);
      if (right) out << std::string(pad, ' ') << cells[c];
      else if (c + 1 == cells.size()) out << cells[c];
      else out << cells[c] << std::string(pad, ' ');
    }
    out << '\n';
  };
  print_cells(headers_, true);
  print_rule();
  for (const auto& row : rows_) {
    if (row.empty()) print_rule();
    else print_cells(row, false);
  }
}

void TextTable::print_csv(std::ostream& out) const {
  auto print_cells = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) out << (c ? "," : "") << csv_quoted(cells[c]);
    out << '\n';
  };
  print_cells(headers_);
  for (const auto& row : rows_)
    if (!row.empty()) print_cells(row);
}

nlohmann::ordered_json TextTable::to_json() const {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : rows_) {
    if (row.empty()) continue;
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < headers_.size(); ++c) object[headers_[c]] = json_cell(row[c]);
    rows.push_back(std::move(object));
  }
  return rows;
}

void TextTable::print_json(std::ostream& out) const { out << to_json().dump(2) << "\n"; }

void TextTable::print(std::ostream& out, TableFormat format) const {
  switch (format) {
    case TableFormat::table: print(out); return;
    case TableFormat::csv: print_csv(out); return;
    case TableFormat::json: print_json(out); return;
  }
}

}  // namespace llmpo
