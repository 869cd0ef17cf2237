// Every way a trace CSV or an `empirical` length column can be malformed, for each reader:
// the error must be an InputError naming file:line, the column (as key path) and the bad text,
// and saying what would be valid. Each case writes a small file to a fresh temporary folder.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "simulator/experiment_helpers.hpp"
#include "simulator/util/error.hpp"
#include "simulator/workload/trace_reader.hpp"
#include "simulator/workload/workload.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The four readers of request CSVs, with the columns each reads.
struct Reader {
  const char* name;
  const char* header;        // a valid header
  const char* token_column;  // the column the bad-number cases spoil
  // A valid data row; `i` orders the times, `tokens` goes in token_column.
  std::string row(int i, const std::string& tokens = "100") const {
    const std::string name_ = name;
    if (name_ == "azure") return "2023-11-16 18:15:" + std::to_string(10 + i) + ".5," + tokens + ",10";
    if (name_ == "generic") return std::to_string(i) + ".5," + tokens + ",10";
    if (name_ == "lengths") return tokens + ",10";
    return "row" + std::to_string(i) + "," + tokens;  // empirical
  }
};

const std::vector<Reader> kReaders = {
    {"azure", "TIMESTAMP,ContextTokens,GeneratedTokens", "ContextTokens"},
    {"generic", "arrival_s,prompt_tokens,output_tokens", "prompt_tokens"},
    {"lengths", "num_prefill_tokens,num_decode_tokens", "num_prefill_tokens"},
    {"empirical", "name,tokens", "tokens"},
};
const Reader& reader_named(const std::string& name) {
  for (const Reader& reader : kReaders)
    if (name == reader.name) return reader;
  FAIL("no reader " << name);
  return kReaders[0];
}

struct Outcome {
  std::string path;
  std::string error;  // InputError::what(), or "(no error)"
};

void read_with(const Reader& reader, const std::string& path) {
  const std::string name = reader.name;
  if (name == "azure") read_trace(path, TraceFormat::azure, "ContextTokens", "GeneratedTokens");
  else if (name == "generic") read_trace(path, TraceFormat::generic, "prompt_tokens", "output_tokens");
  else if (name == "lengths") read_trace(path, TraceFormat::lengths, "num_prefill_tokens", "num_decode_tokens");
  else read_token_column(path, "tokens");
}

// Writes `text` to a fresh file and reads it; any exception other than InputError fails the test.
Outcome read_text(const Reader& reader, const std::string& text) {
  const std::string dir = test::fresh_dir("trace-errors");
  Outcome outcome{test::write_file(dir, "t.csv", text), "(no error)"};
  try {
    read_with(reader, outcome.path);
  } catch (const InputError& error) {
    outcome.error = error.what();
  }
  std::filesystem::remove_all(dir);
  return outcome;
}

// A file of the reader's header and rows 1..n, with `bad` in the token column of the last row.
std::string file_of(const Reader& reader, int rows, const std::string& bad = "100", const std::string& eol = "\n") {
  std::string text = std::string(reader.header) + eol;
  for (int i = 1; i <= rows; ++i) text += reader.row(i, i == rows ? bad : "100") + eol;
  return text;
}

}  // namespace

TEST_CASE("trace errors: an empty file, one of blank lines and one with only a header are errors") {
  for (const Reader& reader : kReaders) {
    SECTION(reader.name) {
      const Outcome empty = read_text(reader, "");
      CHECK(empty.error == empty.path + ": file is empty (0 bytes; expected a CSV header line and data rows)");
      const Outcome blank = read_text(reader, "  \n\t\r\n\n");
      CHECK(blank.error ==
            blank.path + ": file holds only blank lines (3 lines; expected a CSV header line and data rows)");
      const Outcome header = read_text(reader, std::string("\n") + reader.header + "\n\n");
      std::string columns;
      for (const char c : std::string(reader.header)) columns += c == ',' ? std::string(", ") : std::string(1, c);
      CHECK(header.error == header.path + ":2: no data rows after the header (expected rows of " + columns + ")");
    }
  }
}

