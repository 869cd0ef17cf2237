#include "mooncake_trace.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/util/error.hpp"
#include "simulator/util/input_limits.hpp"
#include "length_spec.hpp"

namespace llmpo {

namespace {

const char* const kKeys[] = {"timestamp", "input_length", "output_length", "hash_ids"};

[[noreturn]] void fail(const std::string& path, int line, const std::string& key, const std::string& message) {
  throw InputError(SourcePos{path, line, 0}, key, message);
}

int32_t token_count(const nlohmann::json& object, const std::string& path, int line, const char* key) {
  const nlohmann::json& value = object.at(key);
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > kMaxLengthTokens)
    fail(path, line, key, fmt::format("{} is not a token count (a whole number from 0 to {})", value.dump(),
                                      kMaxLengthTokens));
  return static_cast<int32_t>(value.get<int64_t>());
}

TraceRow read_row(const nlohmann::json& object, const std::string& path, int line) {
  if (!object.is_object()) fail(path, line, "", "expected a JSON object {timestamp, input_length, output_length, hash_ids}");
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known)
      fail(path, line, key, "unknown key; a Mooncake trace row has timestamp, input_length, output_length, hash_ids");
  }
  for (const char* key : kKeys)
    if (!object.contains(key)) fail(path, line, key, "missing; a Mooncake trace row has timestamp, input_length, "
                                                     "output_length, hash_ids");
  TraceRow row;
  row.line = line;
  const nlohmann::json& timestamp = object.at("timestamp");
  if (!timestamp.is_number() || !(timestamp.get<double>() >= 0) || !(timestamp.get<double>() * 1e-3 <= kMaxArrivalS))
    fail(path, line, "timestamp", fmt::format("{} is not an arrival time in milliseconds from 0 to {}",
                                              timestamp.dump(), kMaxArrivalS * 1e3));
  row.time_s = timestamp.get<double>() * 1e-3;
  row.prompt_tokens = token_count(object, path, line, "input_length");
  row.output_tokens = token_count(object, path, line, "output_length");
  const nlohmann::json& ids = object.at("hash_ids");
  if (!ids.is_array()) fail(path, line, "hash_ids", "expected a list of block hash ids");
  row.block_hashes.reserve(ids.size());
  for (const nlohmann::json& id : ids) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0)
      fail(path, line, "hash_ids", fmt::format("{} is not a block hash id (a non-negative integer)", id.dump()));
    row.block_hashes.push_back(id.get<int64_t>());
  }
  // One id per block, the last one partial: a list of another length cannot be matched to tokens.
  const auto blocks = (int64_t{row.prompt_tokens} + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens;
  if (static_cast<int64_t>(row.block_hashes.size()) != blocks)
    fail(path, line, "hash_ids", fmt::format("{} ids for input_length {}; expected one per {}-token block ({})",
                                             row.block_hashes.size(), row.prompt_tokens, kMooncakeBlockTokens, blocks));
  return row;
}

}  // namespace

std::vector<TraceRow> read_mooncake_trace_text(std::string_view text, const std::string& path) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte-order mark
  std::vector<TraceRow> rows;
  std::string previous_timestamp;
  int line = 0;
  while (!text.empty()) {
    ++line;
    const std::size_t end = text.find('\n');
    std::string_view content = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& error) {
      // parse_error, and out_of_range for a number past a double (1e316): both bad input.
      fail(path, line, "", fmt::format("not a JSON object ({})", error.what()));
    }
    TraceRow row = read_row(object, path, line);
    const std::string timestamp = object.at("timestamp").dump();  // as written, for messages
    if (!rows.empty() && row.time_s < rows.back().time_s)
      fail(path, line, "timestamp", fmt::format("{} ms is earlier than {} ms on line {}; the trace must be sorted by "
                                                "timestamp", timestamp, previous_timestamp, rows.back().line));
    previous_timestamp = timestamp;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) fail(path, 0, "", "no requests: the file is empty or has only blank lines");
  return rows;
}

std::vector<TraceRow> read_mooncake_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path, 0, 0}, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return read_mooncake_trace_text(text.str(), path);
}

}  // namespace llmpo
