#include "simulator/report/results_folder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "simulator/util/error.hpp"

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

std::string shorten_point(std::string point) {
  const std::pair<const char*, const char*> names[] = {{"tensor_parallel_degree", "TP"},
                                                       {"pipeline_parallel_degree", "PP"},
                                                       {"num_replicas", "replicas"},
                                                       {"request_rate", "rate"}};
  for (const auto& [from, to] : names)
    for (std::size_t at = point.find(from); at != std::string::npos; at = point.find(from, at))
      point.replace(at, std::string(from).size(), to);
  for (char& c : point)
    if (c == '=') c = ' ';
  return point;
}

bool RunResults::present_in(const fs::path& dir) {
  return std::any_of(std::begin(kFiles), std::end(kFiles), [&](const char* name) { return fs::exists(dir / name); });
}

RunResults::RunResults(const fs::path& dir) : dir_(dir) {
  for (const char* name : kFiles)
    if (!fs::exists(dir / name))
      throw InputError({(dir / name).string(), 0, 0}, "", "missing: a results folder of `llmperforacle run` has summary.csv and manifest.json");
  summary_.csv = CsvTable::read((dir / "summary.csv").string());
  try {
    manifest_ = json::parse(read_text(dir / "manifest.json"));
  } catch (const json::exception& error) {
    throw InputError({(dir / "manifest.json").string(), 0, 0}, "", std::string("not valid JSON: ") + error.what());
  }
  load_runs();
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
    const std::string point = point_col ? row.cells[*point_col] : std::string();
    info.label = point.empty() ? info.framework : shorten_point(point);
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
