#pragma once
// Readers for measured profiles. Units are converted here, once: Vidur and aiconfigurator times
// are milliseconds; Vidur network sizes are bytes; aiconfigurator's NCCL message_size counts
// ELEMENTS of the listed dtype. Every malformed file raises an InputError naming file and line.
//
// Known files (folders are searched recursively for them):
//   Vidur:          mlp.csv, attention.csv, all_reduce.csv, send_recv.csv, cpu_overheads.csv
//   aiconfigurator: gemm_perf*.csv, context_attention_perf*.csv, generation_attention_perf*.csv,
//                   nccl_perf*.csv, custom_allreduce_perf*.csv
//   generic:        any *.csv whose header has the columns op, shape, time_ms (schema in
//                   experiments/fidelity/README.md, "Generic format")
#include <string>
#include <vector>

#include "measurement.hpp"

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

// The individual formats (exposed for the tests).
void read_vidur_mlp(const std::string& path, ProfileSet& out);
void read_vidur_attention(const std::string& path, ProfileSet& out);
void read_vidur_network(const std::string& path, ProfileSet& out);
void read_vidur_cpu_overhead(const std::string& path, ProfileSet& out);
void read_aiconfigurator(const std::string& path, ProfileSet& out);
void read_generic(const std::string& path, ProfileSet& out);

// "16 KB - 64 MB" style buckets shared by readers and report.
std::string message_range(double bytes);
std::string chunk_range(double new_tokens);

}  // namespace llmpo::calibration
