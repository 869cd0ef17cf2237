// Finds measured-profile files and hands each to the reader its header identifies.
#include "profile_readers.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo::calibration {

namespace fs = std::filesystem;

const char* to_string(MeasuredKind kind) {
  switch (kind) {
    case MeasuredKind::gemm: return "gemm";
    case MeasuredKind::elementwise: return "elementwise";
    case MeasuredKind::attention_prefill: return "attention_prefill";
    case MeasuredKind::attention_decode: return "attention_decode";
    case MeasuredKind::all_reduce: return "all_reduce";
    case MeasuredKind::send_recv: return "send_recv";
    case MeasuredKind::cpu_overhead: return "cpu_overhead";
  }
  return "?";
}

std::string message_range(double bytes) {
  if (bytes < 16 * 1024) return "< 16 KB";
  if (bytes <= 64.0 * 1024 * 1024) return "16 KB - 64 MB";
  return "> 64 MB";
}

std::string chunk_range(double new_tokens) { return new_tokens >= 512 ? "chunk >= 512" : "chunk < 512"; }

double profile_size(const CsvTable& csv, const CsvRow& row, std::size_t column, int64_t min) {
  return static_cast<double>(csv.whole(row, column, min, kMaxProfileSize));
}

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// File names a folder search picks up; explicitly named files may have any name.
bool known_name(const std::string& name) {
  static const char* exact[] = {"mlp.csv", "attention.csv", "all_reduce.csv", "send_recv.csv", "cpu_overheads.csv",
                                "dense.csv", "per_sequence.csv"};
  for (const char* e : exact)
    if (name == e) return true;
  for (const char* prefix : {"gemm_perf", "context_attention_perf", "generation_attention_perf", "nccl_perf",
                             "custom_allreduce_perf", "generic"})
    if (starts_with(name, prefix) && name.size() > 4 && name.substr(name.size() - 4) == ".csv") return true;
  return false;
}

// Finds the format from the header (CsvTable has already rejected empty and header-only files).
void read_profile_table(const CsvTable& csv, ProfileSet& out) {
  const std::size_t before = out.rows.size();
  if (csv.has("op_name") && csv.has("latency")) read_aiconfigurator(csv, out);
  else if (csv.has("time_stats.attn_decode.median") || csv.has("time_stats.attn_prefill.median")) read_vidur_attention(csv, out);
  else if (csv.has("time_stats.all_reduce.median") || csv.has("time_stats.send_recv.median")) read_vidur_network(csv, out);
  else if (csv.has("schedule_median")) read_vidur_cpu_overhead(csv, out);
  else if (csv.has("num_tokens") && csv.has("n_embd")) read_vidur_mlp(csv, out);
  else if (csv.has("op") && csv.has("shape") && csv.has("time_ms")) read_generic(csv, out);
  else if (csv.has("layer") && csv.has("tokens") && csv.has("time_us")) read_engine_dense(csv, out);
  else if (csv.has("layer") && csv.has("sequences") && csv.has("time_us")) read_engine_per_sequence(csv, out);
  else if (csv.has("prefill_chunk") && csv.has("n_decode") && csv.has("time_us")) read_engine_attention(csv, out);
  else
    csv.fail(csv.header_line(),
             fmt::format("not a known profile format (Vidur mlp/attention/network/cpu_overheads, aiconfigurator "
                         "*_perf tables, vLLM engine-profile dense/attention/per_sequence, or the generic op,shape,time_ms format); the header has {}",
                         join(csv.header())));
  out.files.push_back(csv.path());
  if (out.rows.size() == before) out.notes.push_back(fmt::format("{}: no usable rows", csv.path()));
}

}  // namespace

void read_profile_file(const std::string& path, ProfileSet& out) { read_profile_table(CsvTable::read(path), out); }

void read_profile_text(std::string_view text, const std::string& path, ProfileSet& out) {
  read_profile_table(CsvTable::parse(text, path), out);
}

ProfileSet read_profiles(const std::vector<std::string>& paths) {
  ProfileSet out;
  for (const std::string& path : paths) {
    std::error_code error;
    if (fs::is_regular_file(path, error)) {
      read_profile_file(path, out);
      continue;
    }
    if (!fs::is_directory(path, error)) throw InputError(SourcePos{path, 0, 0}, "--profiles", "no such file or folder");
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file() && known_name(entry.path().filename().string())) found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    if (found.empty())
      throw InputError(SourcePos{path, 0, 0}, "--profiles", "no known profile CSV in this folder (see `calibrate --help`)");
    for (const std::string& file : found) read_profile_file(file, out);
  }
  return out;
}

}  // namespace llmpo::calibration
