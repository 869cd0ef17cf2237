// `llmperforacle report RESULTS_DIR`: one self-contained HTML file with the charts of a results
// folder, drawn by Vega-Lite (the page is built by simulator/report: results_report.hpp). A `run`
// folder gives latency, throughput, CDF, time-series, per-operator and memory charts; a `search`
// folder the cost-latency scatter with its Pareto frontier; a `capacity` folder the capacity per
// deployment with its SLOs and bisection probes. `--export-svg DIR` renders the page in headless
// Chromium and saves one SVG per chart.
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "simulator/report/headless.hpp"
#include "simulator/report/results_report.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

int command_report(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle report",
              "One self-contained HTML file (opens offline) with Vega-Lite charts of a results folder: of `run`,\n"
              "latency percentiles vs load, throughput vs TP, latency CDFs, time series, per-operator step\n"
              "time and memory per GPU; of `search`, cost vs latency with the Pareto frontier; of `capacity`,\n"
              "its SLOs, capacity per deployment and every bisection probe against the SLOs.");
  p.positional("RESULTS_DIR", "the --out folder of `llmperforacle run`, `search` or `capacity`");
  p.option("out", "FILE", "the HTML file to write", "RESULTS_DIR/report.html").alias("out", "-o");
  p.option("export-svg", "DIR", "also render the page in headless Chromium and save one SVG per chart in DIR");
  p.option("chromium", "PATH", "browser for --export-svg", "$LLMPO_CHROMIUM, else chromium on PATH");
  p.flag("quiet", "print nothing but errors");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const auto dir = p.positional_value("RESULTS_DIR");
  if (!dir) throw InputError({}, "RESULTS_DIR", "name the results folder: llmperforacle report RESULTS_DIR");
  const std::string html = p.get_or("out", (std::filesystem::path(*dir) / "report.html").string());
  write_report(*dir, html);
  if (!p.has("quiet")) out << "wrote " << html << "\n";
  if (p.has("export-svg"))
    for (const auto& path : report::export_svgs(html, report::find_chromium(p.get_or("chromium", "")), p.get("export-svg")))
      if (!p.has("quiet")) out << "wrote " << path << "\n";
  return kExitOk;
}

}  // namespace llmpo
