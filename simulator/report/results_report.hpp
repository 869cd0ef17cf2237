#pragma once
// The HTML report of a results folder (`llmperforacle report`, `run/search/capacity --report`):
// the charts of every kind of results the folder holds, on one self-contained page.
#include <ostream>
#include <string>

namespace llmpo {

// Writes the report of `results_dir` to `out_path` and returns out_path. The folder may hold the
// files of `run` (summary.csv + manifest.json, with requests.csv and timeseries.csv when
// written), search.csv of `search` and capacity.csv of `capacity`; InputError when it holds
// none of them, or when the charting libraries are not installed.
std::string write_report(const std::string& results_dir, const std::string& out_path);

// `--report` of a command that writes a results folder: writes OUT/report.html and, unless
// `out` is null (--quiet), says so on it.
void write_folder_report(const std::string& out_dir, std::ostream* out);

}  // namespace llmpo
