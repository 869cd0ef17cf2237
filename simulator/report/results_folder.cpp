#include "simulator/report/results_folder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/output_manifest.hpp"

namespace llmpo::report {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path.string(), 0, 0}, "", "cannot read the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<double> number_in(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

void add_distinct(std::vector<std::string>& values, const std::string& value) {
  if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
}

namespace {

// A sweep key as a chart label names it: the last step of a dotted path ("workload.arrival.
// rate_per_s" -> "rate_per_s"), then the usual short names ("TP", "rate").
std::string short_key(const std::string& key) {
  const std::size_t dot = key.find_last_of('.');
  const std::string last = dot == std::string::npos ? key : key.substr(dot + 1);
  const std::pair<const char*, const char*> names[] = {{"tensor_parallel_degree", "TP"},
                                                       {"pipeline_parallel_degree", "PP"},
                                                       {"num_replicas", "replicas"},
                                                       {"request_rate", "rate"},
                                                       {"rate_per_s", "rate"},
                                                       {"concurrency", "clients"}};
  for (const auto& [from, to] : names)
    if (last == from) return to;
  return last;
}

// The "key=value" parts of a point label, in order.
std::vector<std::pair<std::string, std::string>> point_parts(const std::string& point) {
  std::vector<std::pair<std::string, std::string>> parts;
  std::size_t start = 0;
  while (start <= point.size() && !point.empty()) {
    const std::size_t end = std::min(point.find(';', start), point.size());
    const std::string part = point.substr(start, end - start);
    const std::size_t eq = part.find('=');
    parts.emplace_back(part.substr(0, eq), eq == std::string::npos ? std::string() : part.substr(eq + 1));
    start = end + 1;
  }
  return parts;
}

// "key value" parts joined by ", ", each key by its short name unless another part of the point
// shortens to the same name (frameworks_to_test[0].config.block_size and [1]'s): those keep the
// whole path, so the label still says which is which.
std::string join_short(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::map<std::string, int> uses;
  for (const auto& part : parts) ++uses[short_key(part.first)];
  std::string out;
  for (const auto& [key, value] : parts)
    out += (out.empty() ? "" : ", ") + (uses[short_key(key)] > 1 ? key : short_key(key)) + " " + value;
  return out;
}

}  // namespace

std::string shorten_point(const std::string& point) { return join_short(point_parts(point)); }

std::string point_without(const std::string& point, const std::string& swept_key) {
  auto parts = point_parts(point);
  std::erase_if(parts, [&](const auto& part) { return short_key(part.first) == short_key(swept_key); });
  return join_short(parts);
}

bool RunResults::present_in(const fs::path& dir) {
  return std::any_of(std::begin(kFiles), std::end(kFiles), [&](const char* name) { return fs::exists(dir / name); });
}

RunResults::RunResults(const fs::path& dir) : dir_(dir) {
  for (const char* name : kFiles)
    if (!fs::exists(dir / name))
      throw InputError({(dir / name).string(), 0, 0}, "", "missing: a results folder of `llmperforacle run` has summary.csv and manifest.json");
  // Every file against the sizes and hashes in manifest.json: a folder a killed or concurrent
  // command left mixed is refused here, not drawn as one experiment.
  manifest_ = verified_run_manifest(dir.string());
  check_manifest_shape();
  summary_.csv = CsvTable::read((dir / "summary.csv").string());
  load_runs();
}

void RunResults::check_manifest_shape() const {
  const std::string path = (dir_ / "manifest.json").string();
  for (const char* key : {"program", "version", "command", "name", "experiment"})
    if (manifest_.contains(key) && !manifest_[key].is_string())
      throw InputError({path, 0, 0}, key, fmt::format("must be a string, not {}", manifest_[key].type_name()));
  if (!manifest_.contains("runs")) return;
  const json& runs = manifest_["runs"];
  if (!runs.is_array()) throw InputError({path, 0, 0}, "runs", fmt::format("must be a list, not {}", runs.type_name()));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string key = fmt::format("runs[{}]", i);
    if (!runs[i].is_object())
      throw InputError({path, 0, 0}, key, fmt::format("must be an object, not {}", runs[i].type_name()));
    if (!runs[i].contains("run") || !runs[i]["run"].is_number_integer())
      throw InputError({path, 0, 0}, key + ".run", "missing or not an integer run index");
  }
}

void RunResults::load_runs() {
  const std::size_t run_col = summary_.csv.column("run", "summary.csv");
  const std::size_t framework_col = summary_.csv.column("framework", "summary.csv");
  const auto point_col = summary_.csv.find("point");
  const json manifest_runs = manifest_.value("runs", json::array());
  for (const auto& row : summary_.csv.rows()) {
    RunInfo info;
    const auto index = number_in(row.cells[run_col]);
    if (!index) throw InputError({summary_.csv.path(), row.line, 0}, "run", "'" + row.cells[run_col] + "' is not a run index");
    info.run = static_cast<int64_t>(*index);
    info.framework = row.cells[framework_col];
    info.row = &row;
    for (const auto& entry : manifest_runs)
      if (entry.value("run", int64_t{-1}) == info.run) info.manifest = entry;
    info.point = point_col ? row.cells[*point_col] : std::string();
    info.label = info.point.empty() ? info.framework : shorten_point(info.point);
    info.overloaded = summary_.cell(row, "overloaded") == "true";
    info.overload_reason = summary_.cell(row, "overload_reason");
    add_distinct(frameworks_, info.framework);
    runs_.push_back(std::move(info));
  }
  // Several frameworks per point: the label names the framework too, so labels stay unique.
  std::set<std::string> seen;
  bool unique = true;
  for (const auto& run : runs_) unique = seen.insert(run.label).second && unique;
  if (!unique)
    for (auto& run : runs_)
      if (run.label != run.framework) run.label = run.framework + " " + run.label;
}

std::size_t RunResults::framework_index(const std::string& framework) const {
  return static_cast<std::size_t>(std::find(frameworks_.begin(), frameworks_.end(), framework) - frameworks_.begin());
}

std::vector<std::string> RunResults::distinct(const std::string& column) const {
  std::vector<std::string> values;
  for (const auto& run : runs_) add_distinct(values, summary_.cell(*run.row, column));
  return values;
}

json RunResults::run_labels() const {
  json labels = json::array();
  for (const auto& run : runs_) labels.push_back(run.label);
  return labels;
}

}  // namespace llmpo::report
