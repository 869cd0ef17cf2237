#pragma once
// Readers for measured profiles. Units are converted here, once: Vidur and aiconfigurator times
// are milliseconds; Vidur network sizes are bytes; aiconfigurator's NCCL message_size counts
// ELEMENTS of the listed dtype. Every malformed file raises an InputError naming file and line
// (and the column, as key path): missing columns, cells that are not numbers, times <= 0,
// counts that are not whole or out of bounds; rows skipped on purpose are counted in `notes`.
//
// Known files (folders are searched recursively for them):
//   Vidur:          mlp.csv, attention.csv, all_reduce.csv, send_recv.csv, cpu_overheads.csv
//   aiconfigurator: gemm_perf*.csv, context_attention_perf*.csv, generation_attention_perf*.csv,
//                   nccl_perf*.csv, custom_allreduce_perf*.csv
//   vLLM engine:    dense.csv, attention.csv, per_sequence.csv of an engine profile (LLMServingSim
//                   profiler: microseconds, meta.yaml one folder up names the model)
//   generic:        any *.csv whose header has the columns op, shape, time_ms (schema in
//                   experiments/fidelity/README.md, "Generic format")
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "measurement.hpp"

namespace llmpo {
class CsvTable;
struct CsvRow;
}

namespace llmpo::calibration {

struct ProfileSet {
  std::vector<Measurement> rows;
  std::vector<std::string> files;  // every file read, in order
  std::vector<std::string> notes;  // rows skipped on purpose, and why (one line per reason and file)
};

// Reads files and folders (recursively, known names only, sorted so the order is deterministic).
// Throws InputError for a missing path, a folder with no known file, or a malformed file.
ProfileSet read_profiles(const std::vector<std::string>& paths);

// One file, its format found from its header. Appends to `out`.
void read_profile_file(const std::string& path, ProfileSet& out);
// The same on text in memory; `path` is used in messages and, as for a file, its folder names
// a Vidur file's model or node (tests and the fuzzer).
void read_profile_text(std::string_view text, const std::string& path, ProfileSet& out);

// The individual formats on a parsed table (exposed for the tests).
void read_vidur_mlp(const CsvTable& csv, ProfileSet& out);
void read_vidur_attention(const CsvTable& csv, ProfileSet& out);
void read_vidur_network(const CsvTable& csv, ProfileSet& out);
void read_vidur_cpu_overhead(const CsvTable& csv, ProfileSet& out);
void read_aiconfigurator(const CsvTable& csv, ProfileSet& out);
void read_generic(const CsvTable& csv, ProfileSet& out);
// vLLM engine profile (engine_profile_reader.cpp): dense.csv, attention.csv, per_sequence.csv.
void read_engine_dense(const CsvTable& csv, ProfileSet& out);
void read_engine_attention(const CsvTable& csv, ProfileSet& out);
void read_engine_per_sequence(const CsvTable& csv, ProfileSet& out);

// Bounds on a profile row's shape numbers: far above any real kernel, and low enough that the
// row's work stays finite and building its batch (one sequence at a time) stays quick.
inline constexpr int64_t kMaxProfileBatch = 65'536;          // sequences in one attention row
inline constexpr int64_t kMaxProfileSize = 1'000'000'000;    // tokens, dimensions, heads, ranks
inline constexpr double kMaxProfileBytes = 1e15;             // message and tensor sizes (1 PB)
inline constexpr double kMaxProfileFlops = 1e30;             // a generic elementwise row's flops
// A shape number in a cell: a whole number from `min` to kMaxProfileSize, else an InputError.
double profile_size(const CsvTable& csv, const CsvRow& row, std::size_t column, int64_t min = 1);

// "16 KB - 64 MB" style buckets shared by readers and report.
std::string message_range(double bytes);
std::string chunk_range(double new_tokens);

}  // namespace llmpo::calibration
