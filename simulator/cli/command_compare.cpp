// `llmperforacle compare A/summary.csv B/summary.csv`: the differences between two runs of
// experiments, run by run. Runs are matched by (framework, point label); each metric present in
// both files is shown with A, B, B - A and (B - A) / A.
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "output_format.hpp"
#include "simulator/util/csv_table.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_manifest.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

const std::vector<std::string>& default_metrics() {
  static const std::vector<std::string> list = {
      "completed_requests",   "request_throughput_req_per_s", "output_throughput_tok_per_s",
      "goodput_req_per_s",    "mean_ttft_ms",                 "median_ttft_ms",
      "p99_ttft_ms",          "mean_tpot_ms",                 "p99_tpot_ms",
      "mean_itl_ms",          "p99_itl_ms",                   "mean_e2el_ms",
      "p99_e2el_ms",          "preemptions",
      // Compared where both runs looked prefixes up (an empty cell skips the row).
      "prefix_cache_hit_rate", "mean_cached_tokens_per_request",
      // Compared where both runs speculated (the columns exist only in plans that speculate).
      "spec_acceptance_rate", "mean_acceptance_length",
      // Compared where both runs were disaggregated: the stages of TTFT (empty cells otherwise).
      "mean_prefill_queue_ms", "mean_prefill_ms", "mean_decode_queue_ms", "mean_kv_transfer_ms", "mean_first_decode_ms"};
  return list;
}

struct Side {
  CsvTable table;
  std::map<std::pair<std::string, std::string>, const CsvRow*> runs;  // (framework, point)
  std::vector<std::pair<std::string, std::string>> order;
};

// A summary.csv inside a `run` folder is compared only when its folder's manifest vouches for
// it: a folder a killed or concurrent command left mixed is refused. A summary.csv elsewhere
// (copied, hand-made) has no manifest to check and is read as it is.
void check_run_folder(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path file(path);
  if (file.filename() != "summary.csv") return;
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code error;
  if (fs::exists(dir / kManifestName, error)) {
    verified_run_manifest(dir.string());
    return;
  }
  // The files of a run without the manifest a finished run writes last: assembly never finished.
  for (const char* sibling : {"partial", "timeseries.csv", "requests.csv"})
    if (fs::exists(dir / sibling, error))
      throw InputError({(dir / kManifestName).string(), 0, 0}, "",
                       fmt::format("missing next to {} and {}: the run that wrote this folder did not finish "
                                   "writing it (`run --resume` finishes it)",
                                   file.filename().string(), sibling));
}

Side load(const std::string& path) {
  check_run_folder(path);
  Side side{CsvTable::read(path), {}, {}};
  const auto columns = side.table.column_list({"framework", "point"}, "a summary.csv of `llmperforacle run`");
  for (const auto& row : side.table.rows()) {
    const auto key = std::make_pair(row.cells[columns[0]], row.cells[columns[1]]);
    if (side.runs.count(key) != 0)
      side.table.fail(row.line, fmt::format("framework '{}' at point '{}' appears twice; runs are matched by these two columns",
                                            key.first, key.second));
    side.runs[key] = &row;
    side.order.push_back(key);
  }
  return side;
}

// The runs a summary.csv marks past saturation ("framework @ point"); none for a file written
// before the `overloaded` column existed.
std::vector<std::string> overloaded_runs(const Side& side) {
  std::vector<std::string> out;
  const auto column = side.table.find("overloaded");
  if (!column) return out;
  for (const auto& key : side.order)
    if (side.runs.at(key)->cells[*column] == "true") out.push_back(key.first + " @ " + (key.second.empty() ? "-" : key.second));
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == separator) out.emplace_back();
    else if (c != ' ') out.back() += c;
  }
  return out;
}

std::string shown(const std::string& cell) { return fmt::format("{:.4g}", std::stod(cell)); }

// The terminal's table of the rows: four significant digits, the relative change in percent, a
// rule between runs.
TextTable display(const DataTable& rows) {
  TextTable table({"framework", "point", "metric", "A", "B", "B-A", "(B-A)/A"});
  for (std::size_t r = 0; r < rows.rows().size(); ++r) {
    const auto& row = rows.rows()[r];
    if (r > 0 && (row[0] != rows.rows()[r - 1][0] || row[1] != rows.rows()[r - 1][1])) table.add_separator();
    const std::string relative = !row[6].empty() ? fmt::format("{:+.1f}%", 100 * std::stod(row[6]))
                                 : row[3] == row[4] ? "+0.0%" : "n/a";  // A = 0
    table.add_row({row[0], row[1].empty() ? "-" : row[1], row[2], shown(row[3]), shown(row[4]), shown(row[5]), relative});
  }
  return table;
}

// json's "runs": per matched run, its rows keyed by metric ({a, b, difference, relative}).
nlohmann::ordered_json runs_json(const DataTable& rows, const std::vector<std::pair<std::string, std::string>>& matched) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const auto& [framework, point] : matched) {
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    for (std::size_t r = 0; r < rows.rows().size(); ++r) {
      if (rows.rows()[r][0] != framework || rows.rows()[r][1] != point) continue;
      nlohmann::ordered_json row = rows.row_json(r);
      const std::string metric = rows.rows()[r][2];
      for (const char* identity : {"framework", "point", "metric"}) row.erase(identity);
      metrics[metric] = std::move(row);
    }
    runs.push_back({{"framework", framework}, {"point", point}, {"metrics", std::move(metrics)}});
  }
  return runs;
}

}  // namespace

