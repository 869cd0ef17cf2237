#include "experiment_sections.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "fit_advice.hpp"
#include "frameworks/sglang/sglang_memory.hpp"
#include "hardware/gpu_file.hpp"
#include "models/model_names.hpp"
#include "models/parallel_config.hpp"
#include "pd_deployment.hpp"
#include "simulator/util/does_not_fit.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Re-raises an error without a position (from a library lookup) at the key that caused it.
template <typename Action>
auto at_key(const StrictMap& map, const std::string& key, Action action) -> decltype(action()) {
  try {
    return action();
  } catch (const InputError& error) {
    if (error.pos().line > 0) throw;
    // An error that names a key of this map is shown there (a PP error was shown at
    // tensor_parallel_degree, the key the check was filed under).
    const std::string& named = error.key_path();
    const std::string& at = !named.empty() && map.has(named) ? named : key;
    throw InputError(map.pos_of(at), map.path_of(at), error.message());
  }
}

// A parallel degree under this project's key or vLLM's (tensor_parallel_size, as EngineArgs
// spells it); both at once is an error naming both, since either could be the intended one.
int64_t parallel_degree(StrictMap& config, const std::string& key, const std::string& vllm_key) {
  if (config.has(key) && config.has(vllm_key)) {
    config.record(InputError(config.pos_of(vllm_key), config.path_of(vllm_key),
                             fmt::format("is vLLM's name for {0}, which is also given (line {1}): give one of {0} and {2}",
                                         key, config.pos_of(key).line, vllm_key)));
    return 1;
  }
  return config.opt_int(config.has(vllm_key) ? vllm_key : key, {1, 4096, false}).value_or(1);
}

// A model or GPU file named relative to the experiment file is looked up beside it.
std::string resolve_relative(const std::string& name, const std::string& experiment_path) {
  namespace fs = std::filesystem;
  const bool is_file = name.size() > 5 && (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"));
  if (!is_file || fs::path(name).is_absolute()) return name;
  return (fs::path(experiment_path).parent_path() / name).string();
}

HardwareEntry read_hardware_entry(StrictMap& entry, const std::string& key, const Libraries& libraries) {
  HardwareEntry out;
  out.key = key;
  out.count = entry.opt_int("count", {1, 1e6, false}).value_or(0);
  const std::string preset = entry.get_string("preset");
  out.gpu = at_key(entry, "preset", [&] { return resolve_gpu(resolve_relative(preset, entry.file()), libraries.gpus); });
  if (auto overrides = entry.opt_map("overrides")) {
    read_gpu_fields(*overrides, out.gpu, false);
    try {
      out.gpu.validate();
    } catch (const InputError& error) {
      overrides->raise(InputError(overrides->pos(), overrides->path_of(error.key_path()), error.message()));
    }
  }
  // After the overrides, so that an overridden default_interconnect takes effect.
  out.interconnect = entry.opt_string("interconnect").value_or(out.gpu.default_interconnect);
  out.inter_node = entry.opt_string("inter_node").value_or("infiniband-400g");
  at_key(entry, "interconnect", [&] { return &libraries.interconnects.find(out.interconnect); });
  at_key(entry, "inter_node", [&] { return &libraries.interconnects.find(out.inter_node); });
  return out;
}

// An Ollama tag's quantization (llama3.1:8b-instruct-q4_K_M) becomes the deployment's, unless
// the config's quantization key names another: that contradiction is an error at the key.
void apply_tag_quantization(RunSpec& run, const StrictMap& config) {
  if (run.model.tag_quantization.empty()) return;
  const std::optional<std::string> given =
      config.has("quantization") ? std::optional<std::string>(engine_settings(run.settings).quantization) : std::nullopt;
  const std::string quantization = at_key(config, given ? "quantization" : "model_profile_id",
                                          [&] { return deployment_quantization(run.model, given); });
  std::visit([&](auto& settings) { static_cast<EngineSettings&>(settings).quantization = quantization; }, run.settings);
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
    r.cudagraph_memory_bytes = vllm_cudagraph_memory_bytes(*vllm);
  } else if (const auto* sglang = std::get_if<SglangSettings>(&run.settings)) {
    // The KV pool is sized by apply_sglang_memory (frameworks/sglang/sglang_memory.hpp); the
    // planner supplies weights and KV bytes per token: every layer's KV for every token.
    r.hybrid_kv_cache = false;
    r.gpu_memory_utilization = sglang->mem_fraction_static.value_or(r.gpu_memory_utilization);
    r.max_num_batched_tokens = sglang->chunked_prefill_size > 0 ? sglang->chunked_prefill_size : sglang->max_prefill_tokens;
  } else if (const auto* batching = std::get_if<StaticBatchingSettings>(&run.settings)) {
    // Hugging Face generate prefills the whole batch in one forward pass and keeps every layer's
    // KV for every token (no hybrid allocator).
    r.hybrid_kv_cache = false;
    r.max_num_seqs = batching->batch_size;
    r.max_num_batched_tokens = batching->batch_size * std::min<int64_t>(
        r.max_model_len > 0 ? r.max_model_len : run.model.max_position_embeddings, 8192);
  }
  return r;
}

