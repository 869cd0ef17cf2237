#include "data_table.hpp"

#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "error.hpp"

namespace llmpo {

DataTable::DataTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}

DataTable DataTable::record(std::vector<std::pair<std::string, std::string>> cells) {
  std::vector<std::string> columns, row;
  for (auto& [column, value] : cells) {
    columns.push_back(std::move(column));
    row.push_back(std::move(value));
  }
  DataTable table(std::move(columns));
  table.add_row(std::move(row));
  return table;
}

void DataTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size())
    throw InternalError(fmt::format("data row of {} cells for {} columns (first column '{}')", cells.size(),
                                    columns_.size(), columns_.empty() ? "" : columns_.front()));
  rows_.push_back(std::move(cells));
}

const std::string& DataTable::cell(std::size_t row, const std::string& column) const {
  for (std::size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c] == column) return rows_.at(row)[c];
  throw InternalError("data table has no column '" + column + "'");
}

std::string csv_quoted(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {

void append_line(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (c > 0) out += ',';
    out += csv_quoted(cells[c]);
  }
  out += '\n';
}

}  // namespace

std::string DataTable::csv() const {
  std::string out;
  append_line(out, columns_);
  for (const auto& row : rows_) append_line(out, row);
  return out;
}

nlohmann::ordered_json DataTable::row_json(std::size_t row) const {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < columns_.size(); ++c) object[columns_[c]] = data_cell_json(rows_.at(row)[c]);
  return object;
}

nlohmann::ordered_json DataTable::json() const {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (std::size_t r = 0; r < rows_.size(); ++r) array.push_back(row_json(r));
  return array;
}

std::string data_number(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";  // also -0
  return fmt::format("{}", value);
}

bool is_json_number(const std::string& text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (i < n && text[i] == '-') ++i;
  if (i < n && text[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < n && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

nlohmann::ordered_json data_cell_json(const std::string& text) {
  if (text.empty()) return nullptr;
  if (text == "true") return true;
  if (text == "false") return false;
  if (auto number = json_number(text)) return *number;
  return text;
}

std::optional<nlohmann::ordered_json> json_number(const std::string& text) {
  if (!is_json_number(text)) return std::nullopt;
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::out_of_range&) {  // past a double
    return std::nullopt;
  }
}

}  // namespace llmpo
