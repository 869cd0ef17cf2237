#include "trace_reader.hpp"

#include <unordered_map>

#include <fmt/format.h>

#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"
#include "mooncake_trace.hpp"

namespace llmpo {

const char* to_string(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "azure";
    case TraceFormat::lengths: return "lengths";
    case TraceFormat::generic: return "generic";
    case TraceFormat::mooncake: return "mooncake";
  }
  return "?";
}

std::string default_prompt_column(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "ContextTokens";
    case TraceFormat::lengths: return "num_prefill_tokens";
    case TraceFormat::generic: return "prompt_tokens";
    case TraceFormat::mooncake: return "input_length";
  }
  return "";
}

std::string default_output_column(TraceFormat format) {
  switch (format) {
    case TraceFormat::azure: return "GeneratedTokens";
    case TraceFormat::lengths: return "num_decode_tokens";
    case TraceFormat::generic: return "output_tokens";
    case TraceFormat::mooncake: return "output_length";
  }
  return "";
}

namespace {

// The generic format's optional identity columns; see TraceRow. Checked here, where the file
// and lines are known, so that generation can trust them.
void read_identity(const CsvTable& table, std::size_t prompt_column, std::vector<TraceRow>& rows) {
  const std::optional<std::size_t> session_column = table.find("session_id");
  const std::optional<std::size_t> prefix_column = table.find("prefix_id");
  const std::optional<std::size_t> prefix_tokens_column = table.find("prefix_tokens");
  if (prefix_column.has_value() != prefix_tokens_column.has_value()) {
    const std::string missing = prefix_column ? "prefix_tokens" : "prefix_id";
    throw InputError(SourcePos{table.path(), table.header_line(), 0}, missing,
                     fmt::format("column '{}' is missing: prefix_id (which prefix a row starts with) and "
                                 "prefix_tokens (how long it is) come together", missing));
  }
  if (!session_column && !prefix_column) return;
  std::unordered_map<std::string, int32_t> sessions, prefixes;
  std::vector<std::size_t> prefix_first_row;    // by prefix index: the row that introduced it
  std::vector<std::size_t> session_last_row;    // by session index: its latest row so far
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const CsvRow& csv_row = table.rows()[i];
    TraceRow& row = rows[i];
    if (prefix_column && !table.empty_cell(csv_row, *prefix_column)) {
      const auto [it, added] = prefixes.try_emplace(table.text(csv_row, *prefix_column),
                                                    static_cast<int32_t>(prefixes.size()));
      row.prefix = it->second;
      row.prefix_tokens = static_cast<int32_t>(table.whole(csv_row, *prefix_tokens_column, 1, row.prompt_tokens));
      if (added) {
        prefix_first_row.push_back(i);
      } else {
        const TraceRow& first = rows[prefix_first_row[static_cast<std::size_t>(row.prefix)]];
        if (first.prefix_tokens != row.prefix_tokens)
          table.fail(csv_row, *prefix_tokens_column,
                     fmt::format("prefix '{}' has {} tokens here but {} on line {}; one prefix has one length",
                                 CsvTable::shown(it->first), row.prefix_tokens, first.prefix_tokens, first.line));
      }
    } else if (prefix_tokens_column && !table.empty_cell(csv_row, *prefix_tokens_column)) {
      table.fail(csv_row, *prefix_tokens_column, "prefix_tokens without a prefix_id on this row; give both or neither");
    }
    if (!session_column || table.empty_cell(csv_row, *session_column)) continue;
    const auto [it, added] = sessions.try_emplace(table.text(csv_row, *session_column),
                                                  static_cast<int32_t>(sessions.size()));
    row.session = it->second;
    if (added) {
      session_last_row.push_back(i);
      continue;
    }
    std::size_t& last_index = session_last_row[static_cast<std::size_t>(row.session)];
    const TraceRow& previous = rows[last_index];
    const int64_t history = int64_t{previous.prompt_tokens} + previous.output_tokens;
    if (row.prompt_tokens < history)
      table.fail(csv_row, prompt_column,
                 fmt::format("session '{}' resends its history: this turn's prompt ({} tokens) must hold at least "
                             "the previous turn's prompt + output on line {} ({} tokens)",
                             CsvTable::shown(it->first), row.prompt_tokens, previous.line, history));
    if (row.prefix >= 0 && row.prefix != previous.prefix)
      table.fail(csv_row, *prefix_column,
                 fmt::format("session '{}' started on line {} with {}; a later turn keeps the session's prefix "
                             "(leave the cell empty, or repeat it)", CsvTable::shown(it->first), previous.line,
                             previous.prefix < 0 ? std::string("no prefix") : "another prefix"));
    row.prefix = previous.prefix;
    row.prefix_tokens = previous.prefix_tokens;
    last_index = i;
  }
}

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
  if (format == TraceFormat::generic) read_identity(table, prompt_column, rows);
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
  if (format == TraceFormat::mooncake) return read_mooncake_trace(path);
  return read_rows(CsvTable::read(path), format, column_prompt, column_output);
}

std::vector<TraceRow> read_trace_text(std::string_view text, const std::string& path, TraceFormat format,
                                      const std::string& column_prompt, const std::string& column_output) {
  if (format == TraceFormat::mooncake) return read_mooncake_trace_text(text, path);
  return read_rows(CsvTable::parse(text, path), format, column_prompt, column_output);
}

std::vector<int32_t> read_token_column(const std::string& path, const std::string& column) {
  return read_column(CsvTable::read(path), column);
}

std::vector<int32_t> read_token_column_text(std::string_view text, const std::string& path, const std::string& column) {
  return read_column(CsvTable::parse(text, path), column);
}

}  // namespace llmpo