// "does not fit: ... by 12.3 GiB; would fit: tensor_parallel_degree: 4 (4 x H100-SXM), or ..." in
// the terms of whoever gave the deployment: an experiment file's keys or the command's flags.
std::string not_fitting_message(const RunSpec& run, const MemoryPlanRequest& request, const Libraries& libraries,
                                AdviceTerms terms) {
  std::string message = fmt::format("{} on {} x {}: {}", run.model.id, run.parallel.gpus(), run.hardware.gpu.id,
                                    run.memory.verdict);
  const FitAdvice advice = fit_advice(run.model, run.hardware.gpu, libraries.gpus, request);
  message += describe_fit_advice(advice, run.hardware.gpu, request, terms);
  message += " (`llmperforacle memory` explains the budget line by line)";
  return message;
}

// The checks that combine values: parallel layout vs the model and GPU count, memory.
void check_deployment(RunSpec& run, StrictMap& config, const Libraries& libraries, AdviceTerms terms) {
  // Errors about a degree are shown at the key the file used (ours or vLLM's alias).
  const std::string tp_key = config.has("tensor_parallel_size") ? "tensor_parallel_size" : "tensor_parallel_degree";
  const std::string pp_key = config.has("pipeline_parallel_size") ? "pipeline_parallel_size" : "pipeline_parallel_degree";
  try {
    check_parallel_config(run.model, run.parallel);
  } catch (const InputError& error) {
    const std::string& named = error.key_path();
    const bool own_key = named == "data_parallel_size" || named == "enable_expert_parallel";
    const std::string& key = named == "pipeline_parallel_degree" ? pp_key : own_key && config.has(named) ? named : tp_key;
    config.fail(key, error.message());
  }
  const int64_t gpus = run.parallel.gpus() * run.replicas;
  if (run.hardware.count > 0 && gpus > run.hardware.count)
    config.fail(tp_key,
                fmt::format("TP {} x PP {} x {} replica(s){} = {} GPUs, but hardware '{}' has {}", run.parallel.tensor_parallel,
                            run.parallel.pipeline_parallel, run.replicas,
                            run.parallel.data_parallel > 1 ? " (DP ranks included)" : "", gpus,
                            run.hardware.key, run.hardware.count));
  if (auto* sglang = std::get_if<SglangSettings>(&run.settings))
    resolve_sglang_defaults(*sglang, run.hardware.gpu.memory_bytes, run.parallel.tensor_parallel,
                            run.parallel.pipeline_parallel);
  const MemoryPlanRequest request = memory_request(run);
  run.memory = at_key(config, "model_profile_id", [&] { return plan_memory(run.model, request); });
  if (const auto* sglang = std::get_if<SglangSettings>(&run.settings))
    apply_sglang_memory(run.memory, run.hardware.gpu.memory_bytes, *sglang->mem_fraction_static);
  const EngineSettings& engine = engine_settings(run.settings);
  run.kv.block_size = engine.block_size;
  run.kv.max_model_len = run.memory.max_model_len;
  run.kv.layout = run.memory.limiting().kv_layout;
  if (engine.num_gpu_blocks) {
    run.kv.num_gpu_blocks = *engine.num_gpu_blocks;
  } else if (!run.memory.fits) {
    const std::string message = not_fitting_message(run, request, libraries, terms);
    // On the command line this is the answer, not a mistake in a file (exit 3, no file:line).
    if (terms == AdviceTerms::flags) throw DoesNotFit(message);
    config.fail("model_profile_id", message);
  } else {
    run.kv.num_gpu_blocks = run.memory.num_gpu_blocks;
  }
  // vLLM kv_offloading_size: the replica's host KV tier (frameworks/kv_offload/host_kv_sizing.hpp).
  // The hardware profiles hold no host RAM, so there is no host-memory check to make here.
  if (const auto* vllm = std::get_if<VllmSettings>(&run.settings); vllm && vllm->kv_offloading_size_gib) {
    std::vector<double> stage_kv_bytes_per_token;
    for (const StageMemory& stage : run.memory.stages) stage_kv_bytes_per_token.push_back(stage.kv_bytes_per_token);
    run.host_kv_tier = at_key(config, "kv_offloading_size", [&] {
      return plan_host_kv_tier(*vllm->kv_offloading_size_gib, vllm->kv_offloading_backend, engine.block_size,
                               stage_kv_bytes_per_token, run.parallel.tensor_parallel,
                               run.hardware.gpu.link.pcie_bandwidth_bytes_per_s());
    });
  }
  if (auto* sglang = std::get_if<SglangSettings>(&run.settings); sglang != nullptr && !sglang->max_running_requests)
    sglang->max_running_requests = sglang_default_max_running_requests(run.kv.num_gpu_blocks, run.kv.max_model_len);
}

