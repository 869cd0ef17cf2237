// `llmperforacle import-lpo FILE [-o OUT.yaml]`: an experiment config of the Python
// LLMPerfOracle converted to one of our experiment files (simulator/experiment/lpo_import.hpp).
// The result is planned as `validate` would before it is written, so what is written runs.
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "commands.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/experiment/lpo_import.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

// The experiment's `name:` (a plain folder name, results/<name>) from a file name.
std::string experiment_name(const std::string& path) {
  std::string name = std::filesystem::path(path).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  if (name.empty() || name == "." || name.find("..") != std::string::npos) return "imported";
  return name;
}

// The converted text planned as `validate` plans a file; its errors name the converted text.
void check_converted(const std::string& yaml, const std::string& shown_as, const std::string& input,
                     const Libraries& libraries) {
  try {
    plan_experiment(read_experiment_text(yaml, shown_as, {}), libraries);
  } catch (const InputErrors& errors) {
    std::string all;
    for (const auto& error : errors.errors()) all += "\n  " + std::string(error.what());
    throw InputError({input, 0, 0}, "", "the converted experiment does not validate, so nothing was written:" + all);
  } catch (const InputError& error) {
    throw InputError({input, 0, 0}, "",
                     "the converted experiment does not validate, so nothing was written:\n  " + std::string(error.what()));
  }
}

}  // namespace

int command_import_lpo(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle import-lpo",
              "Convert an experiment config of the Python LLMPerfOracle (simulation, hardware_profile, workload\n"
              "with client_profiles, frameworks_to_test, metrics_config) into an experiment file of ours. What has\n"
              "no equivalent, and what was assumed, is logged as a warning and written as comments at the top\n"
              "of the file; the result is checked as `validate` would before it is written.");
  p.positional("FILE", "the LLMPerfOracle YAML config");
  p.option("out", "OUT.yaml", "write the experiment file here, atomically", "standard output").alias("out", "-o");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const auto input = p.positional_value("FILE");
  if (!input) throw InputError({}, "FILE", "name the LLMPerfOracle config: llmperforacle import-lpo FILE [-o OUT.yaml]");
  const std::string target = p.get_or("out", "");
  std::error_code ignored;
  if (!target.empty() && std::filesystem::is_directory(target, ignored))
    throw InputError({}, "--out", "'" + target + "' is a folder; give a file name such as experiment.yaml");

  const Libraries libraries = Libraries::load();
  const YAML::Node root = load_yaml_file(*input);
  const LpoConversion conversion =
      convert_lpo_config(root, *input, experiment_name(target.empty() ? *input : target), libraries);
  for (const auto& note : conversion.notes)
    spdlog::warn("{}: {}: {}", note.pos.to_string(), note.key_path, note.text);
  check_converted(conversion.yaml, target.empty() ? "(converted " + *input + ")" : target, *input, libraries);
  if (target.empty()) {
    out << conversion.yaml;
    return kExitOk;
  }
  write_file_atomically(target, conversion.yaml);
  out << fmt::format("wrote {} ({} note(s) on what has no equivalent, at its top)\nnext: llmperforacle run {}\n", target,
                     conversion.notes.size(), target);
  return kExitOk;
}

}  // namespace llmpo
