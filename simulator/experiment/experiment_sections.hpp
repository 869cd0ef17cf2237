#pragma once
// Readers of the sections of one sweep point of an experiment file: `simulation:`, `hardware:`
// and each `frameworks_to_test` entry. They read in collect mode (diagnostics.hpp): every
// error of a section is recorded, and checks that combine several values (TP divides the
// heads, the model fits the GPUs) run only when those values themselves were valid.
#include <optional>
#include <string>
#include <vector>

#include "experiment_plan.hpp"
#include "fit_advice.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

SimulationSettings read_simulation(StrictMap& simulation);

// Every entry of `hardware:`, in file order; an entry with errors comes back with valid = false
// (so that deployments naming it are not also reported as naming an undefined group).
struct HardwareRead {
  HardwareEntry entry;
  bool valid = false;
};
std::vector<HardwareRead> read_hardware(StrictMap& hardware, const Libraries& libraries);

// One `frameworks_to_test` entry; nullopt when it had errors (all recorded). A deployment that
// does not fit its GPUs is an error at model_profile_id with advice in experiment-file keys; with
// AdviceTerms::flags (a deployment the command line made) it throws DoesNotFit with advice in flags.
std::optional<RunSpec> read_deployment(StrictMap& entry, const std::vector<HardwareRead>& hardware,
                                       const Libraries& libraries, const std::string& experiment_path,
                                       AdviceTerms advice_terms = AdviceTerms::experiment_file);

// Everything of a deployment but its model, from `config` (an entry's config, or one pool of a
// disaggregated one): GPUs, parallel layout, replicas, router, framework settings, then the checks
// that combine them (memory plan). `checked_type`: the framework type, nullopt when the entry's
// type was invalid (unknown keys are then not reported). Errors are recorded (collect mode) or
// thrown; true when there were none.
bool read_deployment_pool(RunSpec& run, StrictMap& config, const std::optional<std::string>& checked_type, bool model_ok,
                          const std::vector<HardwareRead>& hardware, const Libraries& libraries, AdviceTerms advice_terms,
                          const std::vector<std::string>& valid_keys);

}  // namespace llmpo
