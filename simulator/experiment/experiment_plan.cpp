#include "experiment_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "experiment_sections.hpp"
#include "pd_deployment.hpp"
#include "simulator/workload/workload.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

// The closed-loop check needs only the process name; the workload section reports its own errors.
bool is_closed_loop(const YAML::Node& document) {
  const YAML::Node workload = document["workload"];  // const access: never inserts
  if (!workload.IsMap()) return false;
  const YAML::Node arrival = workload["arrival"];
  if (!arrival.IsMap()) return false;
  const YAML::Node process = arrival["process"];
  return process.IsScalar() && to_lower(process.Scalar()) == "closed_loop";
}

std::string workload_key(const YAML::Node& workload, uint64_t seed) {
  YAML::Emitter emitter;
  emitter << YAML::Flow << workload;
  return fmt::format("{}|seed={}", emitter.c_str(), seed);
}

void check_size(const WorkloadSpec& workload, const StrictMap& top) {
  const double requests = expected_request_count(workload);
  if (requests > kLargeWorkloadRequests)
    top.fail("workload", fmt::format("this workload would hold about {:.1f} million requests (without --allow-large "
                                     "the limit is {:.0f} million): about {:.0f} GB of memory and minutes per run. "
                                     "Lower num_requests, duration_s or the rate, or pass --allow-large",
                                     requests / 1e6, kLargeWorkloadRequests / 1e6, requests * 200e-9));
}

// Requests longer than a deployment's max_model_len need the file to say what happens to them
// (workload.over_max_model_len); without it, finding one is an error here, before any run. A
// command-line deployment (AdviceTerms::flags) is told the --max-model-len that carries them.
void check_lengths(ExperimentPlan& plan, int64_t index, AdviceTerms terms) {
  WorkloadPlan& w = plan.workloads[static_cast<std::size_t>(index)];
  if (w.spec.over_max_model_len == OverMaxModelLen::clip) {
    w.clip_max_model_len = plan.clip_max_model_len;
    return;
  }
  if (w.spec.over_max_model_len == OverMaxModelLen::reject) return;
  const RunSpec* tightest = nullptr;  // the deployment with the smallest limit that sees this workload
  for (const auto& run : plan.runs)
    if (run.workload_index == index && (tightest == nullptr || run.kv.max_model_len < tightest->kv.max_model_len))
      tightest = &run;
  if (tightest == nullptr || max_total_tokens_bound(w.spec) <= tightest->kv.max_model_len) return;
  Workload generated;
  try {
    generated = generate_workload(w.spec, w.seed, 0);
  } catch (const InputError& error) {
    throw InputError(w.pos, "workload." + error.key_path(), error.message());
  }
  int64_t too_long = 0, longest = 0;
  for (const Request& r : generated.requests) {
    const int64_t total = int64_t{r.prompt_tokens} + r.output_tokens;
    if (total > tightest->kv.max_model_len) ++too_long;
    longest = std::max(longest, total);
  }
  if (too_long == 0) return;
  if (terms == AdviceTerms::flags)
    throw InputError({}, "--max-model-len",
                     fmt::format("{} of {} requests have prompt + output above {} tokens (the longest has {}): give "
                                 "--max-model-len {} or more, or shorter requests",
                                 too_long, generated.requests.size(), tightest->kv.max_model_len, longest, longest));
  throw InputError(w.pos, "workload",
                   fmt::format("{} of {} requests have prompt + output above max_model_len {} of '{}' ({}; the "
                               "longest has {} tokens). Say what happens to them: over_max_model_len: clip "
                               "(shorten output, then prompt, to the smallest max_model_len in the file{}) or "
                               "over_max_model_len: reject (send them; the engine refuses them, as vLLM's server "
                               "does{}); or raise max_model_len",
                               too_long, generated.requests.size(), tightest->kv.max_model_len, tightest->name,
                               tightest->entry_path, longest,
                               w.spec.sessions ? "; a session ends before the turn whose history would pass it" : "",
                               w.spec.sessions ? ", and the session's later turns are not sent" : ""));
}

// Why `name` cannot be a folder name inside results/, or "" when it can.
std::string folder_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name == ".") return "names results/ itself";
  if (name.find("..") != std::string::npos) return "holds '..'";
  if (name.find('/') != std::string::npos) return name.front() == '/' ? "is an absolute path" : "holds '/'";
  if (name.find('\\') != std::string::npos) return "holds '\\'";
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "holds a control character";
  return "";
}

// The name as an error message can show it (control characters as \xNN).
std::string shown_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
  }
  return out;
}

}  // namespace