// vLLM's data parallelism and expert parallelism (models/parallel_config.hpp): each DP rank is an
// engine core with its own scheduler and KV cache, simulated as one more replica behind the
// router, so num_replicas copies of a D-rank deployment run num_replicas x D replicas.
void read_expert_parallel(StrictMap& config, RunSpec& run) {
  ParallelConfig& p = run.parallel;
  p.data_parallel = config.opt_int("data_parallel_size", {1, 4096, false}).value_or(1);
  p.expert_parallel = config.opt_bool("enable_expert_parallel").value_or(false);
  if (const auto backend = config.opt_choice("all2all_backend", all2all_backend_names())) {
    const auto& names = all2all_backend_names();
    p.all2all_backend = static_cast<All2AllBackend>(std::find(names.begin(), names.end(), *backend) - names.begin());
    if (p.all2all_backend != All2AllBackend::allgather_reducescatter && !p.expert_parallel)
      config.fail("all2all_backend", fmt::format("'{}' dispatches to expert-parallel ranks: it needs "
                                                 "enable_expert_parallel: true (without it vLLM all-gathers)",
                                                 *backend));
  }
  if (auto load = config.opt_map("expert_load")) {
    if (!p.expert_parallel)
      config.fail("expert_load", "sets how tokens spread over expert-parallel ranks: it needs enable_expert_parallel: true");
    const std::string distribution = load->opt_choice("distribution", {"uniform", "zipf"}).value_or("uniform");
    if (distribution == "zipf") {
      p.expert_load.distribution = ExpertLoadDistribution::zipf;
      p.expert_load.zipf_exponent = load->get_double("exponent", {0.0, 10.0, true});
    } else if (load->has("exponent")) {
      load->fail("exponent", "applies to distribution: zipf only");
    }
    load->reject_unknown_keys({"distribution", "exponent"});
  }
  run.replicas *= p.data_parallel;
}

}  // namespace

