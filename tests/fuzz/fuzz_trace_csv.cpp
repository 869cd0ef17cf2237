// libFuzzer target: arbitrary bytes as a CSV, read by every reader of user CSVs - each request
// trace format, the `empirical` length column, and the measured-profile readers of calibrate and
// fidelity. A malformed file must end in llmpo::InputError; anything else that escapes (another
// exception, a crash, a sanitizer report, a hang, a huge allocation) is a bug. What a reader
// accepts must also be sane - counts in range, times finite and sorted, measured times positive,
// work finite - or the simulator would run on garbage; a violation aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hardware/calibration/profile_readers.hpp"
#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/workload/trace_reader.hpp"

namespace {

using namespace llmpo;

void require(bool condition) {
  if (!condition) std::abort();  // libFuzzer reports the input as a crash
}

bool token_count_ok(int32_t tokens) { return tokens >= 0 && tokens <= kMaxTokenCount; }

void read_traces(std::string_view text) {
  for (const TraceFormat format :
       {TraceFormat::azure, TraceFormat::generic, TraceFormat::lengths, TraceFormat::mooncake}) {
    try {
      const auto rows = read_trace_text(text, "<fuzz>/trace.csv", format, default_prompt_column(format),
                                        default_output_column(format));
      require(!rows.empty());
      double previous_s = 0.0;
      for (const TraceRow& row : rows) {
        require(token_count_ok(row.prompt_tokens) && token_count_ok(row.output_tokens));
        require(std::isfinite(row.time_s) && row.time_s >= previous_s && row.time_s <= kMaxArrivalS);
        require(row.line >= (format == TraceFormat::mooncake ? 1 : 2));  // JSON Lines have no header
        // Identity: a prefix fits its prompt; Mooncake has one hash id per 512-token block.
        require(row.prefix < 0 || (row.prefix_tokens >= 1 && row.prefix_tokens <= row.prompt_tokens));
        require(format != TraceFormat::mooncake ||
                static_cast<int64_t>(row.block_hashes.size()) == (int64_t{row.prompt_tokens} + 511) / 512);
        previous_s = row.time_s;
      }
    } catch (const InputError&) {
    }
  }
  try {
    for (const int32_t tokens : read_token_column_text(text, "<fuzz>/lengths.csv", "tokens")) require(token_count_ok(tokens));
  } catch (const InputError&) {
  }
}

bool work_ok(const OperatorWork& w) {
  for (const double value : {w.flops, w.weight_bytes, w.input_bytes, w.output_bytes, w.kv_read_bytes, w.kv_write_bytes,
                             w.gemm_m, w.gemm_n, w.gemm_k, w.prefill_flops, w.decode_flops, w.prefill_bytes,
                             w.decode_bytes, w.message_bytes, w.total_bytes()})
    if (!std::isfinite(value) || value < 0) return false;
  return true;
}

void read_profiles(std::string_view text) {
  // The folder names a Vidur network file's node; "a100_dgx" is one whose rows are kept.
  try {
    calibration::ProfileSet set;
    calibration::read_profile_text(text, "<fuzz>/a100_dgx/profile.csv", set);
    for (const calibration::Measurement& m : set.rows) {
      require(std::isfinite(m.measured_s) && m.measured_s > 0);
      require(work_ok(m.work));
      require(m.tp >= 1);
    }
  } catch (const InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  read_traces(text);
  read_profiles(text);
  return 0;
}
