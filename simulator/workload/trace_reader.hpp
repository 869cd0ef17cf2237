#pragma once
// Reading request traces and token-count columns from CSV files, as published (no conversion
// step): the Azure LLM inference 2023 traces, the ShareGPT / arXiv length statistics of
// Sarathi-Serve and Vidur, and a generic arrival_s,prompt_tokens,output_tokens format.
#include <cstdint>
#include <string>
#include <vector>

namespace llmpo {

enum class TraceFormat {
  azure,    // TIMESTAMP (datetime), ContextTokens, GeneratedTokens; sorted by time
  lengths,  // num_prefill_tokens, num_decode_tokens; lengths only, no arrivals
  generic,  // arrival_s, prompt_tokens, output_tokens; sorted by arrival_s
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
};

// Reads every row. Errors (InputError with file:line): a missing column, a cell that is not a
// number or token count, a malformed timestamp, time going backwards, a negative arrival_s,
// an empty file or one with only a header.
std::vector<TraceRow> read_trace(const std::string& path, TraceFormat format,
                                 const std::string& column_prompt, const std::string& column_output);

// One CSV column of token counts, for the `empirical` length distribution.
std::vector<int32_t> read_token_column(const std::string& path, const std::string& column);

// "2023-11-16 18:15:46.6805900" (or with 'T', up to 9 fractional digits) as nanoseconds since
// 1970-01-01 00:00:00 of the same (unstated) time zone; false when the text is malformed.
bool parse_timestamp_ns(const std::string& text, int64_t& ns_since_epoch);

}  // namespace llmpo
