#include "results_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "results_rows.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"
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

void append_file(std::ostream& out, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InternalError("results: the saved rows " + path + " disappeared while the outputs were assembled");
  if (in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
}

}  // namespace

std::string ResultsWriter::config_hash(const ExperimentPlan& plan, const RunSpec& run, bool write_requests) {
  const PointPlan& point = plan.points[static_cast<std::size_t>(run.point_index)];
  YAML::Emitter emitter;
  emitter << YAML::Flow << point.point.document;
  const WorkloadPlan& workload = plan.workloads[static_cast<std::size_t>(run.workload_index)];
  // The model and GPU files too: editing a GPU profile between an interruption and --resume
  // changes the results, so it must change the hash.
  return fnv1a_hex(fmt::format("{}\n{}\n{}\n{}\nclip={}\nrequests={}\n{}\n{}", LLMPO_VERSION, emitter.c_str(),
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
  return (fs::path(partial_dir()) / fmt::format("run-{:06}{}", run, suffix)).string();
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
  // No partial runs at all: the folder may hold the complete outputs of this very plan.
  if (finished_count() == 0 && fs::exists(fs::path(out_dir_) / "summary.csv")) {
    try {
      const auto manifest = nlohmann::json::parse(read_whole((fs::path(out_dir_) / "manifest.json").string()));
      already_complete_ = manifest.at("run_hashes").get<std::vector<std::string>>() == hashes_;
    } catch (const std::exception&) {
      already_complete_ = false;  // no manifest, an older one, or damaged: run everything
    }
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
    Saved& saved = saved_[static_cast<std::size_t>(run)];
    saved.summary = json.at("summary").get<CsvRow>();
    saved.table_cells = json.at("table").get<std::vector<std::string>>();
    saved.present = true;
  } catch (const std::exception&) {
    return false;  // unreadable: the run is simply done again
  }
  return true;
}

RunFragment ResultsWriter::make_fragment(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                                         bool write_requests) {
  RunFragment fragment;
  fragment.run = outcome.run->index;
  if (write_requests) fragment.requests_csv = requests_rows(outcome, workload);
  fragment.timeseries_csv = timeseries_rows(outcome);
  const nlohmann::json json = {{"hash", config_hash(plan, *outcome.run, write_requests)},
                               {"summary", llmpo::summary_row(plan, outcome, workload)},
                               {"table", table_cells(plan, *outcome.run, outcome.metrics)}};
  fragment.json = json.dump() + "\n";
  return fragment;
}

void ResultsWriter::add(const RunOutcome& outcome, const Workload& workload) {
  save(make_fragment(plan_, outcome, workload, write_requests_));
}

void ResultsWriter::save(const RunFragment& fragment) {
  const int64_t run = fragment.run;
  if (run < 0 || run >= static_cast<int64_t>(saved_.size()))
    throw InternalError(fmt::format("results: a saved run has index {} of {}", run, saved_.size()));
  const auto json = nlohmann::json::parse(fragment.json);
  if (json.at("hash").get<std::string>() != hashes_[static_cast<std::size_t>(run)])
    throw InternalError(fmt::format("results: run {} was computed for another configuration", run));
  ensure_directory(partial_dir());
  if (write_requests_) write_file_atomically(fragment_path(run, ".requests.csv"), fragment.requests_csv);
  write_file_atomically(fragment_path(run, ".timeseries.csv"), fragment.timeseries_csv);
  // Last: its presence says the run's rows are complete.
  write_file_atomically(fragment_path(run, ".json"), fragment.json);
  Saved& saved = saved_[static_cast<std::size_t>(run)];
  saved.summary = json.at("summary").get<CsvRow>();
  saved.table_cells = json.at("table").get<std::vector<std::string>>();
  saved.present = true;
}

std::vector<int64_t> ResultsWriter::import_from(const std::string& other_out_dir) {
  std::vector<int64_t> imported;
  const fs::path other = fs::path(other_out_dir) / "partial";
  if (!fs::is_directory(other)) throw InputError({other_out_dir, 0, 0}, "", "has no partial/ folder of saved runs");
  for (std::size_t i = 0; i < saved_.size(); ++i) {
    const auto run = static_cast<int64_t>(i);
    const fs::path json = other / fs::path(fragment_path(run, ".json")).filename();
    if (saved_[i].present || !fs::exists(json)) continue;
    RunFragment fragment;
    fragment.run = run;
    fragment.json = read_whole(json.string());
    fragment.timeseries_csv = read_whole((other / fs::path(fragment_path(run, ".timeseries.csv")).filename()).string());
    if (write_requests_)
      fragment.requests_csv = read_whole((other / fs::path(fragment_path(run, ".requests.csv")).filename()).string());
    try {
      if (nlohmann::json::parse(fragment.json).at("hash").get<std::string>() != hashes_[i]) continue;
    } catch (const std::exception&) {
      continue;  // damaged: not imported, reported as missing
    }
    save(fragment);
    imported.push_back(run);
  }
  return imported;
}

std::vector<std::string> ResultsWriter::finish(const std::string& command_line) {
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
  auto concatenated = [&](const char* header_line, const std::string& suffix) {
    return [this, header_line, suffix](std::ostream& out) {
      out << header_line;
      for (std::size_t run = 0; run < saved_.size(); ++run) append_file(out, fragment_path(static_cast<int64_t>(run), suffix));
    };
  };
  write_file_atomically(path_of("summary.csv"), summary);
  written.push_back(path_of("summary.csv"));
  if (write_requests_) {
    write_file_atomically(path_of("requests.csv"), concatenated(kRequestsHeader, ".requests.csv"));
    written.push_back(path_of("requests.csv"));
  } else {
    fs::remove(path_of("requests.csv"));  // never leave a stale one
  }
  write_file_atomically(path_of("timeseries.csv"), concatenated(kTimeseriesHeader, ".timeseries.csv"));
  written.push_back(path_of("timeseries.csv"));
  write_file_atomically(path_of("manifest.json"), manifest.dump(2) + "\n");
  written.push_back(path_of("manifest.json"));
  std::error_code error;
  fs::remove_all(partial_dir(), error);
  return written;
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
