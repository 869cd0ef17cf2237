#include "lpo_import.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "lpo_distributions.hpp"
#include "lpo_frameworks.hpp"
#include "lpo_hardware.hpp"
#include "lpo_workload.hpp"

namespace llmpo {

std::string lpo_yaml_string(const std::string& text) {
  bool plain = !text.empty();
  for (const char c : text)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/');
  if (plain) {
    // Words YAML reads as something else, and anything that starts like a number.
    const std::string lowered = [&] {
      std::string l;
      for (const char c : text) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return l;
    }();
    for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}) plain = plain && lowered != word;
    plain = plain && !std::isdigit(static_cast<unsigned char>(text.front())) && text.front() != '-' && text.front() != '.';
  }
  if (plain) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

namespace {

std::string simulation_section(LpoReader& reader, const YAML::Node& root, const LpoWorkload& workload) {
  std::string s = "simulation:\n";
  const auto simulation = reader.map(root, "simulation", "simulation");
  std::optional<int64_t> simulation_seed;
  if (simulation) {
    reader.check_keys(*simulation, "simulation", {"random_seed", "max_simulation_time"},
                      {{"lod", "no equivalent: every engine step is costed in full"}});
    simulation_seed = reader.integer(*simulation, "random_seed", "simulation.random_seed", 0, 9'000'000'000'000'000);
    if (reader.number(*simulation, "max_simulation_time", "simulation.max_simulation_time", 0))
      reader.note(*simulation, "simulation.max_simulation_time",
                  "runs here end when the last request completes, not at a fixed time: requests still in flight at "
                  "LLMPerfOracle's cut-off are finished and measured");
  }
  // The request stream is what the seed shapes: upstream seeds its workload generator with
  // workload.random_seed when given, else the global simulation.random_seed.
  if (workload.seed) {
    s += fmt::format("  seed: {}   # workload.random_seed\n", *workload.seed);
  } else if (simulation_seed) {
    s += fmt::format("  seed: {}   # simulation.random_seed\n", *simulation_seed);
  } else {
    reader.note(root, "simulation.random_seed", "no seed given (LLMPerfOracle then differs run to run): seed 0 here");
    s += "  seed: 0\n";
  }
  s += "  # the requests are drawn by our generator: the same statistics as LLMPerfOracle's, not the same requests\n";

  const auto metrics = reader.map(root, "metrics_config", "metrics_config");
  if (!metrics) return s;
  const std::string m = "metrics_config";
  reader.check_keys(*metrics, m, {"percentiles_to_calculate", "warm_up_duration_s"},
                    {{"output_summary_json_path", "no equivalent: `run --out DIR` writes summary.csv (and --vllm-json JSON) there"},
                     {"output_requests_csv_path", "no equivalent: `run --out DIR` writes requests.csv there"},
                     {"log_level", "no equivalent: logging is not configured in the file"},
                     {"compute_token_stats", "not read by LLMPerfOracle; token totals are always reported here"},
                     {"compute_percentiles", "not read by LLMPerfOracle; see percentiles"}});
  if (const auto list = reader.list(*metrics, "percentiles_to_calculate", m + ".percentiles_to_calculate")) {
    std::string percentiles;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const double fraction =
          reader.number_value((*list)[i], fmt::format("{}.percentiles_to_calculate[{}]", m, i), 1e-9, 1);
      percentiles += (percentiles.empty() ? "" : ", ") + lpo_number(fraction * 100);
    }
    if (!percentiles.empty())
      s += "  percentiles: [" + percentiles + "]   # metrics_config.percentiles_to_calculate (fractions there) x 100\n";
  }
  if (const auto warmup = reader.number(*metrics, "warm_up_duration_s", m + ".warm_up_duration_s", 0, 1e9))
    s += "  warmup_s: " + lpo_number(*warmup) + "   # metrics_config.warm_up_duration_s: the same rule (arrival time)\n";
  return s;
}

std::string hardware_section(const LpoHardware& hardware) {
  std::string s = "hardware:\n";
  for (const auto& group : hardware.groups) {
    s += "  " + lpo_yaml_string(group.name) + ":   # " + std::to_string(group.device_ids.size()) + " device(s): ";
    for (std::size_t i = 0; i < group.device_ids.size(); ++i) s += (i > 0 ? ", " : "") + group.device_ids[i];
    s += "\n    preset: " + group.preset + "   # " + group.comment + "\n";
    s += fmt::format("    count: {}\n", group.device_ids.size());
    if (!group.overrides.empty()) {
      s += "    overrides:\n";
      for (const auto& o : group.overrides) s += "      " + o + "\n";
    }
  }
  return s;
}

// "frameworks_to_test[3].config.x" -> "frameworks_to_test[].config.x".
std::string without_indices(const std::string& path) {
  std::string out;
  bool in_index = false;
  for (const char c : path) {
    if (c == '[') in_index = true;
    if (!in_index || c == '[' || c == ']') out += c;
    if (c == ']') in_index = false;
  }
  return out;
}

// The same note on every replica of a data-parallel config (eight copies of each ignored key)
// is said once, with the other lines listed.
std::vector<LpoNote> merged(const std::vector<LpoNote>& notes) {
  std::vector<LpoNote> out;
  std::vector<std::vector<int>> also;
  for (const auto& note : notes) {
    bool found = false;
    for (std::size_t i = 0; i < out.size() && !found; ++i)
      if (out[i].text == note.text && without_indices(out[i].key_path) == without_indices(note.key_path)) {
        also[i].push_back(note.pos.line);
        found = true;
      }
    if (!found) {
      out.push_back(note);
      also.emplace_back();
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (also[i].empty()) continue;
    std::string lines;
    for (const int line : also[i]) lines += (lines.empty() ? "" : ", ") + std::to_string(line);
    out[i].text += " (the same at line" + std::string(also[i].size() > 1 ? "s " : " ") + lines + ")";
  }
  return out;
}

std::string header(const std::string& file, const std::vector<LpoNote>& notes) {
  std::string s = "# Converted by `llmperforacle import-lpo` from " + file +
                  ", an experiment config of the Python LLMPerfOracle.\n"
                  "# The key-by-key mapping: experiments/README.md, \"Migrating from the Python LLMPerfOracle\".\n";
  if (notes.empty()) return s + "# Every key had an equivalent.\n";
  s += "# What has no equivalent here, and what was assumed (line of " + file + ": key: note):\n";
  for (const auto& note : notes) {
    std::string text = note.key_path + ": " + note.text;
    for (char& c : text)
      if (c == '\n') c = ' ';
    s += fmt::format("#   {}: {}\n", note.pos.line, text);
  }
  return s;
}

}  // namespace

LpoConversion convert_lpo_config(const YAML::Node& root, const std::string& file, const std::string& name,
                                 const Libraries& libraries) {
  LpoReader reader(file);
  if (!root.IsMap()) reader.fail(root, "(top level)", "expected a mapping: an LLMPerfOracle experiment config");
  if (root["compute_devices"] && !root["frameworks_to_test"])
    reader.fail(root, "(top level)",
                "this is an LLMPerfOracle hardware file; convert the experiment config that holds hardware_profile");
  if (root["client_profiles"] && !root["frameworks_to_test"])
    reader.fail(root, "(top level)",
                "this is a standalone LLMPerfOracle workload file, which its experiment loader does not read; convert an "
                "experiment config (simulation, hardware_profile, workload, frameworks_to_test, metrics_config)");
  reader.check_keys(root, "", {"simulation", "hardware_profile", "workload", "frameworks_to_test", "metrics_config"},
                    {{"model_characteristics_db_path", "not needed: model ids resolve in our model library "
                                                       "(`llmperforacle list models`)"}});
  const LpoWorkload workload = lpo_workload(reader, root);
  const LpoHardware hardware = lpo_hardware(reader, root, libraries.gpus);
  const std::string frameworks = lpo_frameworks(reader, root, hardware, workload, libraries.models);
  const std::string simulation = simulation_section(reader, root, workload);
  std::string body = "name: " + lpo_yaml_string(name) + "\n\n" + simulation + "\n" + hardware_section(hardware) + "\n" +
                     workload.section + "\n" + frameworks;
  std::vector<LpoNote> notes = merged(reader.notes());
  std::stable_sort(notes.begin(), notes.end(), [](const LpoNote& a, const LpoNote& b) { return a.pos.line < b.pos.line; });
  return {header(file, notes) + "\n" + body, notes};
}

}  // namespace llmpo
