#pragma once
// The output folder of `llmperforacle run`: summary.csv (one row per run, units in column
// names), requests.csv (one row per request, tagged with its run), timeseries.csv, and
// manifest.json (resolved configuration, seeds, program version). Every file is written
// atomically once all runs are done; rows are in plan order, so outputs are byte-identical
// run to run and do not depend on the order runs finished in.
#include <string>
#include <utility>
#include <vector>

#include "run_executor.hpp"

namespace llmpo {

using CsvRow = std::vector<std::pair<std::string, std::string>>;  // (column, value) in order

class ResultsWriter {
 public:
  ResultsWriter(const ExperimentPlan& plan, std::string out_dir, bool write_requests);

  // Records one finished run. Runs may be added in any order.
  void add(const RunOutcome& outcome, const Workload& workload);
  // Writes the four files; returns their paths.
  std::vector<std::string> finish(const std::string& command_line);

  // The summary row of a run: identity, workload, then every metric.
  static CsvRow summary_row(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload);

 private:
  struct Stored {
    CsvRow summary;
    std::string requests_csv;     // rows without header
    std::string timeseries_csv;
  };
  const ExperimentPlan& plan_;
  std::string out_dir_;
  bool write_requests_;
  std::vector<Stored> runs_;      // index = run index
  std::vector<bool> present_;
};

// A readable comparison of the runs for the terminal, in plan order.
std::string comparison_table(const ExperimentPlan& plan, const std::vector<RunMetrics>& metrics);

// Numbers in output files: shortest round-trip form, so files are exact and stable.
std::string number(double value);

}  // namespace llmpo
