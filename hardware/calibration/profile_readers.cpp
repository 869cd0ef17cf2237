// Finds measured-profile files and hands each to the reader its header identifies.
#include "profile_readers.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"

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

namespace {

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// File names a folder search picks up; explicitly named files may have any name.
bool known_name(const std::string& name) {
  static const char* exact[] = {"mlp.csv", "attention.csv", "all_reduce.csv", "send_recv.csv", "cpu_overheads.csv"};
  for (const char* e : exact)
    if (name == e) return true;
  for (const char* prefix : {"gemm_perf", "context_attention_perf", "generation_attention_perf", "nccl_perf",
                             "custom_allreduce_perf", "generic"})
    if (starts_with(name, prefix) && name.size() > 4 && name.substr(name.size() - 4) == ".csv") return true;
  return false;
}

}  // namespace

void read_profile_file(const std::string& path, ProfileSet& out) {
  const CsvTable head = CsvTable::read(path);  // also rejects empty and header-only files
  const std::size_t before = out.rows.size();
  if (head.has("op_name") && head.has("latency")) read_aiconfigurator(path, out);
  else if (head.has("time_stats.attn_decode.median") || head.has("time_stats.attn_prefill.median")) read_vidur_attention(path, out);
  else if (head.has("time_stats.all_reduce.median") || head.has("time_stats.send_recv.median")) read_vidur_network(path, out);
  else if (head.has("schedule_median")) read_vidur_cpu_overhead(path, out);
  else if (head.has("num_tokens") && head.has("n_embd")) read_vidur_mlp(path, out);
  else if (head.has("op") && head.has("shape") && head.has("time_ms")) read_generic(path, out);
  else
    throw InputError(SourcePos{path, 1, 0}, "",
                     "not a known profile format (Vidur mlp/attention/network/cpu_overheads, aiconfigurator "
                     "*_perf tables, or the generic op,shape,time_ms format)");
  out.files.push_back(path);
  if (out.rows.size() == before) out.notes.push_back(fmt::format("{}: no usable rows", path));
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
