#include "config_search.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "config_search_pd.hpp"
#include "parallel_runs.hpp"
#include "pd_deployment.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// One point of the space, before evaluation.
struct CandidateSpec {
  std::size_t entry = 0;  // index into frameworks_to_test
  std::string gpu;
  int64_t tp = 1, pp = 1;
  std::vector<std::pair<std::string, std::string>> knobs;  // (config key, YAML scalar)
  // A disaggregated entry: gpu and tp are the prefill pool's; pp and knobs apply to both pools.
  bool disaggregated = false;
  std::string decode_gpu;
  int64_t decode_tp = 0;
};

std::vector<CandidateSpec> enumerate(const YAML::Node& frameworks, const SearchSpec& search) {
  // Knob lists apply to vLLM entries only; an empty list keeps the entry's own value.
  std::vector<std::vector<std::pair<std::string, std::string>>> knob_sets = {{}};
  const auto expand = [&](const std::string& key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& set : knob_sets)
      for (const auto& value : values) {
        auto extended = set;
        extended.emplace_back(key, value);
        next.push_back(extended);
      }
    knob_sets = next;
  };
  expand("max_num_seqs", search.max_num_seqs);
  expand("max_num_batched_tokens", search.max_num_batched_tokens);
  expand("enable_chunked_prefill", search.enable_chunked_prefill);
  std::vector<CandidateSpec> out;
  for (std::size_t e = 0; e < frameworks.size(); ++e) {
    const YAML::Node type = frameworks[e].IsMap() ? frameworks[e]["type"] : YAML::Node();
    const bool vllm = !type.IsDefined() || !type.IsScalar() || to_lower(type.Scalar()) == "vllm";
    if (is_disaggregated_entry(frameworks[e])) {
      for (const auto& gpu : search.gpus)
        for (const auto& decode_gpu : search.decode_gpus.empty() ? std::vector<std::string>{gpu} : search.decode_gpus)
          for (int64_t tp : search.prefill_tensor_parallel)
            for (int64_t decode_tp : search.decode_tensor_parallel)
              for (int64_t pp : search.pipeline_parallel)
                for (const auto& knobs : knob_sets) out.push_back({e, gpu, tp, pp, knobs, true, decode_gpu, decode_tp});
      continue;
    }
    for (const auto& gpu : search.gpus)
      for (int64_t tp : search.tensor_parallel)
        for (int64_t pp : search.pipeline_parallel) {
          if (vllm) {
            for (const auto& knobs : knob_sets) out.push_back({e, gpu, tp, pp, knobs, false, "", 0});
          } else {
            out.push_back({e, gpu, tp, pp, {}, false, "", 0});
          }
        }
  }
  return out;
}

// The one-deployment experiment of a candidate: the file with this GPU, layout and knobs.
ExperimentFile candidate_file(const ExperimentFile& file, const CandidateSpec& c) {
  YAML::Node document = YAML::Clone(file.document);
  document.remove("sweep");
  document.remove("search");
  YAML::Node hardware(YAML::NodeType::Map);
  hardware["gpu0"]["preset"] = c.gpu;
  YAML::Node entry = YAML::Clone(file.document["frameworks_to_test"][c.entry]);
  // The instance: its GPU and layout, one of it (the search sizes the counts), the knobs.
  const auto set_instance = [&](YAML::Node config, const char* gpu_id, int64_t tp) {
    config["gpu_id"] = gpu_id;
    config["tensor_parallel_degree"] = tp;
    config["pipeline_parallel_degree"] = c.pp;
    config["num_replicas"] = 1;
    for (const auto& [key, value] : c.knobs) config[key] = YAML::Load(value);
  };
  if (c.disaggregated) {
    const bool same_gpu = c.decode_gpu == c.gpu;
    if (!same_gpu) hardware["gpu1"]["preset"] = c.decode_gpu;
    set_instance(entry["config"]["prefill"], "gpu0", c.tp);
    set_instance(entry["config"]["decode"], same_gpu ? "gpu0" : "gpu1", c.decode_tp);
  } else {
    set_instance(entry["config"], "gpu0", c.tp);
  }
  document["hardware"] = hardware;
  YAML::Node frameworks(YAML::NodeType::Sequence);
  frameworks.push_back(entry);
  document["frameworks_to_test"] = frameworks;
  ExperimentFile out;
  out.path = file.path;
  out.document = document;
  out.points.push_back({document, {}});
  return out;
}

double price_of(const SearchSpec& search, const GpuSpec& gpu) {
  for (const auto& [name, price] : search.prices)
    if (name == gpu.id) return price;
  return gpu.price_per_hour_usd;
}

