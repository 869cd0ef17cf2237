#include "experiment_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "hardware/gpu_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

namespace {

// Re-raises an error without a position (from a library lookup) at the key that caused it.
template <typename Action>
auto at_key(const StrictMap& map, const std::string& key, Action action) -> decltype(action()) {
  try {
    return action();
  } catch (const InputError& error) {
    if (error.pos().line > 0) throw;
    throw InputError(map.pos_of(key), map.path_of(key), error.message());
  }
}

SimulationSettings read_simulation(StrictMap& sim) {
  SimulationSettings out;
  out.seed = static_cast<uint64_t>(sim.get_int("seed", {0, 9.0e15, false}));
  if (sim.has("percentiles")) {
    const YAML::Node list = sim.get_node("percentiles");
    if (!list.IsSequence() || list.size() == 0) sim.fail("percentiles", "expected a non-empty list such as [50, 90, 99]");
    out.metrics.percentiles.clear();
    for (std::size_t i = 0; i < list.size(); ++i)
      out.metrics.percentiles.push_back(
          scalar_to_double(list[i], sim.file(), sim.path_of("percentiles") + fmt::format("[{}]", i), {0, 100, true}));
  } else {
    sim.opt_string("percentiles");
  }
  out.metrics.warmup_s = sim.opt_double("warmup_s", non_negative()).value_or(0);
  out.metrics.cooldown_s = sim.opt_double("cooldown_s", non_negative()).value_or(0);
  out.timeseries_interval_s = sim.opt_double("timeseries_interval_s", positive()).value_or(1.0);
  if (auto slo = sim.opt_map("slo")) {
    out.metrics.slo.ttft_ms = slo->opt_double("ttft_ms", positive());
    out.metrics.slo.tpot_ms = slo->opt_double("tpot_ms", positive());
    out.metrics.slo.e2el_ms = slo->opt_double("e2el_ms", positive());
    slo->reject_unknown_keys({"ttft_ms", "tpot_ms", "e2el_ms"});
  }
  if (auto cost = sim.opt_map("cost_model")) {
    const std::string type = cost->get_choice("type", {"roofline", "linear"});
    out.linear_cost = type == "linear";
    if (out.linear_cost) {
      out.linear.base_s = cost->get_double("base_ms", non_negative()) * 1e-3;
      out.linear.per_new_token_s = cost->opt_double("per_token_ms", non_negative()).value_or(0) * 1e-3;
      out.linear.per_sequence_s = cost->opt_double("per_sequence_ms", non_negative()).value_or(0) * 1e-3;
      out.linear.per_kv_token_s = cost->opt_double("per_kv_token_ms", non_negative()).value_or(0) * 1e-3;
      cost->reject_unknown_keys({"type", "base_ms", "per_token_ms", "per_sequence_ms", "per_kv_token_ms"});
    } else {
      cost->reject_unknown_keys({"type"});
    }
  }
  sim.reject_unknown_keys({"seed", "percentiles", "warmup_s", "cooldown_s", "timeseries_interval_s", "slo", "cost_model"});
  return out;
}

// A model or GPU file named relative to the experiment file is looked up beside it.
std::string resolve_relative(const std::string& name, const std::string& experiment_path) {
  namespace fs = std::filesystem;
  const bool is_file = name.size() > 5 && (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"));
  if (!is_file || fs::path(name).is_absolute()) return name;
  return (fs::path(experiment_path).parent_path() / name).string();
}

std::vector<HardwareEntry> read_hardware(StrictMap& hardware, const Libraries& libraries) {
  std::vector<HardwareEntry> entries;
  for (const auto& key : hardware.keys()) {
    StrictMap entry = hardware.get_map(key);
    HardwareEntry out;
    out.key = key;
    const std::string preset = entry.get_string("preset");
    out.gpu = at_key(entry, "preset", [&] { return resolve_gpu(resolve_relative(preset, hardware.file()), libraries.gpus); });
    out.count = entry.opt_int("count", {1, 1e6, false}).value_or(0);
    if (auto overrides = entry.opt_map("overrides")) {
      read_gpu_fields(*overrides, out.gpu, false);
      try {
        out.gpu.validate();
      } catch (const InputError& error) {
        throw InputError(overrides->pos(), overrides->path_of(error.key_path()), error.message());
      }
    }
    // After the overrides, so that an overridden default_interconnect takes effect.
    out.interconnect = entry.opt_string("interconnect").value_or(out.gpu.default_interconnect);
    out.inter_node = entry.opt_string("inter_node").value_or("infiniband-400g");
    at_key(entry, "interconnect", [&] { return &libraries.interconnects.find(out.interconnect); });
    at_key(entry, "inter_node", [&] { return &libraries.interconnects.find(out.inter_node); });
    entry.reject_unknown_keys({"preset", "count", "interconnect", "inter_node", "overrides"});
    entries.push_back(std::move(out));
  }
  if (entries.empty())
    throw InputError(hardware.pos(), "hardware", "define at least one GPU group, e.g. gpu0: {preset: H100-SXM, count: 8}");
  return entries;
}

MemoryPlanRequest memory_request(const RunSpec& run) {
  const EngineSettings& engine = engine_settings(run.settings);
  MemoryPlanRequest r;
  r.parallel = run.parallel;
  r.quantization = engine.quantization;
  r.kv_cache_dtype = engine.kv_cache_dtype;
  r.gpu_memory_bytes = run.hardware.gpu.memory_bytes;
  r.gpu_memory_utilization = engine.gpu_memory_utilization;
  r.max_model_len = engine.max_model_len.value_or(0);
  r.block_size = engine.block_size;
  if (const auto* vllm = std::get_if<VllmSettings>(&run.settings)) {
    r.max_num_batched_tokens = vllm->max_num_batched_tokens;
    r.max_num_seqs = vllm->max_num_seqs;
  } else if (const auto* batching = std::get_if<StaticBatchingSettings>(&run.settings)) {
    // Hugging Face generate prefills the whole batch in one forward pass.
    r.max_num_seqs = batching->batch_size;
    r.max_num_batched_tokens = batching->batch_size * std::min<int64_t>(
        r.max_model_len > 0 ? r.max_model_len : run.model.max_position_embeddings, 8192);
  }
  return r;
}

RunSpec read_run(StrictMap& entry, const std::vector<HardwareEntry>& hardware, const Libraries& libraries,
                 const std::string& experiment_path) {
  RunSpec run;
  run.entry_path = entry.key_path();
  run.name = entry.get_string("name");
  const std::string type = entry.opt_choice("type", framework_type_names()).value_or("VLLM");
  StrictMap config = entry.get_map("config");
  entry.reject_unknown_keys({"name", "type", "config"});

  const std::string model_name = config.get_string("model_profile_id");
  run.model = at_key(config, "model_profile_id",
                     [&] { return resolve_model(resolve_relative(model_name, experiment_path), libraries.models); });
  const std::string gpu_key = config.get_string("gpu_id");
  const auto found = std::find_if(hardware.begin(), hardware.end(), [&](const HardwareEntry& h) { return h.key == gpu_key; });
  if (found == hardware.end()) {
    std::vector<std::string> keys;
    for (const auto& h : hardware) keys.push_back(h.key);
    std::string message = "'" + gpu_key + "' is not defined in the hardware section (defined: " + join(keys) + ")";
    const std::string hint = did_you_mean(gpu_key, keys);
    config.fail("gpu_id", hint.empty() ? message : message + "; " + hint);
  }
  run.hardware = *found;
  run.parallel.tensor_parallel = config.opt_int("tensor_parallel_degree", {1, 4096, false}).value_or(1);
  run.parallel.pipeline_parallel = config.opt_int("pipeline_parallel_degree", {1, 4096, false}).value_or(1);
  run.replicas = config.opt_int("num_replicas", {1, 100000, false}).value_or(1);
  run.router = router_policy_from(config.opt_choice("router", router_policy_names()).value_or("round_robin"));
  run.settings = parse_framework_settings(type, config, run.hardware.gpu.memory_bytes, run.hardware.gpu.id);
  config.reject_unknown_keys();

  at_key(config, "tensor_parallel_degree", [&] { check_parallel_config(run.model, run.parallel); return 0; });
  const int64_t gpus = run.parallel.gpus() * run.replicas;
  if (run.hardware.count > 0 && gpus > run.hardware.count)
    config.fail("tensor_parallel_degree",
                fmt::format("TP {} x PP {} x {} replica(s) = {} GPUs, but hardware '{}' has {}", run.parallel.tensor_parallel,
                            run.parallel.pipeline_parallel, run.replicas, gpus, gpu_key, run.hardware.count));

  run.memory = at_key(config, "model_profile_id", [&] { return plan_memory(run.model, memory_request(run)); });
  const EngineSettings& engine = engine_settings(run.settings);
  run.kv.block_size = engine.block_size;
  run.kv.max_model_len = run.memory.max_model_len;
  if (engine.num_gpu_blocks) {
    run.kv.num_gpu_blocks = *engine.num_gpu_blocks;
  } else if (!run.memory.fits) {
    config.fail("model_profile_id", fmt::format("{} on {} x {}: {}", run.model.id, run.parallel.gpus(),
                                                run.hardware.gpu.id, run.memory.verdict));
  } else {
    run.kv.num_gpu_blocks = run.memory.num_gpu_blocks;
  }
  return run;
}

std::string workload_key(const YAML::Node& workload, uint64_t seed) {
  YAML::Emitter emitter;
  emitter << YAML::Flow << workload;
  return fmt::format("{}|seed={}", emitter.c_str(), seed);
}

}  // namespace

ExperimentPlan plan_experiment(const ExperimentFile& file, const Libraries& libraries) {
  ExperimentPlan plan;
  plan.path = file.path;
  plan.name = std::filesystem::path(file.path).stem().string();
  TraceCache traces;  // each trace file is read once, however many points use it
  for (std::size_t p = 0; p < file.points.size(); ++p) {
    const SweepPoint& point = file.points[p];
    StrictMap top(point.document, file.path, "");
    if (auto name = top.opt_string("name")) plan.name = *name;
    top.opt_string("description");
    PointPlan point_plan{point, {}, {}};
    StrictMap simulation = top.get_map("simulation");
    point_plan.simulation = read_simulation(simulation);
    StrictMap hardware_map = top.get_map("hardware");
    const std::vector<HardwareEntry> hardware = read_hardware(hardware_map, libraries);
    StrictMap workload_map = top.get_map("workload");
    WorkloadSpec workload = parse_workload(workload_map, &traces);
    if (point_plan.simulation.metrics.cooldown_s > 0 && workload.arrival &&
        workload.arrival->process == ArrivalProcess::closed_loop)
      throw InputError(simulation.pos_of("cooldown_s"), "simulation.cooldown_s",
                       "a cool-down needs an open-loop workload: closed-loop send times depend on the run");
    const YAML::Node frameworks = top.get_node("frameworks_to_test");
    top.reject_unknown_keys({"name", "description", "simulation", "hardware", "workload", "frameworks_to_test", "sweep"});
    if (!frameworks.IsSequence() || frameworks.size() == 0)
      throw InputError(top.pos_of("frameworks_to_test"), "frameworks_to_test", "expected a non-empty list of deployments");

    const std::string key = workload_key(point.document["workload"], point_plan.simulation.seed);
    auto existing = std::find_if(plan.workloads.begin(), plan.workloads.end(), [&](const WorkloadPlan& w) { return w.key == key; });
    const auto workload_index = static_cast<int64_t>(existing - plan.workloads.begin());
    if (existing == plan.workloads.end()) plan.workloads.push_back({std::move(workload), point_plan.simulation.seed, key});

    std::set<std::string> names;
    for (std::size_t i = 0; i < frameworks.size(); ++i) {
      StrictMap entry(frameworks[i], file.path, fmt::format("frameworks_to_test[{}]", i));
      RunSpec run = read_run(entry, hardware, libraries, file.path);
      if (!names.insert(run.name).second)
        entry.fail("name", "'" + run.name + "' is used by another entry: names must be unique");
      run.index = static_cast<int64_t>(plan.runs.size());
      run.point_index = static_cast<int64_t>(p);
      run.workload_index = workload_index;
      point_plan.runs.push_back(run.index);
      plan.runs.push_back(std::move(run));
    }
    plan.points.push_back(std::move(point_plan));
  }
  plan.clip_max_model_len = INT64_MAX;
  for (const auto& run : plan.runs) plan.clip_max_model_len = std::min(plan.clip_max_model_len, run.kv.max_model_len);
  return plan;
}

}  // namespace llmpo
