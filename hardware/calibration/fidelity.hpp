#pragma once
// Scores a GPU profile against measured rows: every row predicted with the simulator's own
// timing functions, then error statistics grouped by operator, model, TP degree and regime.
// Error of a row = predicted / measured - 1 (positive: the model is slow, i.e. pessimistic).
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "predictor.hpp"
#include "simulator/util/data_table.hpp"

namespace llmpo::calibration {

struct ScoredRow {
  const Measurement* row = nullptr;
  double predicted_s = 0;
  double error = 0;  // predicted / measured - 1
  std::string regime;
};

struct GroupStats {
  std::string key;
  std::size_t rows = 0;
  double mape = 0;            // mean |error|
  double median_signed = 0;   // median error, signed
  double p90_abs = 0;         // 90th percentile of |error|
  const ScoredRow* worst = nullptr;
};

std::vector<ScoredRow> score(const std::vector<Measurement>& rows, const GpuSpec& gpu, const PresetMap& presets);

// Groups by `key` (rows with an empty key are left out), sorted by key.
std::vector<GroupStats> group_stats(const std::vector<ScoredRow>& rows,
                                    const std::function<std::string(const ScoredRow&)>& key);

// "op [range]": the operator, with its size bucket when it has one (e.g. "attention_prefill
// [chunk >= 512]"), so the report can state each target's own row set.
std::string op_key(const ScoredRow& row);

// The terminal report: tables by operator, model, TP, regime, and the worst rows.
void print_report(std::ostream& out, const std::vector<ScoredRow>& rows, std::size_t worst_rows);

// The `count` rows of largest |error|, largest first.
std::vector<ScoredRow> largest_errors(const std::vector<ScoredRow>& rows, std::size_t count);

// One line per row (measured and predicted in ms); one line per (grouping, group). The tables
// back both the CSV files and `fidelity --format csv|json`.
DataTable rows_table(const std::vector<ScoredRow>& rows);
DataTable summary_table(const std::vector<ScoredRow>& rows);
std::string rows_csv(const std::vector<ScoredRow>& rows);
std::string summary_csv(const std::vector<ScoredRow>& rows);

}  // namespace llmpo::calibration
