#pragma once
// Reading what the commands leave in a results folder, for the HTML report: CSV tables read by
// column name, and the runs of a `run` folder (summary.csv + manifest.json) with the labels and
// framework order every run chart uses.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/util/csv_table.hpp"

namespace llmpo::report {

using json = nlohmann::json;

// The whole file; InputError when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// A finite number, or nullopt for an empty cell or text that is not one (the report draws what
// it can rather than rejecting a folder over one odd cell).
std::optional<double> number_in(const std::string& text);

// Appends `value` unless it is empty or already there: distinct values in order of first
// appearance (the order of a colour domain).
void add_distinct(std::vector<std::string>& values, const std::string& value);

// A table read by column name; missing columns read as empty cells.
struct Table {
  CsvTable csv;
  static Table read(const std::filesystem::path& path) { return {CsvTable::read(path.string())}; }
  std::string cell(const CsvRow& row, const std::string& column) const {
    const auto index = csv.find(column);
    return index ? row.cells[*index] : std::string();
  }
  std::optional<double> value(const CsvRow& row, const std::string& column) const {
    return number_in(cell(row, column));
  }
};

struct RunInfo {
  int64_t run = 0;
  std::string framework;
  std::string point;  // summary.csv's point: "key=value;key2=value2", empty without a sweep
  std::string label;  // the x value of per-run charts: the point (shortened) or the framework
  const CsvRow* row = nullptr;  // its row of summary.csv
  json manifest;  // its entry of manifest.json's runs (may be null)
  // summary.csv's saturation verdict (columns `overloaded`, `overload_reason`); false in a
  // folder written before those columns existed.
  bool overloaded = false;
  std::string overload_reason;
};

// A point label as charts show it: "tensor_parallel_degree=4;workload.arrival.rate_per_s=2" ->
// "TP 4, rate 2" (the last step of each key, with short names for TP, PP, replicas and rates;
// keys of one point that would shorten alike keep their whole path).
std::string shorten_point(const std::string& point);
// The shortened label without the part that sets `swept_key` (compared by short name): what
// else varies between runs drawn along that key, e.g. ("TP 4, rate 2", "request_rate") -> "TP 4".
std::string point_without(const std::string& point, const std::string& swept_key);

// The runs of a `run` output folder. Not copyable: each RunInfo points at its summary row.
class RunResults {
 public:
  static constexpr const char* kFiles[] = {"summary.csv", "manifest.json"};
  // True when the folder holds either file of a `run` folder (then both are required, and every
  // output must match the size and SHA-256 manifest.json records).
  static bool present_in(const std::filesystem::path& dir);
  explicit RunResults(const std::filesystem::path& dir);
  RunResults(const RunResults&) = delete;
  RunResults& operator=(const RunResults&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const Table& summary() const { return summary_; }
  const json& manifest() const { return manifest_; }
  const std::vector<RunInfo>& runs() const { return runs_; }
  // In order of first appearance in summary.csv: the order of the framework colours.
  const std::vector<std::string>& frameworks() const { return frameworks_; }
  std::size_t framework_index(const std::string& framework) const;
  // The distinct non-empty values of a summary column, in run order.
  std::vector<std::string> distinct(const std::string& column) const;
  bool several_runs_per_framework() const { return runs_.size() > frameworks_.size(); }
  // True when summary.csv carries the saturation verdict (the `overloaded` column).
  bool has_overload_verdict() const { return summary_.csv.has("overloaded"); }
  json run_labels() const;  // every run's label, in run order (the sort of per-run axes)

 private:
  void load_runs();
  // The manifest fields the report reads have the types `run` writes; else InputError naming them.
  void check_manifest_shape() const;

  std::filesystem::path dir_;
  Table summary_;
  json manifest_;
  std::vector<RunInfo> runs_;
  std::vector<std::string> frameworks_;
};

}  // namespace llmpo::report
