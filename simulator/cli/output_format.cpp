#include "output_format.hpp"

#include <cctype>
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "simulator/experiment/results_rows.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// run_cli's error stream while a command runs; commands run one at a time per process.
std::ostream* g_narrative = nullptr;

}  // namespace

void declare_format_option(ArgParser& parser, const std::string& note) {
  // The value name also declares the choices: ArgParser rejects other values while parsing
  // (with a did-you-mean), and --help, the man page and shell completion list them.
  parser.option("format", "table|csv|json", "output format" + (note.empty() ? std::string() : " (" + note + ")"), "table");
}

TableFormat parse_format(const std::string& text) {
  if (text == "table") return TableFormat::table;
  if (text == "csv") return TableFormat::csv;
  if (text == "json") return TableFormat::json;
  // Reached only where --format was declared without its choices; worded as ArgParser words it.
  throw InputError({}, "--format", "'" + text + "' is not valid (valid: table, csv, json)");
}

TableFormat format_from(const ArgParser& parser) { return parse_format(parser.get_or("format", "table")); }

std::ostream& narrative_stream(TableFormat format, std::ostream& out) {
  if (format == TableFormat::table) return out;
  return g_narrative != nullptr ? *g_narrative : std::cerr;
}

NarrativeStreamScope::NarrativeStreamScope(std::ostream& err) : previous_(g_narrative) { g_narrative = &err; }
NarrativeStreamScope::~NarrativeStreamScope() { g_narrative = previous_; }

void print_tables(std::ostream& out, TableFormat format,
                  const std::vector<std::pair<std::string, const TextTable*>>& tables) {
  if (tables.empty()) return;
  if (format != TableFormat::json) {
    tables.front().second->print(out, format);
    return;
  }
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& [name, table] : tables) object[name] = table->to_json();
  out << object.dump(2) << "\n";
}

}  // namespace llmpo

namespace llmpo {

namespace {

// The JSON value of a CSV cell: a number when the whole text is one, true/false, null when empty.
nlohmann::ordered_json json_value(const std::string& text) {
  if (text.empty()) return nullptr;
  if (text == "true") return true;
  if (text == "false") return false;
  const bool numeric_start = std::isdigit(static_cast<unsigned char>(text[0])) != 0 ||
                             ((text[0] == '-' || text[0] == '+' || text[0] == '.') && text.size() > 1);
  if (numeric_start) {
    std::size_t used = 0;
    try {
      if (text.find_first_of(".eE") == std::string::npos) {
        const long long whole = std::stoll(text, &used);
        if (used == text.size()) return whole;
      }
      used = 0;
      const double value = std::stod(text, &used);
      if (used == text.size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
      // not a number: a string below
    }
  }
  return text;
}

}  // namespace

void print_data_rows(std::ostream& out, TableFormat format, const std::vector<DataRow>& rows) {
  if (format == TableFormat::json) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const DataRow& row : rows) {
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      for (const auto& [column, value] : row) object[column] = json_value(value);
      array.push_back(std::move(object));
    }
    out << array.dump(2) << "\n";
    return;
  }
  if (rows.empty()) return;
  std::string line;
  for (const auto& [column, value] : rows.front()) {
    if (!line.empty()) line += ',';
    line += csv_cell(column);
  }
  out << line << "\n";
  for (const DataRow& row : rows) {
    line.clear();
    for (const auto& [column, value] : row) {
      if (!line.empty()) line += ',';
      line += csv_cell(value);
    }
    out << line << "\n";
  }
}

}  // namespace llmpo