TEST_CASE("trace errors: a missing column lists the columns needed and found, with a did-you-mean") {
  SECTION("azure") {
    const Outcome o = read_text(reader_named("azure"), "TIMESTAMP,ContextTokens,GeneratedToken\n2023-11-16 18:15:46,1,2\n");
    CHECK(o.error == o.path + ":1: GeneratedTokens: missing from the header; a trace of format azure needs the "
                              "columns TIMESTAMP, ContextTokens, GeneratedTokens; the header (line 1) has TIMESTAMP, "
                              "ContextTokens, GeneratedToken; did you mean 'GeneratedToken'?; other token columns "
                              "are read with the trace's column_prompt and column_output");
  }
  SECTION("generic: every missing column is named at once") {
    const Outcome o = read_text(reader_named("generic"), "arrival,prompt_tokens\n1,2\n");
    CHECK_THAT(o.error, StartsWith(o.path + ":1: arrival_s, output_tokens: missing from the header; a trace of "
                                            "format generic needs the columns arrival_s, prompt_tokens, "
                                            "output_tokens; the header (line 1) has arrival, prompt_tokens"));
  }
  SECTION("lengths") {
    const Outcome o = read_text(reader_named("lengths"), "num_prefill_tokens,num_total_tokens\n1,2\n");
    CHECK_THAT(o.error, StartsWith(o.path + ":1: num_decode_tokens: missing from the header; a trace of format "
                                            "lengths needs the columns num_prefill_tokens, num_decode_tokens"));
  }
  SECTION("empirical") {
    const Outcome o = read_text(reader_named("empirical"), "name,Tokens\na,1\n");
    CHECK(o.error == o.path + ":1: tokens: missing from the header; an empirical length distribution needs the "
                              "column tokens; the header (line 1) has name, Tokens; did you mean 'Tokens'?");
  }
  SECTION("a column named twice is ambiguous") {
    const Outcome o = read_text(reader_named("lengths"), "num_prefill_tokens,num_decode_tokens,num_decode_tokens\n1,2,3\n");
    CHECK(o.error == o.path + ":1: num_decode_tokens: the header has this column 2 times (columns 2 and 3); "
                              "rename one so that it is clear which to read");
  }
}

TEST_CASE("trace errors: a bad token count names file:line, the column and the text") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12x", "'12x' is not a number"},
      {"nan", "'nan' is not a finite number"},
      {"inf", "'inf' is not a finite number"},
      {"-5", "'-5' is negative"},
      {"12.5", "'12.5' is not a whole number"},
      {"3000000000", "'3000000000' is too large"},
      {"1e400", "'1e400' is out of the range of a number"},
      {"0x10", "'0x10' is not a number"},
      {"", "empty cell"},
  };
  for (const Reader& reader : kReaders) {
    SECTION(reader.name) {
      for (const auto& [text, reason] : cases) {
        const Outcome o = read_text(reader, file_of(reader, 3, text));
        CHECK(o.error == o.path + ":4: " + reader.token_column + ": " + reason +
                             "; expected a token count (a whole number from 0 to 1000000000)");
      }
      // Zero, "+7", "7.0" and the largest count are fine (the generator makes a 0 one token).
      for (const std::string good : {"0", "+7", "7.0", "1000000000", "1e3"})
        CHECK(read_text(reader, file_of(reader, 2, good)).error == "(no error)");
    }
  }
}

TEST_CASE("trace errors: a bad arrival_s is negative, not a number or beyond the latest supported time") {
  const Reader& generic = reader_named("generic");
  const auto error_with_time = [&](const std::string& time) {
    const Outcome o = read_text(generic, std::string(generic.header) + "\n0,1,1\n" + time + ",1,1\n");
    return std::make_pair(o.path, o.error);
  };
  for (const auto& [time, reason] : std::vector<std::pair<std::string, std::string>>{
           {"-1", "'-1' is negative"}, {"soon", "'soon' is not a number"}, {"nan", "'nan' is not a finite number"},
           {"5e9", "'5e9' is too large"}}) {
    const auto [path, error] = error_with_time(time);
    CHECK(error == path + ":3: arrival_s: " + reason + "; expected a number from 0 to 4000000000");
  }
}

TEST_CASE("trace errors: time going backwards names both lines, and equal times are fine") {
  SECTION("azure") {
    const Reader& azure = reader_named("azure");
    const Outcome o = read_text(azure, std::string(azure.header) +
                                           "\n2023-11-16 18:15:46.5,1,1\n2023-11-16 18:15:46.5,1,1\n"
                                           "2023-11-16 18:15:46.4,1,1\n");
    CHECK(o.error == o.path + ":4: TIMESTAMP: '2023-11-16 18:15:46.4' is earlier than '2023-11-16 18:15:46.5' on "
                              "line 3; the trace must be sorted by time");
  }
  SECTION("generic") {
    const Reader& generic = reader_named("generic");
    const Outcome o = read_text(generic, std::string(generic.header) + "\n1.5,1,1\n\n1.5,1,1\n1.25,1,1\n");
    CHECK(o.error == o.path + ":5: arrival_s: 1.25 is earlier than 1.5 on line 4; the trace must be sorted by arrival_s");
  }
}

