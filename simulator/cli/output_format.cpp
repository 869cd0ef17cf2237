#include "output_format.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "simulator/experiment/results_rows.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// run_cli's error stream while a command runs; commands run one at a time per process.
std::ostream* g_narrative = nullptr;

}  // namespace

const char* machine_formats_description() {
  return "Commands whose output is a table take --format table|csv|json (default table, the display for people). "
         "With csv or json, stdout holds only that one document and headings, logs and 'wrote PATH' lines go to "
         "stderr, so `| jq .` and pandas.read_csv read it as it is. Machine formats are data: a command that writes "
         "CSV files (run, merge, capacity, search, bench, fidelity) prints those files' columns and values, built by "
         "the same code; the others print snake_case names with their unit in the name (ttft_p99_ms, "
         "kv_capacity_tokens, cost_per_hour_usd), numbers at full precision with no thousands separators or unit "
         "suffixes, fractions rather than percentages, true/false, and an empty cell (JSON null) for no value. JSON "
         "numbers are numbers. A command with several tables prints one JSON object keyed by table name, and its main "
         "table as CSV; a command answering with one record (memory, step) prints a JSON object, and as CSV a header "
         "and one row of the same names.";
}

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

void print_data_rows(std::ostream& out, TableFormat format, const std::vector<DataRow>& rows) {
  if (format == TableFormat::json) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const DataRow& row : rows) {
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      for (const auto& [column, value] : row) object[column] = data_cell_json(value);
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

void print_data_table(std::ostream& out, TableFormat format, const DataTable& table) {
  if (format == TableFormat::json) out << table.json().dump(2) << "\n";
  else out << table.csv();
}

void print_data_tables(std::ostream& out, TableFormat format,
                       const std::vector<std::pair<std::string, const DataTable*>>& tables) {
  if (tables.empty()) return;
  if (format != TableFormat::json) {
    out << tables.front().second->csv();
    return;
  }
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& [name, table] : tables) object[name] = table->json();
  out << object.dump(2) << "\n";
}

void print_data_record(std::ostream& out, TableFormat format, const DataTable& record) {
  if (record.rows().size() != 1) throw InternalError("a data record is one row");
  if (format == TableFormat::json) out << record.row_json(0).dump(2) << "\n";
  else out << record.csv();
}

}  // namespace llmpo