int command_compare(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle compare",
              "Differences between two summary.csv files, run by run (matched by framework and sweep point):\n"
              "A, B, B - A and (B - A) / A for each metric. Runs past saturation (summary.csv's `overloaded`)\n"
              "are listed after the table.");
  p.positional("a", "the first summary.csv (the baseline)");
  p.positional("b", "the second summary.csv");
  p.option("metrics", "LIST", "comma-separated summary.csv columns to compare",
           "throughputs, goodput, TTFT/TPOT/ITL/E2EL mean and p99, preemptions, and where both runs have them: prefix "
           "cache hit rate and mean cached tokens per request, spec-decode acceptance rate and length, and the mean "
           "prefill/decode stages of TTFT (prefill queue, prefill, decode queue, KV transfer, first decode)");
  declare_format_option(p, "csv: one row per matched run and metric (framework, point, metric, a, b, difference, "
                           "relative as a fraction, empty when A is 0); json: the same rows per run, keyed by metric, "
                           "with the runs found on one side only and those overloaded on each side");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const auto path_a = p.positional_value("a"), path_b = p.positional_value("b");
  if (!path_a || !path_b) throw InputError({}, "A B", "give two summary.csv files: llmperforacle compare A/summary.csv B/summary.csv");
  const TableFormat format = format_from(p);
  const Side a = load(*path_a), b = load(*path_b);
  std::vector<std::string> metrics;
  if (p.has("metrics")) {
    for (const auto& name : split(p.get("metrics"), ',')) {
      if (!a.table.has(name) || !b.table.has(name)) {
        std::string message = fmt::format("'{}' is not a column of both files", name);
        const std::string hint = did_you_mean(name, a.table.header());
        if (!hint.empty()) message += "; " + hint;
        throw InputError({}, "--metrics", message);
      }
      metrics.push_back(name);
    }
  } else {
    for (const auto& name : default_metrics())
      if (a.table.has(name) && b.table.has(name)) metrics.push_back(name);
  }

  // One row per (matched run, metric): the display table and both machine formats come from it.
  DataTable rows({"framework", "point", "metric", "a", "b", "difference", "relative"});
  std::vector<std::pair<std::string, std::string>> matched;
  std::vector<std::string> only_a, only_b;
  for (const auto& key : a.order) {
    const auto found = b.runs.find(key);
    if (found == b.runs.end()) {
      only_a.push_back(key.first + " @ " + (key.second.empty() ? "-" : key.second));
      continue;
    }
    matched.push_back(key);
    const CsvRow& row_a = *a.runs.at(key);
    const CsvRow& row_b = *found->second;
    for (const auto& metric : metrics) {
      const std::size_t ca = *a.table.find(metric), cb = *b.table.find(metric);
      if (a.table.empty_cell(row_a, ca) || b.table.empty_cell(row_b, cb)) continue;
      const double va = a.table.number(row_a, ca), vb = b.table.number(row_b, cb);
      rows.add_row({key.first, key.second, metric, data_number(va), data_number(vb), data_number(vb - va),
                    va != 0 ? data_number((vb - va) / va) : ""});
    }
  }
  for (const auto& key : b.order)
    if (a.runs.count(key) == 0) only_b.push_back(key.first + " @ " + (key.second.empty() ? "-" : key.second));
  if (matched.empty())
    throw InputError({}, *path_b, fmt::format("no run matches one of {} by framework and point (A has {}, B has {})", *path_a,
                                              join(only_a), join(only_b)));
  // Latencies past saturation measure the queue: say which runs were, on each side.
  const std::vector<std::string> overloaded_a = overloaded_runs(a), overloaded_b = overloaded_runs(b);
  if (format == TableFormat::json) {
    out << nlohmann::ordered_json({{"a", *path_a}, {"b", *path_b}, {"runs", runs_json(rows, matched)},
                                   {"only_in_a", only_a}, {"only_in_b", only_b}, {"overloaded_in_a", overloaded_a},
                                   {"overloaded_in_b", overloaded_b}})
               .dump(2)
        << "\n";
  } else if (format == TableFormat::csv) {
    narrative_stream(format, out) << fmt::format("A = {}\nB = {}\n", *path_a, *path_b);
    out << rows.csv();
    if (!only_a.empty()) narrative_stream(format, out) << "only in A: " << join(only_a) << "\n";
    if (!only_b.empty()) narrative_stream(format, out) << "only in B: " << join(only_b) << "\n";
    if (!overloaded_a.empty()) narrative_stream(format, out) << "overloaded in A: " << join(overloaded_a) << "\n";
    if (!overloaded_b.empty()) narrative_stream(format, out) << "overloaded in B: " << join(overloaded_b) << "\n";
  } else {
    out << fmt::format("A = {}\nB = {}\n{} matched run(s)\n\n", *path_a, *path_b, matched.size());
    display(rows).print(out);
    if (!only_a.empty()) out << "only in A: " << join(only_a) << "\n";
    if (!only_b.empty()) out << "only in B: " << join(only_b) << "\n";
    if (!overloaded_a.empty()) out << "overloaded in A (past saturation): " << join(overloaded_a) << "\n";
    if (!overloaded_b.empty()) out << "overloaded in B (past saturation): " << join(overloaded_b) << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
