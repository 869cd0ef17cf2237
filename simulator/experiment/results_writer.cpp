#include "results_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "results_rows.hpp"
#include "simulator/util/atomic_file.hpp"
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

void append_file(std::ostream& out, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InternalError("results: the saved rows " + path + " disappeared while the outputs were assembled");
  if (in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
}

nlohmann::json text_entry(const std::string& text) {
  return {{"size", text.size()}, {"sha256", sha256_hex(text)}};
}

// What is wrong with a saved run's rows (its time series, and its requests when written) against
// the sizes and SHA-256 its JSON records; empty when they match. A rows file cut short by a crash
// or a full disk is caught here rather than assembled into requests.csv.
std::string fragment_damage(const nlohmann::json& json, const std::string& timeseries, const std::string* requests) {
  std::vector<std::pair<std::string, const std::string*>> rows = {{".timeseries.csv", &timeseries}};
  if (requests != nullptr) rows.emplace_back(".requests.csv", requests);
  const auto files = json.find("files");
  if (files == json.end() || !files->is_object()) return "its JSON records no sizes and hashes of its rows";
  for (const auto& [suffix, text] : rows) {
    const auto entry = files->find(suffix);
    if (entry == files->end() || !entry->is_object()) return fmt::format("its JSON does not describe {}", suffix);
    if (entry->value("size", uint64_t{0}) != text->size())
      return fmt::format("{} is {} bytes, its JSON records {}", suffix, text->size(), entry->value("size", uint64_t{0}));
    if (entry->value("sha256", std::string()) != sha256_hex(*text))
      return fmt::format("the SHA-256 of {} differs from its JSON's", suffix);
  }
  return "";
}

}  // namespace

// Raise when summary rows gain or lose columns. 2: `overloaded`, `overload_reason`. 3: the
// prefix-cache columns (and those of requests.csv and timeseries.csv).
constexpr int kSummaryLayout = 3;

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
  return fnv1a_hex(fmt::format("{}\nsummary-layout={}\n{}\n{}\n{}\nclip={}\nrequests={}\n{}\n{}", LLMPO_VERSION,
                               kSummaryLayout, emitter.c_str(),
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
    const std::string timeseries = read_whole(fragment_path(run, ".timeseries.csv"));
    const std::string requests = write_requests_ ? read_whole(fragment_path(run, ".requests.csv")) : std::string();
    const std::string damage = fragment_damage(json, timeseries, write_requests_ ? &requests : nullptr);
    if (!damage.empty()) {
      spdlog::warn("{}: the saved run {} is damaged ({}); it is simulated again", partial_dir(), run, damage);
      return false;
    }
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
  nlohmann::json files = {{".timeseries.csv", text_entry(fragment.timeseries_csv)}};
  if (write_requests) files[".requests.csv"] = text_entry(fragment.requests_csv);
  const nlohmann::json json = {{"hash", config_hash(plan, *outcome.run, write_requests)},
                               {"summary", llmpo::summary_row(plan, outcome, workload)},
                               {"table", table_cells(plan, *outcome.run, outcome.metrics)},
                               {"files", files}};
  fragment.json = json.dump() + "\n";
  return fragment;
}

void ResultsWriter::add(const RunOutcome& outcome, const Workload& workload) {
  save(make_fragment(plan_, outcome, workload, write_requests_));
}

void ResultsWriter::save_received(const RunFragment& fragment) {
  const std::string damage = fragment_damage(nlohmann::json::parse(fragment.json), fragment.timeseries_csv,
                                             write_requests_ ? &fragment.requests_csv : nullptr);
  if (!damage.empty()) throw InternalError(fmt::format("results: run {} arrived damaged: {}", fragment.run, damage));
  save(fragment);
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
      const auto parsed = nlohmann::json::parse(fragment.json);
      if (parsed.at("hash").get<std::string>() != hashes_[i]) continue;
      const std::string damage =
          fragment_damage(parsed, fragment.timeseries_csv, write_requests_ ? &fragment.requests_csv : nullptr);
      if (!damage.empty()) {
        spdlog::warn("{}: the saved run {} is damaged ({}); not imported", other.string(), run, damage);
        continue;
      }
    } catch (const std::exception&) {
      continue;  // damaged: not imported, reported as missing
    }
    save(fragment);
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
  auto concatenated = [&](const char* header_line, const std::string& suffix) {
    return [this, header_line, suffix](std::ostream& out) {
      out << header_line;
      for (std::size_t run = 0; run < saved_.size(); ++run) append_file(out, fragment_path(static_cast<int64_t>(run), suffix));
    };
  };
  // The vllm/ files the earlier outputs listed: those this run does not write go with them.
  std::vector<std::string> earlier_vllm;
  try {
    const auto earlier = read_manifest(out_dir_);
    if (const auto files = earlier.find("files"); files != earlier.end() && files->is_object())
      for (const auto& [name, digest] : files->items())
        if (name.rfind("vllm/", 0) == 0 && name.find("..") == std::string::npos) earlier_vllm.push_back(name);
  } catch (const InputError&) {
    // No manifest (a first run) or not ours: nothing listed to remove.
  }
  // The old manifest goes first: while the files are replaced one by one the folder vouches for
  // nothing, so a reader never takes half-replaced outputs for a result.
  fs::remove(path_of(kManifestName));
  sync_directory(out_dir_);
  std::vector<std::string> listed = {"summary.csv"};
  write_file_atomically(path_of("summary.csv"), summary);
  if (write_requests_) {
    write_file_atomically(path_of("requests.csv"), concatenated(kRequestsHeader, ".requests.csv"));
    listed.push_back("requests.csv");
  } else {
    fs::remove(path_of("requests.csv"));  // never leave a stale one
  }
  write_file_atomically(path_of("timeseries.csv"), concatenated(kTimeseriesHeader, ".timeseries.csv"));
  listed.push_back("timeseries.csv");
  for (const auto& name : remove_stale_outputs(extra_outputs, earlier_vllm)) listed.push_back(name);
  // On disk before the manifest that vouches for them.
  for (const auto& name : listed) sync_file(path_of(name));
  sync_directory(out_dir_);
  manifest["files"] = describe_files(out_dir_, listed);
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
