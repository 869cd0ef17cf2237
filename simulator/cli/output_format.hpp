#pragma once
// `--format table|csv|json`, shared by every command whose output is tabular.
//
// The contract for scripts: with csv or json, stdout holds only that one document (so
// `llmperforacle search f.yaml --format json | jq .` works); headings, logs and "wrote PATH"
// lines go to stderr instead, or are left out when they only repeat the table. Machine formats
// are data, not the display table: the columns and values of the CSV files the command writes
// (built by the same function), or, for a command that writes none, snake_case names with their
// unit (ttft_mean_ms, kv_capacity_tokens), numbers at full precision without separators or unit
// suffixes, true/false, and empty (null) for no value. A command that prints several tables
// emits one JSON object keyed by table name, and its main table as CSV. `table`, the default,
// is the display for people.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

// What --format csv|json print, in general: the man page's OUTPUT FORMATS section (each
// command's --format help says what it prints).
const char* machine_formats_description();

// Declares --format; `note` is added to its help (e.g. which table csv prints).
void declare_format_option(ArgParser& parser, const std::string& note = "");
// The --format given (table when absent). ArgParser has already refused values other than
// table, csv and json (exit 2, "'xml' is not valid (valid: table, csv, json)").
TableFormat format_from(const ArgParser& parser);
TableFormat parse_format(const std::string& text);

// Where a command's narrative goes: `out` in table mode, else the error stream run_cli was
// given (std::cerr outside run_cli), so that stdout keeps only the CSV or JSON document.
std::ostream& narrative_stream(TableFormat format, std::ostream& out);

// While alive, narrative_stream() writes to `err`: run_cli passes its own error stream, so that
// callers capturing run_cli's streams (the tests) see the narrative where the binary puts it.
class NarrativeStreamScope {
 public:
  explicit NarrativeStreamScope(std::ostream& err);
  ~NarrativeStreamScope();
  NarrativeStreamScope(const NarrativeStreamScope&) = delete;
  NarrativeStreamScope& operator=(const NarrativeStreamScope&) = delete;

 private:
  std::ostream* previous_;
};

// Data rows (column name, value as text) in a machine format, as the CSV files hold them: csv
// prints the header and the values unchanged; json an array of objects whose values are JSON
// numbers when the text is one, true/false for those words, null when empty, else strings
// (data_cell_json).
using DataRow = std::vector<std::pair<std::string, std::string>>;
void print_data_rows(std::ostream& out, TableFormat format, const std::vector<DataRow>& rows);

// One table of data in a machine format: csv prints table.csv() (the header even without
// rows: a script still learns the columns), json its rows as an array of objects.
void print_data_table(std::ostream& out, TableFormat format, const DataTable& table);

// Several named data tables: json prints {"name": [rows...], ...} in the order given, csv the
// first (the command's main table; its --help says which). Not for table mode.
void print_data_tables(std::ostream& out, TableFormat format,
                       const std::vector<std::pair<std::string, const DataTable*>>& tables);

// One record (a table of one row), for commands that answer with one set of figures: json
// prints one object, csv the header and that row, so both carry the same names and values.
void print_data_record(std::ostream& out, TableFormat format, const DataTable& record);

}  // namespace llmpo
