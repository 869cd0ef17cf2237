#pragma once
// Reading the Mooncake traces (kvcache-ai/Mooncake, FAST'25 release, Apache-2.0) as published:
// JSON Lines of {"timestamp": ms, "input_length": tokens, "output_length": tokens,
// "hash_ids": [...]}, where hash_ids names each 512-token block of the prompt (the last one
// possibly partial) by a remapped hash of the block and everything before it, so two requests
// with the same first k ids share their first k blocks (FAST25-release/README.md; the Mooncake
// technical report, arXiv:2407.00079, section 4, gives the 512-token block size).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace_reader.hpp"

namespace llmpo {

// Tokens per hash_ids entry in the published Mooncake traces.
inline constexpr int32_t kMooncakeBlockTokens = 512;

// Every non-blank line as one row: time_s = timestamp / 1000, prompt = input_length, output =
// output_length, block_hashes = hash_ids. Errors (InputError with file:line and the key): a
// line that is not a JSON object, a missing or unknown key, a timestamp that is negative, not a
// number, too large or earlier than the line before, a length that is not a token count, a
// hash id that is not a non-negative integer, or a hash_ids list whose length is not
// ceil(input_length / 512); an empty file or one of blank lines only.
std::vector<TraceRow> read_mooncake_trace(const std::string& path);
std::vector<TraceRow> read_mooncake_trace_text(std::string_view text, const std::string& path);

}  // namespace llmpo
