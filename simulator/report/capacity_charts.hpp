#pragma once
// The part of a page a `capacity` folder gives: the SLOs the search judged by (capacity_spec.csv)
// stated above the charts, the capacity per deployment (capacity.csv) and every probe of each
// bisection (capacity_log.csv) against the SLO bounds it was judged by.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "simulator/report/search_charts.hpp"

namespace llmpo::report {

// capacity_spec.csv, as `capacity` writes it (key,value rows of its capacity: section).
struct CapacitySettings {
  std::vector<std::pair<std::string, double>> bounds;  // ("ttft_p90_ms", 2000), in file order
  std::optional<double> min_attainment;
  std::optional<double> low, high, tolerance;
};
// Nullopt when the folder has no capacity_spec.csv (written by `capacity` before it existed).
std::optional<CapacitySettings> read_capacity_settings(const std::filesystem::path& dir);

// "ttft_p90_ms" -> "TTFT p90 (ms)".
std::string bound_label(const std::string& key);

// The section of a folder holding capacity.csv: the SLO statement (from capacity_spec.csv), the
// capacity bars and, with capacity_log.csv, the probes chart: one row of small charts per
// deployment, one per SLO bound (and attainment), each probe's value against the load probed,
// marked as passing or failing (and why), with the bound as a rule line.
ResultsSection capacity_section(const std::filesystem::path& dir, std::vector<std::string>& notes);

}  // namespace llmpo::report
