#include "trace_reader.hpp"

#include <fmt/format.h>

#include "simulator/util/csv_table.hpp"

namespace llmpo {

const char* to_string(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "azure";
    case TraceFormat::lengths: return "lengths";
    case TraceFormat::generic: return "generic";
  }
  return "?";
}

std::string default_prompt_column(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "ContextTokens";
    case TraceFormat::lengths: return "num_prefill_tokens";
    case TraceFormat::generic: return "prompt_tokens";
  }
  return "";
}

std::string default_output_column(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "GeneratedTokens";
    case TraceFormat::lengths: return "num_decode_tokens";
    case TraceFormat::generic: return "output_tokens";
  }
  return "";
}

namespace {

std::vector<TraceRow> read_rows(const CsvTable& table, TraceFormat format, const std::string& column_prompt,
                                const std::string& column_output) {
  std::vector<std::string> names = {column_prompt, column_output};
  if (format == TraceFormat::azure) names.insert(names.begin(), "TIMESTAMP");
  if (format == TraceFormat::generic) names.insert(names.begin(), "arrival_s");
  const std::vector<std::size_t> columns =
      table.column_list(names, fmt::format("a trace of format {}", to_string(format)),
                        "other token columns are read with the trace's column_prompt and column_output");
  const std::size_t time_column = columns[0];  // only read when the format has times
  const std::size_t prompt_column = columns[columns.size() - 2];
  const std::size_t output_column = columns[columns.size() - 1];

  std::vector<TraceRow> rows;
  rows.reserve(table.rows().size());
  int64_t first_ns = 0;
  int64_t previous_ns = 0;
  const CsvRow* previous = nullptr;  // for the message when time goes back
  for (const CsvRow& csv_row : table.rows()) {
    TraceRow row;
    row.line = csv_row.line;
    if (format == TraceFormat::azure) {
      const std::string& text = csv_row.cells[time_column];
      int64_t ns = 0;
      std::string problem;
      if (!parse_timestamp_ns(text, ns, &problem))
        table.fail(csv_row, time_column, fmt::format("'{}' is not a timestamp like '2023-11-16 18:15:46.6805900': {}",
                                                     CsvTable::shown(text), problem));
      if (previous == nullptr) first_ns = previous_ns = ns;
      // Equal timestamps are fine (the published traces have them); going back is not.
      if (ns < previous_ns)
        table.fail(csv_row, time_column,
                   fmt::format("'{}' is earlier than '{}' on line {}; the trace must be sorted by time", text,
                               previous->cells[time_column], previous->line));
      previous_ns = ns;
      // Differences stay exact in int64 ns (timestamp.hpp bounds the years), and in seconds as
      // a double to the nanosecond for spans below 2^53 ns (104 days; the traces span hours).
      row.time_s = static_cast<double>(ns - first_ns) * 1e-9;
      if (row.time_s > kMaxArrivalS)
        table.fail(csv_row, time_column,
                   fmt::format("'{}' is {} s after the first timestamp (line {}), beyond the latest supported "
                               "arrival ({} s)", text, row.time_s, rows.front().line, kMaxArrivalS));
    } else if (format == TraceFormat::generic) {
      row.time_s = table.non_negative(csv_row, time_column, kMaxArrivalS);
      if (previous != nullptr && row.time_s < rows.back().time_s)
        table.fail(csv_row, time_column,
                   fmt::format("{} is earlier than {} on line {}; the trace must be sorted by arrival_s",
                               csv_row.cells[time_column], previous->cells[time_column], previous->line));
    }
    previous = &csv_row;
    row.prompt_tokens = table.token_count(csv_row, prompt_column);
    row.output_tokens = table.token_count(csv_row, output_column);
    rows.push_back(row);
  }
  return rows;
}

std::vector<int32_t> read_column(const CsvTable& table, const std::string& column) {
  const std::size_t index = table.column(column, "an empirical length distribution");
  std::vector<int32_t> values;
  values.reserve(table.rows().size());
  for (const CsvRow& row : table.rows()) values.push_back(table.token_count(row, index));
  return values;
}

}  // namespace

std::vector<TraceRow> read_trace(const std::string& path, TraceFormat format, const std::string& column_prompt,
                                 const std::string& column_output) {
  return read_rows(CsvTable::read(path), format, column_prompt, column_output);
}

std::vector<TraceRow> read_trace_text(std::string_view text, const std::string& path, TraceFormat format,
                                      const std::string& column_prompt, const std::string& column_output) {
  return read_rows(CsvTable::parse(text, path), format, column_prompt, column_output);
}

std::vector<int32_t> read_token_column(const std::string& path, const std::string& column) {
  return read_column(CsvTable::read(path), column);
}

std::vector<int32_t> read_token_column_text(std::string_view text, const std::string& path, const std::string& column) {
  return read_column(CsvTable::parse(text, path), column);
}

}  // namespace llmpo
