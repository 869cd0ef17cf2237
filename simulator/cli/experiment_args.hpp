#pragma once
// The arguments every command that reads an experiment file shares (FILE, --set, --allow-large),
// and turning them into a plan.
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "simulator/experiment/experiment_plan.hpp"

namespace llmpo {

void declare_common(ArgParser& p);
ExperimentFile read_from(const ArgParser& p);
ExperimentPlan plan_from(const ArgParser& p, const Libraries& libraries);
// "llmperforacle run FILE --out DIR", for the manifest.
std::string join_args(const std::string& command, const Args& args);

}  // namespace llmpo
