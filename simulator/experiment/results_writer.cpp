#include "results_writer.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "results_rows.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/chunked_text.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_manifest.hpp"
#include "simulator/util/sha256.hpp"
#include "simulator/util/table.hpp"

#ifndef LLMPO_VERSION
#define LLMPO_VERSION "unknown"
#endif

namespace llmpo {

namespace fs = std::filesystem;

namespace {

// FNV-1a, 64 bits: a stable fingerprint (not a security measure) of a run's configuration.
std::string fnv1a_hex(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json digest_entry(const FileDigest& digest) { return {{"size", digest.size}, {"sha256", digest.sha256}}; }

// A saved run's rows file (".timeseries.csv", ".requests.csv") and its size and SHA-256.
using RowsDigest = std::pair<std::string, FileDigest>;

// What is wrong with a saved run's rows (its time series, and its requests when written) against
// the sizes and SHA-256 its JSON records; empty when they match. A rows file cut short by a crash
// or a full disk is caught here rather than assembled into requests.csv.
std::string fragment_damage(const nlohmann::json& json, const std::vector<RowsDigest>& rows) {
  const auto files = json.find("files");
  if (files == json.end() || !files->is_object()) return "its JSON records no sizes and hashes of its rows";
  for (const auto& [suffix, digest] : rows) {
    const auto entry = files->find(suffix);
    if (entry == files->end() || !entry->is_object()) return fmt::format("its JSON does not describe {}", suffix);
    if (entry->value("size", uint64_t{0}) != digest.size)
      return fmt::format("{} is {} bytes, its JSON records {}", suffix, digest.size, entry->value("size", uint64_t{0}));
    if (entry->value("sha256", std::string()) != digest.sha256)
      return fmt::format("the SHA-256 of {} differs from its JSON's", suffix);
  }
  return "";
}

// The run's JSON under partial/: what the summary, the terminal table and --resume need.
nlohmann::json fragment_json(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                             const std::string& hash, const nlohmann::json& files) {
  return {{"hash", hash},
          {"summary", llmpo::summary_row(plan, outcome, workload)},
          {"table", table_cells(plan, *outcome.run, outcome.metrics)},
          {"files", files}};
}

// "run-000003.requests.csv": a saved run's file under partial/.
std::string fragment_name(int64_t run, const std::string& suffix) { return fmt::format("run-{:06}{}", run, suffix); }

// The rows files of a saved run: its time series, and its requests when they are written.
std::vector<std::string> row_suffixes(bool write_requests) {
  if (write_requests) return {".timeseries.csv", ".requests.csv"};
  return {".timeseries.csv"};
}

// The size and SHA-256 of a saved run's rows files as they are on disk, read in chunks.
std::vector<RowsDigest> rows_on_disk(const fs::path& folder, int64_t run, bool write_requests) {
  std::vector<RowsDigest> rows;
  for (const auto& suffix : row_suffixes(write_requests))
    rows.emplace_back(suffix, digest_file((folder / fragment_name(run, suffix)).string()));
  return rows;
}

// Writes the rows `make_rows` hands over, chunk by chunk, to `path` (atomically); returns their
// size and SHA-256, counted as they were written.
FileDigest write_rows(const std::string& path, const std::function<void(ChunkedText&)>& make_rows) {
  FileDigest digest;
  write_file_atomically(path, [&](std::ostream& out) {
    DigestedOutput file(out);
    ChunkedText rows([&](std::string_view chunk) {
      file.write(chunk);
      // A full disk stops the run's formatting here rather than after all its rows.
      if (!out) throw InputError({path, 0, 0}, "", "writing the output file failed (disk full?)");
    });
    make_rows(rows);
    rows.flush();
    digest = file.digest();
  });
  return digest;
}

// A saved run's rows files are whole CSV files: the header line, then the run's rows. So when an
// experiment has one run, its files are the outputs themselves, put in place without a copy.
void requests_file(const RunOutcome& outcome, const Workload& workload, ChunkedText& rows) {
  rows.text() += kRequestsHeader;
  requests_rows(outcome, workload, rows);
}
void timeseries_file(const RunOutcome& outcome, ChunkedText& rows) {
  rows.text() += kTimeseriesHeader;
  timeseries_rows(outcome, rows);
}

// Copies `from` to `to` (atomically, in chunks); returns the size and SHA-256 of what was copied.
FileDigest copy_rows(const std::string& from, const std::string& to) {
  FileDigest digest;
  write_file_atomically(to, [&](std::ostream& out) {
    DigestedOutput file(out);
    if (!file.copy_file(from)) throw InputError({from, 0, 0}, "", "cannot read the saved rows");
    digest = file.digest();
  });
  return digest;
}

// Sends the rows `make_rows` hands over as `rows` messages of about `chunk_bytes` each, then the
// empty one that ends them; returns their size and SHA-256, counted as they were sent.
FileDigest send_rows(RunSender& to, std::size_t chunk_bytes, const std::function<void(ChunkedText&)>& make_rows) {
  Sha256 hash;
  uint64_t size = 0;
  ChunkedText rows(
      [&](std::string_view chunk) {
        hash.update(chunk);
        size += chunk.size();
        to.send(RunMessageKind::rows, chunk);
      },
      chunk_bytes);
  make_rows(rows);
  rows.flush();
  to.send(RunMessageKind::rows, {});
  return {size, hash.hex_digest()};
}

// A stream out of order (a run's messages cut short or mixed with another's) is a fault of the
// program, not of its input.
void expect_kind(const RunMessage& message, RunMessageKind kind, const char* what) {
  if (message.kind != kind)
    throw InternalError(fmt::format("results: rank {} sent a message of kind {} where {} belongs", message.source,
                                    static_cast<int>(message.kind), what));
}

}  // namespace

// Raise when summary rows gain or lose columns. 2: `overloaded`, `overload_reason`. 3: the
// prefix-cache columns (and those of requests.csv and timeseries.csv).
constexpr int kSummaryLayout = 3;
// Raise when a saved run's rows files change form. 2: they begin with their CSV header.
constexpr int kRowsFileLayout = 2;

std::string ResultsWriter::config_hash(const ExperimentPlan& plan, const RunSpec& run, bool write_requests) {
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  YAML::Emitter emitter;
  emitter << YAML::Flow << point.point.document;
  const WorkloadPlan& workload = plan.workloads[static_cast<std::size_t>(run.workload_index)];
  // The model and GPU files too: editing a GPU profile between an interruption and --resume
  // changes the results, so it must change the hash.
  // The summary row's layout too: a run saved by a build whose rows lacked columns (the
  // saturation verdict) does not match, so --resume and merge simulate it again instead of
  // assembling a summary.csv with blank cells.
  return fnv1a_hex(fmt::format("{}\nsummary-layout={}\nrows-layout={}\n{}\n{}\n{}\nclip={}\nrequests={}\n{}\n{}",
                               LLMPO_VERSION, kSummaryLayout, kRowsFileLayout, emitter.c_str(),
                               run_json(run, plan).dump(), workload.key, workload.clip_max_model_len,
                               write_requests, read_whole(run.model.source_file),
                               read_whole(run.hardware.gpu.source_file)));
}

CsvRow ResultsWriter::summary_row(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload) {
  return llmpo::summary_row(plan, outcome, workload);
}

ResultsWriter::ResultsWriter(const ExperimentPlan& plan, std::string out_dir, bool write_requests, PartialRuns partial)
    : plan_(plan), out_dir_(std::move(out_dir)), write_requests_(write_requests), saved_(plan.runs.size()) {
  for (const auto& run : plan.runs) hashes_.push_back(config_hash(plan, run, write_requests));
  open_partial(partial);
}

std::string ResultsWriter::partial_dir() const { return (fs::path(out_dir_) / "partial").string(); }

std::string ResultsWriter::fragment_path(int64_t run, const std::string& suffix) const {
  return (fs::path(partial_dir()) / fragment_name(run, suffix)).string();
}

int64_t ResultsWriter::finished_count() const {
  return std::count_if(saved_.begin(), saved_.end(), [](const Saved& s) { return s.present; });
}

void ResultsWriter::open_partial(PartialRuns partial) {
  if (partial == PartialRuns::shared) {
    // A temporary file here may be another shard's file in progress: leave them all.
    for (std::size_t i = 0; i < saved_.size(); ++i) load_fragment(static_cast<int64_t>(i));
    return;
  }
  remove_stale_temporaries(out_dir_);
  remove_stale_temporaries(partial_dir());
  std::error_code error;
  if (fs::is_directory(partial_dir(), error)) {
    int64_t saved_runs = 0;
    for (const auto& entry : fs::directory_iterator(partial_dir(), error))
      if (entry.path().extension() == ".json") ++saved_runs;
    if (partial == PartialRuns::refuse && saved_runs > 0)
      throw InputError({partial_dir(), 0, 0}, "",
                       fmt::format("holds {} finished run(s) of an interrupted run: pass --resume to keep those that "
                                   "match this experiment and run the rest, or --restart to discard them",
                                   saved_runs));
    if (partial != PartialRuns::resume) fs::remove_all(partial_dir(), error);
  }
  if (partial != PartialRuns::resume) return;
  for (std::size_t i = 0; i < saved_.size(); ++i) load_fragment(static_cast<int64_t>(i));
  // No partial runs at all: the folder may hold the complete outputs of this very plan. Its
  // manifest must vouch for them: a folder whose files do not match is refused, not taken as done
  // (nor silently replaced: --restart says so).
  if (finished_count() == 0 && fs::exists(fs::path(out_dir_) / "summary.csv") &&
      fs::exists(fs::path(out_dir_) / kManifestName)) {
    const auto manifest = verified_run_manifest(out_dir_);
    const auto hashes = manifest.find("run_hashes");
    if (hashes == manifest.end() || !hashes->is_array() ||
        !std::all_of(hashes->begin(), hashes->end(), [](const nlohmann::json& h) { return h.is_string(); }))
      throw InputError({(fs::path(out_dir_) / kManifestName).string(), 0, 0}, "run_hashes",
                       "missing or not a list of strings: not a manifest of `llmperforacle run`; pass --restart to "
                       "replace the folder's outputs");
    already_complete_ = hashes->get<std::vector<std::string>>() == hashes_;
  }
}

bool ResultsWriter::load_fragment(int64_t run) {
  const std::string json_path = fragment_path(run, ".json");
  if (!fs::exists(json_path)) return false;
  if (!fs::exists(fragment_path(run, ".timeseries.csv"))) return false;
  if (write_requests_ && !fs::exists(fragment_path(run, ".requests.csv"))) return false;
  try {
    const auto json = nlohmann::json::parse(read_whole(json_path));
    if (json.at("hash").get<std::string>() != hashes_[static_cast<std::size_t>(run)]) return false;
    // The rows are hashed in chunks, never held whole: a million requests are 150 MB of rows.
    const std::string damage = fragment_damage(json, rows_on_disk(partial_dir(), run, write_requests_));
    if (!damage.empty()) {
      spdlog::warn("{}: the saved run {} is damaged ({}); it is simulated again", partial_dir(), run, damage);
      return false;
    }
    record_saved(run, json);
  } catch (const std::exception&) {
    return false;  // unreadable: the run is simply done again
  }
  return true;
}

void ResultsWriter::send_run(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                             bool write_requests, RunSender& to, std::size_t chunk_bytes) {
  to.send(RunMessageKind::run, std::to_string(outcome.run->index));
  nlohmann::json files = nlohmann::json::object();
  if (write_requests)
    files[".requests.csv"] = digest_entry(
        send_rows(to, chunk_bytes, [&](ChunkedText& rows) { requests_file(outcome, workload, rows); }));
  files[".timeseries.csv"] =
      digest_entry(send_rows(to, chunk_bytes, [&](ChunkedText& rows) { timeseries_file(outcome, rows); }));
  to.send(RunMessageKind::json,
          fragment_json(plan, outcome, workload, config_hash(plan, *outcome.run, write_requests), files).dump() + "\n");
}

void ResultsWriter::add(const RunOutcome& outcome, const Workload& workload) {
  const int64_t run = checked_run(outcome.run->index);
  ensure_directory(partial_dir());
  // Rows go to their files as they are formatted, in chunks of about 1 MiB, with their size and
  // SHA-256 counted on the way: nothing of the size of the rows is held in memory.
  nlohmann::json files = nlohmann::json::object();
  if (write_requests_)
    files[".requests.csv"] = digest_entry(write_rows(fragment_path(run, ".requests.csv"), [&](ChunkedText& rows) {
      requests_file(outcome, workload, rows);
    }));
  files[".timeseries.csv"] = digest_entry(
      write_rows(fragment_path(run, ".timeseries.csv"), [&](ChunkedText& rows) { timeseries_file(outcome, rows); }));
  const nlohmann::json json = fragment_json(plan_, outcome, workload, hashes_[static_cast<std::size_t>(run)], files);
  // Last: its presence says the run's rows are complete.
  write_file_atomically(fragment_path(run, ".json"), json.dump() + "\n");
  record_saved(run, json);
}

void ResultsWriter::receive_runs(RunReceiver& from, int senders) {
  RunMessage message;
  for (int done = 0; done < senders;) {
    from.receive(RunReceiver::kAnySource, message);
    if (message.kind == RunMessageKind::done) ++done;
    else receive_run(from, message);
  }
}

void ResultsWriter::receive_run(RunReceiver& from, RunMessage& message) {
  const int source = message.source;
  expect_kind(message, RunMessageKind::run, "a run's index");
  int64_t index = -1;
  const auto [end, error] = std::from_chars(message.bytes.data(), message.bytes.data() + message.bytes.size(), index);
  if (error != std::errc() || end != message.bytes.data() + message.bytes.size())
    throw InternalError(fmt::format("results: rank {} sent \"{}\" as a run's index", source, message.bytes));
  const int64_t run = checked_run(index);
  ensure_directory(partial_dir());
  try {
    save_received_run(from, run, message);
  } catch (...) {
    // Without its JSON the run never counts as saved; its rows go too, so nothing half-made stays.
    for (const auto& suffix : row_suffixes(write_requests_)) fs::remove(fragment_path(run, suffix));
    throw;
  }
}

void ResultsWriter::save_received_run(RunReceiver& from, int64_t run, RunMessage& message) {
  const int source = message.source;
  // Each chunk is appended to the run's file as it arrives, its size and SHA-256 counted on the
  // way; the empty rows message ends the file.
  std::vector<RowsDigest> rows;
  auto receive_rows = [&](const std::string& suffix) {
    const std::string path = fragment_path(run, suffix);
    FileDigest digest;
    write_file_atomically(path, [&](std::ostream& out) {
      DigestedOutput file(out);
      for (;;) {
        from.receive(source, message);
        expect_kind(message, RunMessageKind::rows, "rows");
        if (message.bytes.empty()) break;
        file.write(message.bytes);
        if (!out) throw InputError({path, 0, 0}, "", "writing the output file failed (disk full?)");
      }
      digest = file.digest();
    });
    rows.emplace_back(suffix, digest);
  };
  // In the order send_run sends them.
  if (write_requests_) receive_rows(".requests.csv");
  receive_rows(".timeseries.csv");
  from.receive(source, message);
  expect_kind(message, RunMessageKind::json, "a run's JSON");
  const auto json = nlohmann::json::parse(message.bytes);
  std::string damage = fragment_damage(json, rows);
  if (json.at("hash").get<std::string>() != hashes_[static_cast<std::size_t>(run)])
    damage = "it was computed for another configuration";
  if (!damage.empty())
    throw InternalError(fmt::format("results: run {} from rank {} arrived damaged: {}", run, source, damage));
  // Last: its presence says the run's rows are complete.
  write_file_atomically(fragment_path(run, ".json"), message.bytes);
  record_saved(run, json);
}

int64_t ResultsWriter::checked_run(int64_t run) const {
  if (run < 0 || run >= static_cast<int64_t>(saved_.size()))
    throw InternalError(fmt::format("results: a saved run has index {} of {}", run, saved_.size()));
  return run;
}

void ResultsWriter::record_saved(int64_t run, const nlohmann::json& json) {
  const std::lock_guard<std::mutex> lock(saved_mutex_);
  Saved& saved = saved_[static_cast<std::size_t>(run)];
  saved.summary = json.at("summary").get<CsvRow>();
  saved.table_cells = json.at("table").get<std::vector<std::string>>();
  saved.files = json.at("files");
  saved.present = true;
}

std::vector<int64_t> ResultsWriter::import_from(const std::string& other_out_dir) {
  std::vector<int64_t> imported;
  const fs::path other = fs::path(other_out_dir) / "partial";
  if (!fs::is_directory(other)) throw InputError({other_out_dir, 0, 0}, "", "has no partial/ folder of saved runs");
  for (std::size_t i = 0; i < saved_.size(); ++i) {
    const auto run = static_cast<int64_t>(i);
    const fs::path json_path = other / fragment_name(run, ".json");
    if (saved_[i].present || !fs::exists(json_path)) continue;
    try {
      const std::string json_text = read_whole(json_path.string());
      const auto json = nlohmann::json::parse(json_text);
      if (json.at("hash").get<std::string>() != hashes_[i]) continue;
      ensure_directory(partial_dir());
      // The rows are copied in chunks and checked as copied (what was read is what is kept):
      // a damaged copy is removed again, and without the run's JSON it never counts as saved.
      std::vector<RowsDigest> rows;
      for (const auto& suffix : row_suffixes(write_requests_))
        rows.emplace_back(suffix, copy_rows((other / fragment_name(run, suffix)).string(), fragment_path(run, suffix)));
      if (const std::string damage = fragment_damage(json, rows); !damage.empty()) {
        spdlog::warn("{}: the saved run {} is damaged ({}); not imported", other.string(), run, damage);
        for (const auto& suffix : row_suffixes(write_requests_)) fs::remove(fragment_path(run, suffix));
        continue;
      }
      write_file_atomically(fragment_path(run, ".json"), json_text);
      record_saved(run, json);
    } catch (const std::exception&) {
      continue;  // damaged or unreadable: not imported, reported as missing
    }
    imported.push_back(run);
  }
  return imported;
}

std::vector<std::string> ResultsWriter::finish(const std::string& command_line,
                                               const std::vector<std::string>& extra_outputs) {
  if (finished_count() != static_cast<int64_t>(saved_.size()))
    throw InternalError(fmt::format("results: {} of {} runs finished when the outputs were assembled",
                                    finished_count(), saved_.size()));
  ensure_directory(out_dir_);
  // Summary header: the union of columns in order of first appearance (workload columns can
  // differ between sweep points); a run without a column leaves the cell empty.
  std::vector<std::string> header;
  for (const auto& saved : saved_)
    for (const auto& [column, value] : saved.summary)
      if (std::find(header.begin(), header.end(), column) == header.end()) header.push_back(column);
  std::string summary;
  for (std::size_t c = 0; c < header.size(); ++c) summary += (c ? "," : "") + header[c];
  summary += "\n";
  for (const auto& saved : saved_) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      std::string cell;
      for (const auto& [column, value] : saved.summary)
        if (column == header[c]) cell = value;
      if (c) summary += ',';  // not `"," + string&&`: GCC 12 -O3 warns falsely on that
      summary += csv_cell(cell);
    }
    summary += "\n";
  }
  nlohmann::json manifest = {{"program", "llmperforacle"}, {"version", LLMPO_VERSION}, {"command", command_line},
                             {"experiment", plan_.path}, {"name", plan_.name},
                             {"clip_max_model_len", plan_.clip_max_model_len}};
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : plan_.runs) runs.push_back(run_json(run, plan_));
  manifest["runs"] = runs;
  manifest["run_hashes"] = hashes_;
  nlohmann::json workloads = nlohmann::json::array();
  for (const auto& w : plan_.workloads)
    workloads.push_back({{"seed", w.seed}, {"definition", w.key}, {"clip_max_model_len", w.clip_max_model_len}});
  manifest["workloads"] = workloads;

  std::vector<std::string> written;
  auto path_of = [&](const std::string& name) { return (fs::path(out_dir_) / name).string(); };
  // requests.csv and timeseries.csv: one run's files are linked into place as they are (no byte
  // copied: a 10M-request requests.csv is 1.7 GB); several runs' files are copied in chunks (never
  // whole in memory) under one header, their size and SHA-256 counted on the way for the manifest.
  std::map<std::string, FileDigest> assembled;
  auto assemble = [&](const std::string& name, const char* header_line, const std::string& suffix) {
    if (saved_.size() == 1 && link_file_atomically(fragment_path(0, suffix), path_of(name))) {
      const nlohmann::json& digest = saved_[0].files.at(suffix);
      assembled[name] = {digest.at("size").get<uint64_t>(), digest.at("sha256").get<std::string>()};
      return;
    }
    write_file_atomically(path_of(name), [&](std::ostream& out) {
      DigestedOutput file(out);
      file.write(header_line);
      for (std::size_t run = 0; run < saved_.size(); ++run) {
        const std::string rows = fragment_path(static_cast<int64_t>(run), suffix);
        if (!file.copy_file(rows, header_line))
          throw InternalError("results: the saved rows " + rows + " disappeared while the outputs were assembled");
        if (!out) throw InputError({path_of(name), 0, 0}, "", "writing the output file failed (disk full?)");
      }
      assembled[name] = file.digest();
    });
  };
  // The vllm/ files the earlier outputs listed: those this run does not write go with them.
  std::vector<std::string> earlier_vllm;
  // A first run has no manifest: asked before reading, as a thrown error is the slowest way to
  // learn it (the first throw of a process loads the unwinder's tables, ~0.3 ms).
  if (fs::exists(path_of(kManifestName))) {
    try {
      const auto earlier = read_manifest(out_dir_);
      if (const auto files = earlier.find("files"); files != earlier.end() && files->is_object())
        for (const auto& [name, digest] : files->items())
          if (name.rfind("vllm/", 0) == 0 && name.find("..") == std::string::npos) earlier_vllm.push_back(name);
    } catch (const InputError&) {
      // Not ours (or unreadable): nothing listed to remove.
    }
  }
  // The old manifest goes first: while the files are replaced one by one the folder vouches for
  // nothing, so a reader never takes half-replaced outputs for a result. Without one (a first run)
  // there is no removal to put on disk before the files, and the folder is synced below anyway.
  if (fs::remove(path_of(kManifestName))) sync_directory(out_dir_);
  std::vector<std::string> listed = {"summary.csv"};
  write_file_atomically(path_of("summary.csv"), summary);
  if (write_requests_) {
    assemble("requests.csv", kRequestsHeader, ".requests.csv");
    listed.push_back("requests.csv");
  } else {
    fs::remove(path_of("requests.csv"));  // never leave a stale one
  }
  assemble("timeseries.csv", kTimeseriesHeader, ".timeseries.csv");
  listed.push_back("timeseries.csv");
  for (const auto& name : remove_stale_outputs(extra_outputs, earlier_vllm)) listed.push_back(name);
  // On disk before the manifest that vouches for them.
  for (const auto& name : listed) sync_file(path_of(name));
  sync_directory(out_dir_);
  std::vector<std::string> read_back;  // the files not assembled here: summary.csv, vllm/*.json
  for (const auto& name : listed)
    if (assembled.count(name) == 0) read_back.push_back(name);
  manifest["files"] = describe_files(out_dir_, read_back);
  for (const auto& [name, digest] : assembled) manifest["files"][name] = digest_entry(digest);
  write_file_atomically(path_of(kManifestName), manifest.dump(2) + "\n");
  sync_file(path_of(kManifestName));
  sync_directory(out_dir_);
  for (const auto& name : listed)
    if (name.find('/') == std::string::npos) written.push_back(path_of(name));
  written.push_back(path_of(kManifestName));
  std::error_code error;
  fs::remove_all(partial_dir(), error);
  return written;
}

