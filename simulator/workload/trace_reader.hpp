#pragma once
// Reading request traces and token-count columns from CSV files, as published (no conversion
// step): the Azure LLM inference 2023 traces, the ShareGPT / arXiv length statistics of
// Sarathi-Serve and Vidur, and a generic arrival_s,prompt_tokens,output_tokens format.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/workload/timestamp.hpp"

namespace llmpo {

enum class TraceFormat {
  azure,    // TIMESTAMP (datetime, see timestamp.hpp), ContextTokens, GeneratedTokens; sorted by time
  lengths,  // num_prefill_tokens, num_decode_tokens; lengths only, no arrivals
  generic,  // arrival_s, prompt_tokens, output_tokens; sorted by arrival_s
  mooncake, // JSON Lines with block hash ids (mooncake_trace.hpp); sorted by timestamp
};
const char* to_string(TraceFormat format);

// Default column names per format (the trace's `column_prompt` / `column_output` override them).
std::string default_prompt_column(TraceFormat format);
std::string default_output_column(TraceFormat format);

struct TraceRow {
  double time_s = 0.0;        // azure: since the first row's timestamp; generic: arrival_s; lengths: 0
  int32_t prompt_tokens = 0;  // as in the file (0 allowed here; the generator clamps to >= 1)
  int32_t output_tokens = 0;
  int32_t line = 0;           // line in the file, for messages
  // Content identity (generic format, optional columns session_id, prefix_id, prefix_tokens):
  // dense indexes of the texts in order of first appearance, -1 for none (no column, or an
  // empty cell). Rows of one prefix_id share their first prefix_tokens prompt tokens; a
  // session's rows each resend the previous row's prompt and output, then a new message.
  int32_t session = -1;
  int32_t prefix = -1;
  int32_t prefix_tokens = 0;  // with a prefix: 1..prompt_tokens
  // mooncake: the hash id of each 512-token block of the prompt (the last may be partial);
  // equal first k ids mean equal first k blocks. Empty for the CSV formats.
  std::vector<int64_t> block_hashes;
};

// Reads every row (mooncake: read_mooncake_trace; the column names are not used). Errors (InputError with file:line, the column as key path): an empty or
// blank file, one with only a header, a missing column, a cell that is not a number or token
// count, a malformed timestamp, a negative or too large arrival_s, time going backwards (equal
// times are fine: real traces have them), and the CSV errors of CsvTable.
std::vector<TraceRow> read_trace(const std::string& path, TraceFormat format,
                                 const std::string& column_prompt, const std::string& column_output);
// The same on text in memory; `path` is only used in messages (tests and the fuzzer).
std::vector<TraceRow> read_trace_text(std::string_view text, const std::string& path, TraceFormat format,
                                      const std::string& column_prompt, const std::string& column_output);

// One CSV column of token counts, for the `empirical` length distribution.
std::vector<int32_t> read_token_column(const std::string& path, const std::string& column);
std::vector<int32_t> read_token_column_text(std::string_view text, const std::string& path, const std::string& column);

// The latest arrival a trace may give, in seconds (~127 years; Unix times in seconds fit):
// SimTime counts int64 nanoseconds (292 years), and the run after the last arrival needs room.
inline constexpr double kMaxArrivalS = 4e9;

}  // namespace llmpo