void evaluate(const ExperimentFile& file, const Libraries& libraries, const SearchSpec& search,
              const CandidateSpec& spec, SearchCandidate& out, RunControl* control) {
  ExperimentPlan plan;
  try {
    plan = plan_experiment(candidate_file(file, spec), libraries);
  } catch (const InputErrors& errors) {
    out.status = "pruned";
    out.reason = errors.errors().front().message();
    return;
  } catch (const InputError& error) {
    out.status = "pruned";
    out.reason = error.message();
    return;
  }
  if (!plan.capacity) throw InternalError("search: the candidate lost its capacity section");
  const CapacitySpec& slo = *plan.capacity;
  RunSpec& run = plan.runs.front();
  out.price_per_gpu_hour = price_of(search, run.hardware.gpu);
  if (!(out.price_per_gpu_hour > 0)) {
    out.status = "pruned";
    out.reason = fmt::format("no price for {}: give it in search.prices_per_gpu_hour_usd", run.hardware.gpu.id);
    return;
  }
  RunExecutor executor(plan, libraries);
  if (run.pd) {
    out.decode_price_per_gpu_hour = price_of(search, run.pd->decode.hardware.gpu);
    if (!(out.decode_price_per_gpu_hour > 0)) {
      out.status = "pruned";
      out.reason = fmt::format("no price for {}: give it in search.prices_per_gpu_hour_usd", run.pd->decode.hardware.gpu.id);
      return;
    }
    search_pool_sizes(plan, run, slo, search, executor, out, control);
    return;
  }
  const CapacityResult capacity = find_capacity(plan, run, slo, executor, control);
  out.capacity_per_replica = capacity.capacity;
  for (const auto& p : capacity.probes) out.overloaded_probes += p.state == LoadState::overloaded;
  if (capacity.capacity <= 0) {
    out.status = "infeasible";
    out.reason = "fails the SLOs at capacity.low: " + capacity.probes.front().reason;
    return;
  }
  int64_t replicas = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(search.target_rate_per_s / capacity.capacity - 1e-9)));
  for (int attempt = 0; attempt < 3; ++attempt, ++replicas) {
    if (replicas > search.max_replicas) {
      out.status = "infeasible";
      out.reason = fmt::format("needs more than max_replicas {} replicas", search.max_replicas);
      return;
    }
    RunSpec scaled = run;
    scaled.replicas = replicas;
    const CapacityProbe probe = probe_load(plan, scaled, slo, executor, search.target_rate_per_s, control);
    out.replicas = replicas;
    out.overloaded_probes += probe.state == LoadState::overloaded;
    out.bound_values = probe.bound_values;
    out.latency_ms = probe.bound_values.empty() ? probe.metrics.e2el_ms.mean : probe.bound_values.front();
    if (probe.passed) {
      const int64_t gpus = replicas * run.parallel.gpus();
      out.num_gpus = gpus;
      out.status = "ok";
      out.cost_per_hour = static_cast<double>(gpus) * out.price_per_gpu_hour;
      out.capacity_total = capacity.capacity * static_cast<double>(replicas);
      out.requests_per_dollar = out.capacity_total / out.cost_per_hour;
      return;
    }
    out.reason = fmt::format("{} replica(s) at the target: {}", replicas, probe.reason);
  }
  out.status = "infeasible";
}

}  // namespace

std::vector<SearchCandidate> search_configurations(const ExperimentFile& file, const Libraries& libraries,
                                                   const SearchSpec& search, int jobs, RunControl* control) {
  if (file.points.size() > 1)
    throw InputError({file.path, 0, 0}, "sweep", "a search defines its own space: remove the sweep section");
  const YAML::Node frameworks = file.document["frameworks_to_test"];
  const std::vector<CandidateSpec> specs = enumerate(frameworks, search);
  std::vector<SearchCandidate> out(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out[i].framework = frameworks[specs[i].entry]["name"].Scalar();
    out[i].gpu = specs[i].gpu;
    out[i].tensor_parallel = specs[i].tp;
    out[i].pipeline_parallel = specs[i].pp;
    out[i].disaggregated = specs[i].disaggregated;
    out[i].decode_gpu = specs[i].decode_gpu;
    out[i].decode_tensor_parallel = specs[i].decode_tp;
    for (const auto& [key, value] : specs[i].knobs) out[i].knobs += (out[i].knobs.empty() ? "" : ";") + key + "=" + value;
  }
  if (control != nullptr) control->runs_total = static_cast<int64_t>(specs.size());
  for_each_index(specs.size(), jobs, control,
                 [&](std::size_t i) { evaluate(file, libraries, search, specs[i], out[i], control); });

  // The frontier: no other feasible candidate is at most as costly and at most as slow, and
  // strictly better in one of the two.
  for (auto& c : out) {
    if (c.status != "ok") continue;
    c.pareto = std::none_of(out.begin(), out.end(), [&](const SearchCandidate& o) {
      return o.status == "ok" && o.cost_per_hour <= c.cost_per_hour && o.latency_ms <= c.latency_ms &&
             (o.cost_per_hour < c.cost_per_hour || o.latency_ms < c.latency_ms);
    });
  }
  return out;
}

}  // namespace llmpo