ExperimentPlan plan_experiment(const ExperimentFile& file, const Libraries& libraries, const PlanOptions& options) {
  ExperimentPlan plan;
  plan.path = file.path;
  plan.name = std::filesystem::path(file.path).stem().string();
  TraceCache traces;  // each trace file is read once, however many points use it
  std::set<std::string> bad_names;
  // Every point is read whole, every error recorded; nothing runs unless the file is clean.
  Diagnostics diagnostics;
  for (std::size_t p = 0; p < file.points.size() && !diagnostics.full(); ++p) {
    const SweepPoint& point = file.points[p];
    StrictMap top(point.document, file.path, "", &diagnostics);
    diagnostics.attempt([&] {
      if (auto name = top.opt_string("name")) {
        // results/<name> is the default output folder: a name must not choose another place.
        const std::string problem = folder_name_problem(*name);
        // Once per distinct name, not once per sweep point.
        if (!problem.empty() && bad_names.insert(*name).second)
          top.fail("name", fmt::format("'{}' {}: it must be a plain folder name (not empty, no '/', "
                                       "'\\', '..' or control characters), as results/<name> is where `run` "
                                       "writes by default",
                                       shown_name(*name), problem));
        plan.name = *name;
      }
    });
    top.opt_string("description");
    PointPlan point_plan{point, {}, {}};
    diagnostics.attempt([&] {
      StrictMap simulation = top.get_map("simulation");
      point_plan.simulation = read_simulation(simulation);
      if (point_plan.simulation.metrics.cooldown_s > 0 && is_closed_loop(point.document))
        simulation.fail("cooldown_s", "a cool-down needs an open-loop workload: closed-loop send times depend on the run");
    });
    std::vector<HardwareRead> hardware;
    diagnostics.attempt([&] {
      StrictMap hardware_map = top.get_map("hardware");
      hardware = read_hardware(hardware_map, libraries);
    });
    std::optional<WorkloadSpec> workload;
    diagnostics.attempt([&] {
      StrictMap workload_map = top.get_map("workload");
      workload = parse_workload(workload_map, &traces);
      if (!options.allow_large_workloads) check_size(*workload, top);
    });
    YAML::Node frameworks;
    diagnostics.attempt([&] {
      frameworks = top.get_node("frameworks_to_test");
      if (!frameworks.IsSequence() || frameworks.size() == 0)
        top.fail("frameworks_to_test", "expected a non-empty list of deployments");
    });
    if (top.has("capacity"))
      diagnostics.attempt([&] {
        StrictMap capacity_map = top.get_map("capacity");
        CapacitySpec capacity = parse_capacity(capacity_map);
        if (capacity.min_attainment && !has_any_bound(point_plan.simulation.metrics.slo) &&
            !(workload && std::all_of(workload->classes.begin(), workload->classes.end(), [](const ClassSpec& c) {
                return has_any_bound(c.slo);
              }) && !workload->classes.empty()))
          capacity_map.fail("min_attainment", "needs a per-request SLO to attain: simulation.slo (or one in every workload class)");
        if (capacity.pd_splits && frameworks.IsSequence() &&
            std::none_of(frameworks.begin(), frameworks.end(), [](const YAML::Node& e) { return is_disaggregated_entry(e); }))
          capacity_map.fail("pd_splits", "splits the GPUs of a disaggregated entry (config: prefill: / decode:) between "
                                         "its pools, and frameworks_to_test has none: remove it or add one");
        if (p == 0) plan.capacity = capacity;
      });
    if (top.has("search"))
      diagnostics.attempt([&] {
        StrictMap search_map = top.get_map("search");
        SearchSpec search = parse_search(search_map);
        if (!top.has("capacity")) search_map.fail("target_rate_per_s", "a search needs a capacity: section (the SLOs to meet)");
        for (const auto& gpu : search.gpus)
          try {
            libraries.gpus.find(gpu);
          } catch (const InputError& error) {
            search_map.fail("gpus", error.message());
          }
        for (const auto& gpu : search.decode_gpus)
          try {
            libraries.gpus.find(gpu);
          } catch (const InputError& error) {
            search_map.fail("decode_gpus", error.message());
          }
        if (search.pool_keys_given && frameworks.IsSequence() &&
            std::none_of(frameworks.begin(), frameworks.end(), [](const YAML::Node& e) { return is_disaggregated_entry(e); }))
          for (const char* key : {"prefill_tensor_parallel_degree", "decode_tensor_parallel_degree", "decode_gpus"})
            if (search_map.has(key))
              search_map.fail(key, "sizes the pools of a disaggregated entry (config: prefill: / decode:), and "
                                   "frameworks_to_test has none: remove it or add one (experiments/README.md, "
                                   "\"Prefill/decode disaggregation\")");
        if (p == 0) plan.search = search;
      });
    top.reject_unknown_keys({"name", "description", "simulation", "hardware", "workload", "frameworks_to_test", "sweep",
                             "capacity", "search"});

    int64_t workload_index = -1;
    if (workload) {
      const std::string key = workload_key(point.document["workload"], point_plan.simulation.seed);
      auto existing = std::find_if(plan.workloads.begin(), plan.workloads.end(), [&](const WorkloadPlan& w) { return w.key == key; });
      workload_index = static_cast<int64_t>(existing - plan.workloads.begin());
      if (existing == plan.workloads.end())
        plan.workloads.push_back({std::move(*workload), point_plan.simulation.seed, key, top.pos_of("workload"), 0});
    }

    std::set<std::string> names;
    for (std::size_t i = 0; frameworks.IsSequence() && i < frameworks.size(); ++i) {
      diagnostics.attempt([&] {
        StrictMap entry(frameworks[i], file.path, fmt::format("frameworks_to_test[{}]", i), &diagnostics);
        std::optional<RunSpec> run = read_deployment(entry, hardware, libraries, file.path, options.advice_terms);
        if (!run) return;
        if (!names.insert(run->name).second)
          entry.fail("name", "'" + run->name + "' is used by another entry: names must be unique");
        run->index = static_cast<int64_t>(plan.runs.size());
        run->point_index = static_cast<int64_t>(p);
        run->workload_index = workload_index;
        point_plan.runs.push_back(run->index);
        plan.runs.push_back(std::move(*run));
      });
    }
    plan.points.push_back(std::move(point_plan));
  }
  diagnostics.throw_if_any();
  plan.clip_max_model_len = INT64_MAX;
  for (const auto& run : plan.runs) plan.clip_max_model_len = std::min(plan.clip_max_model_len, run.kv.max_model_len);
  for (std::size_t w = 0; w < plan.workloads.size() && !diagnostics.full(); ++w)
    diagnostics.attempt([&] { check_lengths(plan, static_cast<int64_t>(w), options.advice_terms); });
  diagnostics.throw_if_any();
  return plan;
}

}  // namespace llmpo
