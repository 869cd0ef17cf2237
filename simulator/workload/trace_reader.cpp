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

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// Reads exactly `count` digits at text[pos...] into value.
bool read_digits(const std::string& text, std::size_t& pos, int count, int64_t& value) {
  value = 0;
  for (int i = 0; i < count; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    value = value * 10 + (text[pos] - '0');
  }
  return true;
}

bool expect(const std::string& text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

bool parse_timestamp_ns(const std::string& text, int64_t& ns_since_epoch) {
  std::size_t pos = 0;
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day))
    return false;
  if (pos >= text.size() || (text[pos] != ' ' && text[pos] != 'T')) return false;
  ++pos;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') || !read_digits(text, pos, 2, minute) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, second))
    return false;
  int64_t fraction_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    int64_t scale = 100'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return false;
      fraction_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (digits == 0) return false;
  }
  if (pos != text.size()) return false;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  const int64_t days = days_from_civil(year, month, day);
  ns_since_epoch = ((days * 24 + hour) * 60 + minute) * 60 * 1'000'000'000LL + second * 1'000'000'000LL + fraction_ns;
  return true;
}

std::vector<TraceRow> read_trace(const std::string& path, TraceFormat format,
                                 const std::string& column_prompt, const std::string& column_output) {
  const CsvTable table = CsvTable::read(path);
  std::size_t time_column = 0;
  if (format == TraceFormat::azure) time_column = table.column("TIMESTAMP", "timestamp");
  if (format == TraceFormat::generic) time_column = table.column("arrival_s", "arrival time");
  const std::size_t prompt_column = table.column(column_prompt, "prompt token");
  const std::size_t output_column = table.column(column_output, "output token");

  std::vector<TraceRow> rows;
  rows.reserve(table.rows().size());
  int64_t first_ns = 0;
  int64_t previous_ns = 0;
  for (const CsvRow& csv_row : table.rows()) {
    TraceRow row;
    row.line = csv_row.line;
    if (format == TraceFormat::azure) {
      const std::string& text = csv_row.cells[time_column];
      int64_t ns = 0;
      if (!parse_timestamp_ns(text, ns))
        table.fail(csv_row.line, fmt::format("column 'TIMESTAMP': '{}' is not a timestamp like "
                                             "'2023-11-16 18:15:46.6805900'", text));
      if (rows.empty()) first_ns = previous_ns = ns;
      if (ns < previous_ns)
        table.fail(csv_row.line, fmt::format("timestamp '{}' is earlier than the row before it (line {}); "
                                             "the trace must be sorted by time", text, rows.back().line));
      previous_ns = ns;
      // Differences stay exact in int64 ns; one hour is far below double's 2^53 ns.
      row.time_s = static_cast<double>(ns - first_ns) * 1e-9;
    } else if (format == TraceFormat::generic) {
      row.time_s = table.number(csv_row, time_column);
      if (row.time_s < 0)
        table.fail(csv_row.line, fmt::format("column 'arrival_s': {} is negative", row.time_s));
      if (!rows.empty() && row.time_s < rows.back().time_s)
        table.fail(csv_row.line, fmt::format("arrival_s {} is earlier than the row before it (line {}, {}); "
                                             "the trace must be sorted by arrival_s",
                                             row.time_s, rows.back().line, rows.back().time_s));
    }
    row.prompt_tokens = table.token_count(csv_row, prompt_column);
    row.output_tokens = table.token_count(csv_row, output_column);
    rows.push_back(row);
  }
  return rows;
}

std::vector<int32_t> read_token_column(const std::string& path, const std::string& column) {
  const CsvTable table = CsvTable::read(path);
  const std::size_t index = table.column(column, "token count");
  std::vector<int32_t> values;
  values.reserve(table.rows().size());
  for (const CsvRow& row : table.rows()) values.push_back(table.token_count(row, index));
  return values;
}

}  // namespace llmpo