SimulationSettings read_simulation(StrictMap& sim) {
  SimulationSettings out;
  out.seed = static_cast<uint64_t>(sim.get_int("seed", {0, 9.0e15, false}));
  if (sim.has("percentiles")) {
    const YAML::Node list = sim.get_node("percentiles");
    if (!list.IsSequence() || list.size() == 0) sim.fail("percentiles", "expected a non-empty list such as [50, 90, 99]");
    out.metrics.percentiles.clear();
    for (std::size_t i = 0; i < list.size(); ++i) {
      try {
        out.metrics.percentiles.push_back(
            scalar_to_double(list[i], sim.file(), sim.path_of("percentiles") + fmt::format("[{}]", i), {0, 100, true}));
      } catch (const InputError& error) {
        sim.record(error);  // and read the rest of the section
      }
    }
  } else {
    sim.opt_string("percentiles");
  }
  out.metrics.warmup_s = sim.opt_double("warmup_s", seconds()).value_or(0);
  out.metrics.cooldown_s = sim.opt_double("cooldown_s", seconds()).value_or(0);
  out.timeseries_interval_s = sim.opt_double("timeseries_interval_s", positive_seconds()).value_or(1.0);
  if (auto slo = sim.opt_map("slo")) {
    out.metrics.slo.ttft_ms = slo->opt_double("ttft_ms", positive_milliseconds());
    out.metrics.slo.tpot_ms = slo->opt_double("tpot_ms", positive_milliseconds());
    out.metrics.slo.e2el_ms = slo->opt_double("e2el_ms", positive_milliseconds());
    slo->reject_unknown_keys({"ttft_ms", "tpot_ms", "e2el_ms"});
  }
  if (auto cost = sim.opt_map("cost_model")) {
    const auto type = cost->opt_choice("type", {"roofline", "linear"});
    if (!type) cost->fail("type", "missing required key 'type' (valid: roofline, linear)");
    out.linear_cost = *type == "linear";
    if (out.linear_cost) {
      // Each term at most kMaxInputSeconds; a step whose terms add up to 0 takes 1 ns (the
      // simulated clock's tick; see LinearStepCost), so base_ms: 0 is a valid input.
      out.linear.base_s = cost->get_double("base_ms", milliseconds()) * 1e-3;
      out.linear.per_new_token_s = cost->opt_double("per_token_ms", milliseconds()).value_or(0) * 1e-3;
      out.linear.per_sequence_s = cost->opt_double("per_sequence_ms", milliseconds()).value_or(0) * 1e-3;
      out.linear.per_kv_token_s = cost->opt_double("per_kv_token_ms", milliseconds()).value_or(0) * 1e-3;
      cost->reject_unknown_keys({"type", "base_ms", "per_token_ms", "per_sequence_ms", "per_kv_token_ms"});
    } else {
      cost->reject_unknown_keys({"type"});
    }
  }
  sim.reject_unknown_keys({"seed", "percentiles", "warmup_s", "cooldown_s", "timeseries_interval_s", "slo", "cost_model"});
  return out;
}

std::vector<HardwareRead> read_hardware(StrictMap& hardware, const Libraries& libraries) {
  std::vector<HardwareRead> entries;
  Diagnostics* diagnostics = hardware.diagnostics();
  for (const auto& key : hardware.keys()) {
    HardwareRead read;
    read.entry.key = key;
    auto section = [&] {
      StrictMap entry = hardware.get_map(key);
      read.entry = read_hardware_entry(entry, key, libraries);
      entry.reject_unknown_keys({"preset", "count", "interconnect", "inter_node", "overrides"});
    };
    if (diagnostics != nullptr) {
      read.valid = diagnostics->attempt(section);
    } else {
      section();
      read.valid = true;
    }
    entries.push_back(std::move(read));
  }
  if (entries.empty())
    hardware.raise(InputError(hardware.pos(), "hardware", "define at least one GPU group, e.g. gpu0: {preset: H100-SXM, count: 8}"));
  return entries;
}

bool read_deployment_pool(RunSpec& run, StrictMap& config, const std::optional<std::string>& checked_type, bool model_ok,
                          const std::vector<HardwareRead>& hardware, const Libraries& libraries, AdviceTerms advice_terms,
                          const std::vector<std::string>& valid_keys) {
  Diagnostics local;
  Diagnostics& diagnostics = config.diagnostics() != nullptr ? *config.diagnostics() : local;
  const std::size_t errors_before = diagnostics.reported();
  const std::string type = checked_type.value_or("VLLM");
  const bool type_ok = checked_type.has_value();
  bool hardware_ok = false;
  diagnostics.attempt([&] {
    const std::string gpu_key = config.get_string("gpu_id");
    const auto found = std::find_if(hardware.begin(), hardware.end(), [&](const HardwareRead& h) { return h.entry.key == gpu_key; });
    if (found == hardware.end()) {
      std::vector<std::string> keys;
      for (const auto& h : hardware) keys.push_back(h.entry.key);
      std::string message = "'" + gpu_key + "' is not defined in the hardware section (defined: " + join(keys) + ")";
      const std::string hint = did_you_mean(gpu_key, keys);
      config.fail("gpu_id", hint.empty() ? message : message + "; " + hint);
    }
    run.hardware = found->entry;
    hardware_ok = found->valid;  // a broken group was reported where it is defined
  });
  run.parallel.tensor_parallel = parallel_degree(config, "tensor_parallel_degree", "tensor_parallel_size");
  run.parallel.pipeline_parallel = parallel_degree(config, "pipeline_parallel_degree", "pipeline_parallel_size");
  run.replicas = config.opt_int("num_replicas", {1, 100000, false}).value_or(1);
  diagnostics.attempt([&] { read_expert_parallel(config, run); });
  // vLLM deployments balance their replicas as vLLM's own DP load balancer does; the others
  // round-robin (a plain load balancer in front of independent servers).
  const std::string default_router = iequals(type, "VLLM") ? "vllm_dp_lb" : "round_robin";
  run.router = router_policy_from(config.opt_choice("router", router_policy_names()).value_or(default_router));
  // vLLM's defaults depend on the GPU; without a valid one the other keys are still checked.
  const double gpu_memory_bytes = hardware_ok ? run.hardware.gpu.memory_bytes : 80 * kGiB;
  const bool settings_ok = diagnostics.attempt([&] {
    run.settings = parse_framework_settings(type, config, gpu_memory_bytes, hardware_ok ? run.hardware.gpu.id : "");
  });
  if (model_ok && settings_ok) diagnostics.attempt([&] { apply_tag_quantization(run, config); });
  if (type_ok) config.reject_unknown_keys(valid_keys);

  if (model_ok && hardware_ok && diagnostics.reported() == errors_before)
    diagnostics.attempt([&] { check_deployment(run, config, libraries, advice_terms); });
  local.throw_if_any();
  return diagnostics.reported() == errors_before;
}