TEST_CASE("trace errors: a malformed timestamp says what is wrong and the valid form") {
  const Reader& azure = reader_named("azure");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2023-11-16 25:15:50", "time 25:15:50 is not a time of day"},
      {"2023-02-29 10:00:00", "day 29 does not exist in 2023-02"},
      {"2023-13-01 10:00:00", "month 13 is not 01..12"},
      {"1969-12-31 23:59:59", "year 1969 is outside 1970..2200"},
      {"9999-01-01 00:00:00", "year 9999 is outside 1970..2200"},
      {"2023/11/16 18:15:46", "expected YYYY-MM-DD HH:MM:SS[.fraction][Z|+HH:MM]"},
      {"2023-11-16 18:15:46.", "no digits after the decimal point"},
      {"2023-11-16 18:15:46.1234567890", "more than 9 fractional digits"},
      {"2023-11-16 18:15:46+5", "malformed UTC offset"},
      {"", "expected YYYY-MM-DD"},
  };
  for (const auto& [text, reason] : cases) {
    const Outcome o = read_text(azure, std::string(azure.header) + "\n2023-11-16 18:15:46,1,1\n" + text + ",1,1\n");
    CHECK_THAT(o.error, StartsWith(o.path + ":3: TIMESTAMP: '" + text +
                                   "' is not a timestamp like '2023-11-16 18:15:46.6805900': ") &&
                            Contains(reason));
  }
}

TEST_CASE("trace errors: azure times may span at most the latest supported arrival") {
  const Reader& azure = reader_named("azure");
  const Outcome o = read_text(azure, std::string(azure.header) + "\n1970-01-01 00:00:00,1,1\n2200-01-01 00:00:00,1,1\n");
  CHECK(o.error == o.path + ":3: TIMESTAMP: '2200-01-01 00:00:00' is 7258118400 s after the first timestamp (line 2), "
                            "beyond the latest supported arrival (4000000000 s)");
}

TEST_CASE("trace errors: timestamps may carry a UTC offset, as pandas writes them, and a leap day") {
  const Reader& azure = reader_named("azure");
  const std::string path = test::write_file(
      test::fresh_dir("trace-offsets"), "t.csv",
      std::string(azure.header) + "\n2024-02-29 10:00:00+00:00,1,1\n2024-02-29T11:30:00.5+01:00,1,1\n"
                                  "2024-02-29 10:31:00Z,1,1\n");
  const auto rows = read_trace(path, TraceFormat::azure, "ContextTokens", "GeneratedTokens");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].time_s == Approx(30 * 60 + 0.5));  // 11:30:00.5 at +01:00 is 10:30:00.5 UTC
  CHECK(rows[2].time_s == Approx(31 * 60));
}

TEST_CASE("trace errors: a row with the wrong number of cells names its line and both counts") {
  for (const Reader& reader : kReaders) {
    SECTION(reader.name) {
      const Outcome few = read_text(reader, file_of(reader, 2) + "7\n");
      CHECK_THAT(few.error, StartsWith(few.path + ":4: 1 cells, but the header (line 1) has "));
      const Outcome many = read_text(reader, file_of(reader, 1) + reader.row(2) + ",extra\n");
      CHECK_THAT(many.error, StartsWith(many.path + ":3: ") && Contains("cells, but the header (line 1) has"));
      // A trailing comma is one more (empty) cell: still the wrong count.
      const Outcome trailing = read_text(reader, file_of(reader, 1) + reader.row(2) + ",\n");
      CHECK_THAT(trailing.error, StartsWith(trailing.path + ":3: "));
    }
  }
}

