#include "experiment_args.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "simulator/util/error.hpp"

namespace llmpo {

void declare_common(ArgParser& p) {
  p.positional("FILE", "experiment YAML (see experiments/README.md)");
  p.repeated("set", "KEY.PATH=VALUE", "override any field, e.g. --set workload.arrival.rate_per_s=8");
  p.flag("allow-large", "accept workloads of more than 10 million requests (otherwise an input error)");
}

ExperimentFile read_from(const ArgParser& p) {
  const auto file = p.positional_value("FILE");
  if (!file) throw InputError({}, "FILE", "name the experiment file, e.g. experiments/quickstart.yaml");
  return read_experiment(*file, p.get_all("set"));
}

ExperimentPlan plan_from(const ArgParser& p, const Libraries& libraries) {
  const auto start = std::chrono::steady_clock::now();
  PlanOptions options;
  options.allow_large_workloads = p.has("allow-large");
  ExperimentPlan plan = plan_experiment(read_from(p), libraries, options);
  spdlog::debug("experiment {}: {} run(s) over {} workload(s) and {} sweep point(s), read and planned in {:.1f} ms",
                plan.path, plan.runs.size(), plan.workloads.size(), plan.points.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return plan;
}

std::string join_args(const std::string& command, const Args& args) {
  std::string out = "llmperforacle " + command;
  for (const auto& arg : args) out += " " + arg;
  return out;
}

}  // namespace llmpo