std::optional<RunSpec> read_deployment(StrictMap& entry, const std::vector<HardwareRead>& hardware,
                                       const Libraries& libraries, const std::string& experiment_path,
                                       AdviceTerms advice_terms) {
  Diagnostics local;  // when the caller does not collect, errors are collected here and thrown
  Diagnostics& diagnostics = entry.diagnostics() != nullptr ? *entry.diagnostics() : local;
  const std::size_t errors_before = diagnostics.reported();
  RunSpec run;
  run.entry_path = entry.key_path();
  const std::optional<std::string> type_read = entry.opt_choice("type", framework_type_names());
  const bool type_ok = type_read || !entry.has("type");
  const std::string type = type_read.value_or("VLLM");
  diagnostics.attempt([&] { run.name = entry.get_string("name"); });
  std::optional<StrictMap> config;
  diagnostics.attempt([&] { config.emplace(entry.get_map("config")); });
  entry.reject_unknown_keys({"name", "type", "config"});
  if (!config) {
    local.throw_if_any();
    return std::nullopt;
  }

  const bool model_ok = diagnostics.attempt([&] {
    const std::string model_name = config->get_string("model_profile_id");
    run.model = at_key(*config, "model_profile_id",
                       [&] { return resolve_model(resolve_relative(model_name, experiment_path), libraries.models); });
  });
  if (config->has("prefill") || config->has("decode") || config->has("kv_transfer")) {
    // Prefill/decode disaggregation: the pools' keys are under prefill: and decode:.
    if (model_ok) diagnostics.attempt([&] { read_pd_pools(run, *config, type, hardware, libraries, advice_terms); });
    else config->reject_unknown_keys(pd_config_keys());
  } else {
    read_deployment_pool(run, *config, type_ok ? std::optional<std::string>(type) : std::nullopt, model_ok, hardware,
                         libraries, advice_terms, deployment_config_keys_for(type));
  }
  // speculative_config method draft_model: its model, from the library (each pool's own).
  const auto resolve_draft_model = [&](RunSpec& pool, const std::string& key) {
    const auto* vllm = std::get_if<VllmSettings>(&pool.settings);
    if (vllm == nullptr) return;
    const SpeculativeSettings& spec = vllm->speculative;
    if (spec.method == "mtp" && pool.model.mtp_layers == 0 && !spec.draft_layers_given)
      diagnostics.attempt([&] {
        config->fail(key, fmt::format("method mtp runs the checkpoint's own next-token (MTP) layers, and {} has "
                                      "none in its model file (mtp_layers; HF num_nextn_predict_layers): use "
                                      "eagle, eagle3, ngram or draft_model, or give draft_layers if the checkpoint "
                                      "has MTP layers the library does not record",
                                      pool.model.id));
      });
    if (spec.method != "draft_model") return;
    diagnostics.attempt([&] {
      pool.draft_model = at_key(*config, key,
                                [&] { return resolve_model(resolve_relative(spec.model, experiment_path), libraries.models); });
    });
  };
  if (diagnostics.reported() == errors_before) {
    resolve_draft_model(run, run.pd ? "prefill" : "speculative_config");
    if (run.pd) {
      auto pd = std::make_shared<PdDeployment>(*run.pd);
      resolve_draft_model(pd->decode, "decode");
      run.pd = std::move(pd);
    }
  }
  local.throw_if_any();
  if (diagnostics.reported() != errors_before) return std::nullopt;
  return run;
}

}  // namespace llmpo
