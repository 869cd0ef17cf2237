#include "simulator/report/results_report.hpp"

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "simulator/report/capacity_charts.hpp"
#include "simulator/report/html_page.hpp"
#include "simulator/report/model_charts.hpp"
#include "simulator/report/run_charts.hpp"
#include "simulator/report/search_charts.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

namespace fs = std::filesystem;
using namespace report;

// The run part of a page: its title and header line come from manifest.json; the run table and
// the notes open the page, as before any search or capacity results.
void add_run_results(const fs::path& dir, Page& page, std::vector<std::string>& notes) {
  const RunResults results(dir);
  RunCharts run_charts(results, notes);
  page.charts = run_charts.charts();
  for (auto& chart : model_charts(results, notes)) page.charts.push_back(std::move(chart));
  const json& m = results.manifest();
  page.title = "LLMPerfOracle report: " + m.value("name", "results");
  page.meta = fmt::format("{} {} - {}", m.value("program", "llmperforacle"), m.value("version", ""), m.value("command", ""));
  page.intro_html = run_charts.table_html() + "\n";
}

void add_section(ResultsSection section, Page& page, std::string& intro_after_notes) {
  intro_after_notes += section.intro_html;
  for (auto& chart : section.charts) page.charts.push_back(std::move(chart));
}

}  // namespace

std::string write_report(const std::string& results_dir, const std::string& out_path) {
  const auto libraries = load_chart_libraries();  // first: a missing install is the likeliest problem
  const fs::path dir(results_dir);
  std::error_code unreadable;  // a name the system refuses (too long, ...) is "not a folder" too
  if (!fs::is_directory(dir, unreadable))
    throw InputError({dir.string(), 0, 0}, "", "not a folder (expected the --out folder of `run`, `search` or `capacity`)");
  Page page;
  std::vector<std::string> notes;
  std::string sections_html;
  std::vector<std::string> found;
  if (RunResults::present_in(dir)) {
    add_run_results(dir, page, notes);
    found.push_back("summary.csv");
  }
  if (fs::exists(dir / "search.csv")) {
    add_section(search_section(Table::read(dir / "search.csv"), notes), page, sections_html);
    found.push_back("search.csv");
  }
  if (fs::exists(dir / "capacity.csv")) {
    add_section(capacity_section(dir, notes), page, sections_html);
    found.push_back("capacity.csv");
  }
  if (found.empty())
    throw InputError({dir.string(), 0, 0}, "",
                     "no results to report: looked for summary.csv and manifest.json (written by `run`), search.csv "
                     "(`search`) and capacity.csv (`capacity`)");
  if (page.title.empty()) {  // no manifest: the folder names the page
    const fs::path absolute = fs::absolute(dir).lexically_normal();
    page.title = "LLMPerfOracle report: " + (absolute.has_filename() ? absolute : absolute.parent_path()).filename().string();
    std::string files;
    for (const auto& name : found) files += (files.empty() ? "" : ", ") + name;
    page.meta = fmt::format("llmperforacle report of {} ({})", dir.string(), files);
  }
  page.intro_html += notes_html(notes) + sections_html;
  write_file_atomically(out_path, page_html(page, libraries));
  return out_path;
}

void write_folder_report(const std::string& out_dir, std::ostream* out) {
  const std::string path = write_report(out_dir, (fs::path(out_dir) / "report.html").string());
  if (out != nullptr) *out << "wrote " << path << "\n";
}

}  // namespace llmpo