TEST_CASE("trace errors: quotes must close on their line, and text after a closing quote is an error") {
  for (const Reader& reader : kReaders) {
    SECTION(reader.name) {
      const Outcome open = read_text(reader, file_of(reader, 1) + reader.row(2, "\"100") + "\n");
      CHECK_THAT(open.error, StartsWith(open.path + ":3:") &&
                                 Contains(": unterminated quoted cell: the quote opened here does not close on this "
                                          "line (a quoted cell may not span lines)"));
      const Outcome after = read_text(reader, file_of(reader, 1) + reader.row(2, "\"10\"0") + "\n");
      CHECK_THAT(after.error, StartsWith(after.path + ":3:") && Contains("text after the closing quote of a cell"));
      // A quoted count is a count; commas inside quotes do not split.
      CHECK(read_text(reader, file_of(reader, 2, "\"100\"")).error == "(no error)");
    }
  }
  const Outcome column = read_text(reader_named("lengths"), "num_prefill_tokens,num_decode_tokens\n1,2\n3,\"4\n");
  CHECK_THAT(column.error, StartsWith(column.path + ":3:3: unterminated quoted cell"));  // line 3, character 3
  CHECK(read_text(reader_named("empirical"), "name,tokens\n\"a, \"\"b\"\"\",5\n").error == "(no error)");
}

TEST_CASE("trace errors: a UTF-8 byte-order mark and CRLF line ends are accepted") {
  for (const Reader& reader : kReaders) {
    SECTION(reader.name) {
      const std::string crlf = file_of(reader, 3, "100", "\r\n");
      CHECK(read_text(reader, "\xEF\xBB\xBF" + file_of(reader, 3)).error == "(no error)");
      CHECK(read_text(reader, crlf).error == "(no error)");
      CHECK(read_text(reader, "\xEF\xBB\xBF" + crlf).error == "(no error)");
      // Line numbers stay those of the file: a bad cell after a BOM and CRLFs is on line 4.
      std::string bad = "\xEF\xBB\xBF" + file_of(reader, 3, "x");
      CHECK_THAT(read_text(reader, bad).error, Contains(":4: " + std::string(reader.token_column) + ": 'x'"));
    }
  }
  const std::vector<int32_t> values = read_token_column_text("\xEF\xBB\xBFtokens\r\n5\r\n7", "mem.csv", "tokens");
  CHECK(values == std::vector<int32_t>{5, 7});
}

TEST_CASE("trace errors: UTF-16, NUL bytes and bare CR line ends are rejected with a reason") {
  const Reader& lengths = reader_named("lengths");
  const Outcome utf16 = read_text(lengths, std::string("\xFF\xFEn\0u\0m\0", 8));
  CHECK(utf16.error == utf16.path + ":1: file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
  const Outcome nul = read_text(lengths, std::string("num_prefill_tokens,num_decode_tokens\n1,\0", 40) + "2\n");
  CHECK_THAT(nul.error, StartsWith(nul.path + ":2:3: NUL byte in the line"));
  const Outcome cr = read_text(lengths, "num_prefill_tokens,num_decode_tokens\r1,2\r3,4\r");
  CHECK_THAT(cr.error, StartsWith(cr.path + ":1:") && Contains("lines must end with LF or CRLF, not CR alone"));
}

TEST_CASE("trace errors: the text entry points read as the files do") {
  const std::string text = "arrival_s,prompt_tokens,output_tokens\n0,5,6\n1.5,7,8\n";
  const auto rows = read_trace_text(text, "<memory>", TraceFormat::generic, "prompt_tokens", "output_tokens");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].time_s == 1.5);
  CHECK(rows[1].line == 3);
  CHECK_THROWS_WITH(read_trace_text("arrival_s,prompt_tokens,output_tokens\n0,5,x\n", "<memory>", TraceFormat::generic,
                                    "prompt_tokens", "output_tokens"),
                    StartsWith("<memory>:2: output_tokens: 'x' is not a number"));
}

TEST_CASE("trace errors: a rate_scale that would push arrivals past SimTime's range is an error") {
  const std::string path = test::write_file(test::fresh_dir("trace-scale"), "t.csv",
                                            "arrival_s,prompt_tokens,output_tokens\n0,1,1\n3e9,1,1\n");
  WorkloadSpec spec;
  TraceSpec trace;
  trace.file = path;
  trace.format = TraceFormat::generic;
  trace.rows = std::make_shared<const std::vector<TraceRow>>(
      read_trace(path, TraceFormat::generic, "prompt_tokens", "output_tokens"));
  trace.rate_scale = 0.5;
  spec.trace = trace;
  CHECK_THROWS_WITH(generate_workload(spec, 1, 0), Contains("trace.rate_scale") && Contains("line 3 of the trace"));
  spec.trace->rate_scale = 1;
  CHECK(generate_workload(spec, 1, 0).requests.back().arrival_ns == 3'000'000'000'000'000'000);
}
