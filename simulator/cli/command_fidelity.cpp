// `llmperforacle fidelity`: predicts every measured row with a GPU profile and reports how far
// the predictions are from the measurements, by operator, model, TP degree and regime, on the
// terminal and as CSV files. The scoring lives in hardware/calibration/fidelity.hpp.
#include <fmt/format.h>

#include "commands.hpp"
#include "hardware/calibration/fidelity.hpp"
#include "hardware/calibration/profile_readers.hpp"
#include "hardware/calibration/profile_writer.hpp"
#include "output_format.hpp"
#include "setup.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/flag_errors.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

int command_fidelity(const Args& args, std::ostream& out) {
  using namespace calibration;
  ArgParser p("llmperforacle fidelity",
              "Predict every measured row with a GPU profile and print MAPE, median signed error and the worst rows\n"
              "per operator, model, TP degree and regime (error = predicted / measured - 1).");
  p.option("gpu", "NAME|file.yaml", "GPU library name or GPU file (e.g. one written by `calibrate`)", "", true);
  p.multi("profiles", "PATH", "measured CSV files or folders (searched recursively for known file names)");
  p.option("split", "fit|score|all", "rows to score: the documented fit split, its held-out rows, or all", "all");
  p.multi("models", "NAME", "score only rows of these models (as the report names them)");
  p.option("interconnects", "DIR", "interconnect presets to use instead of the library's (e.g. from calibrate)");
  p.option("csv", "FILE", "write one line per scored row (measured, predicted, error)");
  p.option("summary-csv", "FILE", "write the grouped statistics");
  p.option("worst", "N", "worst rows to list", "10");
  declare_format_option(p, "csv: the grouped statistics, as --summary-csv writes them; json: {groups, worst}: "
                           "--summary-csv's rows and --csv's rows of the --worst largest errors, errors as fractions");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  std::ostream& note = narrative_stream(format, out);
  const std::vector<std::string> paths = p.get_all("profiles");
  if (paths.empty()) throw InputError({}, "--profiles", "give at least one measured CSV file or folder");
  const Split split = parse_split(p.get_or("split", "all"));
  const Libraries libraries = Libraries::load();
  const GpuSpec gpu = at_flag("--gpu", [&] { return resolve_gpu(p.get("gpu"), libraries.gpus); });
  const PresetMap presets = presets_of(p.has("interconnects") ? InterconnectLibrary::load(p.get("interconnects"))
                                                              : libraries.interconnects);

  const ProfileSet profiles = read_profiles(paths);
  const std::vector<Measurement> rows = select_rows(profiles.rows, split, p.get_all("models"));
  if (rows.empty()) throw InputError({}, "--profiles", "no measured rows left to score after --split / --models");
  note << fmt::format("fidelity of {} ({}) on {} of {} rows (split {}) from {}\n", gpu.id, display_path(gpu.source_file),
                      rows.size(), profiles.rows.size(), p.get_or("split", "all"), join(paths, " "));
  for (const auto& text : profiles.notes) note << "note: " << text << "\n";
  note << "error = predicted / measured - 1 (positive: the model is slower than the measurement)\n\n";

  const std::vector<ScoredRow> scored = score(rows, gpu, presets);
  const auto worst = static_cast<std::size_t>(p.get_int("worst", 10, 0, 100000));
  // The terminal report only regroups these two tables, so csv and json leave it out.
  if (format == TableFormat::table) {
    print_report(out, scored, worst);
  } else {
    const DataTable groups = summary_table(scored), worst_rows = rows_table(largest_errors(scored, worst));
    print_data_tables(out, format, {{"groups", &groups}, {"worst", &worst_rows}});
  }
  if (p.has("csv")) {
    write_file_atomically(p.get("csv"), rows_csv(scored));
    note << "\nwrote " << p.get("csv") << "\n";
  }
  if (p.has("summary-csv")) {
    write_file_atomically(p.get("summary-csv"), summary_csv(scored));
    note << "wrote " << p.get("summary-csv") << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