std::vector<std::string> ResultsWriter::remove_stale_outputs(const std::vector<std::string>& extra_outputs,
                                                             const std::vector<std::string>& earlier_vllm) {
  std::vector<std::string> kept;
  for (const auto& name : extra_outputs) {
    if (fs::is_regular_file(fs::path(out_dir_) / name)) kept.push_back(name);
    else spdlog::warn("{}: {} is missing (its run was resumed from a command without --vllm-json); not written", out_dir_, name);
  }
  std::error_code error;
  // report.html describes the folder's earlier results: `run --report` writes it again after.
  fs::remove(fs::path(out_dir_) / "report.html", error);
  // vllm/: the files the earlier outputs' manifest listed, and those named as `--vllm-json` named
  // them before it took vLLM's names ("<6 digits>-<name>.json"); anything else a user put there
  // (a real vLLM result, say) is left alone.
  const fs::path vllm = fs::path(out_dir_) / "vllm";
  if (!fs::is_directory(vllm, error)) return kept;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(vllm, error)) {
    const std::string file = entry.path().filename().string();
    const bool legacy = file.size() > 12 && file.find_first_not_of("0123456789") == 6 && file[6] == '-' &&
                        entry.path().extension() == ".json";
    const bool listed = std::find(earlier_vllm.begin(), earlier_vllm.end(), "vllm/" + file) != earlier_vllm.end();
    if ((legacy || listed) && entry.is_regular_file(error) &&
        std::find(kept.begin(), kept.end(), "vllm/" + file) == kept.end())
      stale.push_back(entry.path());
  }
  for (const auto& path : stale) fs::remove(path, error);
  stale_removed_ += static_cast<int64_t>(stale.size());
  return kept;
}

TextTable ResultsWriter::comparison() const {
  TextTable table(table_headers());
  for (const auto& saved : saved_)
    if (saved.present) table.add_row(saved.table_cells);
  return table;
}

std::vector<CsvRow> ResultsWriter::summary_rows() const {
  std::vector<CsvRow> rows;
  for (const auto& saved : saved_)
    if (saved.present) rows.push_back(saved.summary);
  return rows;
}

std::string ResultsWriter::comparison_table() const {
  std::ostringstream out;
  comparison().print(out);
  return out.str();
}

}  // namespace llmpo
