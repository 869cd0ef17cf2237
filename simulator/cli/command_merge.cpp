// `llmperforacle merge FILE --out DIR [SHARD_DIR ...]`: joins the runs that `run --shard I/N`
// processes (a Slurm job array) saved - in DIR/partial, or in each SHARD_DIR/partial - into the
// four outputs, exactly as one process running the whole file writes them.
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "commands.hpp"
#include "experiment_args.hpp"
#include "output_format.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/experiment/results_writer.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_lock.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

int command_merge(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle merge",
              "Join the runs saved by `run --shard I/N` (e.g. a Slurm job array) into summary.csv,\n"
              "requests.csv, timeseries.csv and manifest.json, as a single `run` would write them.");
  declare_common(p);
  p.option("out", "DIR", "output folder (where the shards saved their runs, unless --from says otherwise)",
           "results/<experiment name>");
  p.multi("from", "SHARD_DIR", "other output folders whose partial/ runs to take in");
  p.flag("no-requests", "the shards ran with --no-requests");
  p.flag("quiet", "print nothing but errors");
  declare_format_option(p, "csv and json: summary.csv's rows (same columns, full precision); the rest goes to stderr");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  std::ostream& note = narrative_stream(format, out);
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_from(p, libraries);
  const std::string out_dir = p.get_or("out", (std::filesystem::path("results") / plan.name).string());
  const OutputLock lock(out_dir);  // no run or other merge writes here meanwhile
  ResultsWriter writer(plan, out_dir, !p.has("no-requests"), PartialRuns::resume);
  if (writer.already_complete()) {
    if (!p.has("quiet")) note << fmt::format("{}: complete for this experiment; nothing to merge\n", out_dir);
    return kExitOk;
  }
  for (const auto& from : p.get_all("from")) writer.import_from(from);
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < plan.runs.size(); ++i)
    if (!writer.finished(static_cast<int64_t>(i))) missing.push_back(std::to_string(i));
  if (!missing.empty())
    throw InputError({out_dir, 0, 0}, "",
                     fmt::format("{} of {} runs are not saved for this experiment (runs {}): a shard has not "
                                 "finished, ran another configuration (--set, --no-requests) or an older build, or saved elsewhere "
                                 "(name its folder after --from)",
                                 missing.size(), plan.runs.size(), join(missing)));
  const auto files = writer.finish(join_args("merge", args));
  if (!p.has("quiet")) {
    if (format == TableFormat::table) writer.comparison().print(out, format);
    else print_data_rows(out, format, writer.summary_rows());  // summary.csv's columns, full precision
    const std::string overloaded = overload_warning(writer.summary_rows());
    if (!overloaded.empty()) {
      out.flush();  // after the table it refers to, where stdout and stderr share a terminal
      spdlog::warn("{}", overloaded);
    }
    for (const auto& file : files) note << "wrote " << file << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
