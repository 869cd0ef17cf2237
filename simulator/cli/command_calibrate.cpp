// `llmperforacle calibrate`: fits a GPU's efficiency parameters (and the interconnect presets its
// collectives ran on) to measured kernel times, prints the fit quality, and writes a GPU file
// that `--gpu path.yaml` accepts. The fitting itself lives in hardware/calibration/.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "hardware/calibration/calibrator.hpp"
#include "hardware/calibration/profile_readers.hpp"
#include "hardware/calibration/profile_writer.hpp"
#include "hardware/gpu_file.hpp"
#include "output_format.hpp"
#include "setup.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/flag_errors.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

using namespace calibration;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(SourcePos{path, 0, 0}, "", "cannot read the starting GPU file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every efficiency key, its value before and after as the GPU file writes it (so a script reads
// the very numbers --out holds), and the stage that set it ("kept" when none did).
DataTable efficiency_table(const GpuSpec& start, const CalibrationResult& result) {
  DataTable table({"key", "before", "after", "set_by"});
  for (const auto& key : efficiency_keys()) {
    const StageReport* stage = result.stage_of(key);
    table.add_row({key, efficiency_value_text(start.efficiency, key), efficiency_value_text(result.gpu.efficiency, key),
                   stage ? stage->stage : "kept"});
  }
  return table;
}

// Per fitting stage: rows fitted, MAPE as a fraction at full precision, the keys it set.
DataTable fit_quality_table(const CalibrationResult& result) {
  DataTable table({"stage", "rows", "mape", "parameters", "detail"});
  for (const auto& s : result.stages)
    table.add_row({s.stage, std::to_string(s.rows), data_number(s.mape), join(s.keys, " "), s.detail});
  return table;
}

// The terminal's display of the same two tables: MAPE in percent.
void print_fit(std::ostream& out, const GpuSpec& start, const CalibrationResult& result) {
  TextTable stages({"stage", "rows", "MAPE", "parameters", "detail"});
  for (const auto& s : result.stages)
    stages.add_row({s.stage, std::to_string(s.rows), fmt::format("{:.1f}%", 100 * s.mape), join(s.keys), s.detail});
  TextTable values({"key", "before", "after", "set by"});
  const DataTable efficiency = efficiency_table(start, result);
  for (const auto& row : efficiency.rows()) values.add_row(row);
  out << "\nfit quality (on the fitted rows):\n";
  stages.print(out);
  out << "\nefficiency values:\n";
  values.print(out);
}

}  // namespace

int command_calibrate(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle calibrate",
              "Fit a GPU's efficiency parameters to measured kernel times (Vidur, aiconfigurator or the generic\n"
              "op,shape,time_ms CSV format; see experiments/fidelity/README.md) and write a GPU file.");
  p.option("gpu", "NAME|file.yaml", "the GPU measured: its datasheet numbers are kept, its efficiency values fitted", "", true);
  p.multi("profiles", "PATH", "measured CSV files or folders (searched recursively for known file names)");
  p.option("out", "FILE", "write the calibrated GPU file here (accepted by --gpu everywhere)");
  p.option("interconnect-out", "DIR", "write each fitted interconnect preset to DIR/<id>.yaml");
  p.option("split", "fit|score|all", "rows to fit: the documented fit split, its held-out rows, or all", "all");
  p.multi("models", "NAME", "fit only rows of these models (as the report names them)");
  declare_format_option(p, "csv: the efficiency values before and after, as the GPU file writes them; json: "
                           "{efficiency, fit_quality}, MAPE as a fraction; the rest, fitted interconnect presets "
                           "included, goes to stderr");
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
  const GpuSpec start = at_flag("--gpu", [&] { return resolve_gpu(p.get("gpu"), libraries.gpus); });

  const ProfileSet profiles = read_profiles(paths);
  const std::vector<Measurement> rows = select_rows(profiles.rows, split, p.get_all("models"));
  note << fmt::format("read {} rows from {} files; fitting {} rows (split {}) for {}\n", profiles.rows.size(),
                      profiles.files.size(), rows.size(), p.get_or("split", "all"), start.id);
  for (const auto& text : profiles.notes) note << "note: " << text << "\n";
  if (rows.empty()) throw InputError({}, "--profiles", "no measured rows left to fit after --split / --models");

  const CalibrationResult result = calibrate(rows, start, presets_of(libraries.interconnects));

  if (format == TableFormat::table) {
    print_fit(out, start, result);
  } else {
    const DataTable values = efficiency_table(start, result), stages = fit_quality_table(result);
    print_data_tables(out, format, {{"efficiency", &values}, {"fit_quality", &stages}});
  }

  std::string sources = join(paths, " ");
  if (split != Split::all) sources += fmt::format(" [split {}]", p.get_or("split", "all"));
  for (const auto& name : result.fitted_presets) {
    const InterconnectSpec& preset = result.presets.at(name);
    note << fmt::format("\ninterconnect {} (fitted):\n", name);
    const std::string text = interconnect_yaml(preset, result, sources);
    note << text;
    if (p.has("interconnect-out")) {
      const std::string file = p.get("interconnect-out") + "/" + name + ".yaml";
      ensure_directory(p.get("interconnect-out"));
      write_file_atomically(file, text);
      note << "wrote " << file << "\n";
    }
  }
  if (p.has("out")) {
    write_file_atomically(p.get("out"), gpu_yaml(result, read_text(start.source_file), sources));
    note << "\nwrote " << p.get("out") << "\n";
  }
  return kExitOk;
}

}  // namespace llmpo
