#include "framework_config.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "frameworks/kv_offload/host_kv_sizing.hpp"
#include "frameworks/sglang/sglang_memory.hpp"
#include "frameworks/sglang/sglang_scheduler.hpp"
#include "frameworks/static_batching/static_batching.hpp"
#include "frameworks/vllm/host_offload_tier.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"
#include "models/memory_plan.hpp"
#include "models/quantization.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Index into framework_type_names(), equal to the variant index.
constexpr std::size_t kVllm = 0;
constexpr std::size_t kStatic = 1;
constexpr std::size_t kSglang = 2;

// Upper limits far beyond any deployment, so that the int64 products the memory planner and
// the schedulers form (blocks x block size, sequences x vocabulary) cannot overflow: found by
// fuzzing, max_num_seqs 9e15 overflowed the sampler's logits size.
constexpr NumberRange kBlockSizeRange{1, 0x1p20, false};         // 1,048,576 tokens
constexpr NumberRange kBlockCountRange{1, 0x1p40, false};        // 1.1e12 blocks
constexpr NumberRange kTokenCountRange{1, 0x1p32, false};        // lengths, step budgets: 4.3e9
constexpr NumberRange kSequenceCountRange{1, 0x1p20, false};     // sequences per step or batch
constexpr NumberRange kOffloadingGibRange{0, 0x1p20, true};       // host KV tier: (0, 1 PiB]

void read_engine_settings(StrictMap& config, EngineSettings& s) {
  s.block_size = config.opt_int("block_size", kBlockSizeRange).value_or(s.block_size);
  s.gpu_memory_utilization = config.opt_double("gpu_memory_utilization", fraction()).value_or(s.gpu_memory_utilization);
  s.num_gpu_blocks = config.opt_int("num_gpu_blocks", kBlockCountRange);
  s.max_model_len = config.opt_int("max_model_len", kTokenCountRange);
  s.scheduler_overhead_us = config.opt_double("scheduler_overhead_us", microseconds()).value_or(0.0);
  if (const auto name = config.opt_string("quantization")) {
    try {
      s.quantization = find_quantization(*name).name;  // canonical spelling, aliases accepted
    } catch (const InputError& error) {
      config.fail("quantization", error.message());
    }
  }
  s.kv_cache_dtype = config.opt_choice("kv_cache_dtype", kv_cache_dtypes()).value_or(s.kv_cache_dtype);
}

}  // namespace

VllmDefaultLimits vllm_default_limits(double gpu_memory_bytes, std::string_view gpu_name) {
  const bool large_gpu = gpu_memory_bytes >= 70 * kGiB && to_lower(gpu_name).find("a100") == std::string::npos;
  return large_gpu ? VllmDefaultLimits{1024, 8192} : VllmDefaultLimits{256, 2048};
}

namespace {

// vllm_version and the behaviours it sets by default (frameworks/vllm/vllm_version.hpp).
void read_vllm_version_knobs(StrictMap& config, VllmSettings& s) {
  if (const auto version = config.opt_string("vllm_version")) {
    s.vllm_version = vllm_minor_version(*version);
    if (s.vllm_version.empty())
      config.fail("vllm_version", fmt::format("unknown vLLM version '{}' (valid: {}; a patch release such as 0.19.0 "
                                              "counts as its minor release)",
                                              *version, join(vllm_version_names())));
  } else {
    s.vllm_version = default_vllm_version();
  }
  const VllmBehaviour& row = vllm_behaviour(s.vllm_version);
  s.async_scheduling = config.opt_bool("async_scheduling").value_or(row.async_scheduling);
  s.scheduler_reserve_full_isl = config.opt_bool("scheduler_reserve_full_isl").value_or(row.reserve_full_isl);
  s.enforce_eager = config.opt_bool("enforce_eager").value_or(false);
  const std::string default_mode = row.full_cudagraphs ? "FULL_AND_PIECEWISE" : "PIECEWISE";
  s.cudagraph_mode = config.opt_choice("cudagraph_mode", cudagraph_mode_names()).value_or(default_mode);
  // vLLM: --enforce-eager turns CUDA graphs off whatever the compilation config says.
  if (s.enforce_eager) s.cudagraph_mode = "NONE";
}

// vLLM's two offloading flags (CacheConfig.kv_offloading_size / kv_offloading_backend, added by
// vLLM PR #27621, Oct 2025). As in vLLM the tier exists only when the size is given; the backend
// alone changes nothing (its default is native).
void read_kv_offloading(StrictMap& config, VllmSettings& s) {
  s.kv_offloading_size_gib = config.opt_double("kv_offloading_size", kOffloadingGibRange);
  s.kv_offloading_backend = config.opt_choice("kv_offloading_backend", kv_offloading_backend_names())
                                .value_or(s.kv_offloading_backend);
}

VllmSettings read_vllm(StrictMap& config, double gpu_memory_bytes, std::string_view gpu_name) {
  VllmSettings s;
  // `vllm serve` defaults (vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults, formerly
  // _set_default_args_v1, UsageContext.OPENAI_API_SERVER): GPUs with at least 70 GiB - except
  // A100s, where the larger budget lowered throughput (vLLM PR #17885) - get 1024 sequences and
  // 8192 tokens per step; all others 256 and 2048.
  const VllmDefaultLimits defaults = vllm_default_limits(gpu_memory_bytes, gpu_name);
  s.max_num_seqs = config.opt_int("max_num_seqs", kSequenceCountRange).value_or(defaults.max_num_seqs);
  s.max_num_batched_tokens = config.opt_int("max_num_batched_tokens", kTokenCountRange).value_or(defaults.max_num_batched_tokens);
  s.enable_chunked_prefill = config.opt_bool("enable_chunked_prefill").value_or(true);
  s.enable_prefix_caching = config.opt_bool("enable_prefix_caching").value_or(true);
  if (s.max_num_batched_tokens < s.max_num_seqs) {
    // vLLM's SchedulerConfig refuses this too: a step could not give every sequence a token.
    const std::string key = config.has("max_num_batched_tokens") ? "max_num_batched_tokens" : "max_num_seqs";
    config.fail(key, fmt::format("max_num_batched_tokens ({}) must be at least max_num_seqs ({}), as vLLM requires",
                                 s.max_num_batched_tokens, s.max_num_seqs));
  }
  read_vllm_version_knobs(config, s);
  read_engine_settings(config, s);
  read_kv_offloading(config, s);
  // Drafts that do not fit a step's token budget are cut, as vLLM does; no extra constraint.
  if (auto speculative = config.opt_map("speculative_config")) s.speculative = read_speculative_config(*speculative);
  return s;
}

StaticBatchingSettings read_static(StrictMap& config) {
  StaticBatchingSettings s;
  if (!config.has("batch_size"))
    config.fail("batch_size",
                "missing required key 'batch_size' for a STATIC framework: the requests per batch (there is no "
                "default; the AI-Flux seed used 4)");
  s.batch_size = config.get_int("batch_size", kSequenceCountRange);
  s.batch_timeout_s = config.opt_double("batch_timeout_s", seconds()).value_or(0.0);
  read_engine_settings(config, s);
  return s;
}

SglangSettings read_sglang(StrictMap& config, double gpu_memory_bytes) {
  SglangSettings s;
  if (config.has("gpu_memory_utilization"))
    config.fail("gpu_memory_utilization",
                "SGLang does not take gpu_memory_utilization (a vLLM setting); its KV pool is sized by "
                "mem_fraction_static, the fraction of GPU memory for weights and KV cache");
  // server_args.py: chunked_prefill_size by GPU memory (the TP-dependent cuda_graph_max_bs and
  // mem_fraction_static are resolved with the deployment, resolve_sglang_defaults()).
  s.chunked_prefill_size = config.opt_int("chunked_prefill_size", {-1, 0x1p32, false})
                               .value_or(sglang_gpu_defaults(gpu_memory_bytes, 1).chunked_prefill_size);
  s.max_prefill_tokens = config.opt_int("max_prefill_tokens", kTokenCountRange).value_or(s.max_prefill_tokens);
  s.max_running_requests = config.opt_int("max_running_requests", kSequenceCountRange);
  s.mem_fraction_static = config.opt_double("mem_fraction_static", fraction());
  s.schedule_policy = config.opt_choice("schedule_policy", sglang_schedule_policy_names()).value_or(s.schedule_policy);
  s.schedule_conservativeness =
      config.opt_double("schedule_conservativeness", {0.0, 1e6, true}).value_or(s.schedule_conservativeness);
  s.disable_radix_cache = config.opt_bool("disable_radix_cache").value_or(false);
  s.disable_overlap_schedule = config.opt_bool("disable_overlap_schedule").value_or(false);
  s.disable_cuda_graph = config.opt_bool("disable_cuda_graph").value_or(false);
  s.cuda_graph_max_bs = config.opt_int("cuda_graph_max_bs", kSequenceCountRange);
  read_engine_settings(config, s);
  if (s.block_size != 1)
    config.fail("block_size", fmt::format("SGLang is modelled with its default page_size 1 (one token per KV page); "
                                          "block_size {} is not supported",
                                          s.block_size));
  return s;
}

void engine_to_json(const EngineSettings& s, nlohmann::json& out) {
  out["block_size"] = s.block_size;
  out["gpu_memory_utilization"] = s.gpu_memory_utilization;
  out["num_gpu_blocks"] = s.num_gpu_blocks ? nlohmann::json(*s.num_gpu_blocks) : nlohmann::json(nullptr);
  out["max_model_len"] = s.max_model_len ? nlohmann::json(*s.max_model_len) : nlohmann::json(nullptr);
  out["scheduler_overhead_us"] = s.scheduler_overhead_us;
  out["quantization"] = s.quantization;
  out["kv_cache_dtype"] = s.kv_cache_dtype;
}

}  // namespace

VllmBehaviour effective_vllm_behaviour(const VllmSettings& settings) {
  VllmBehaviour b = vllm_behaviour(settings.vllm_version);
  const bool graphs = !settings.enforce_eager && settings.cudagraph_mode != "NONE";
  b.async_scheduling = settings.async_scheduling;
  b.reserve_full_isl = settings.scheduler_reserve_full_isl;
  b.full_cudagraphs = graphs && settings.cudagraph_mode == "FULL_AND_PIECEWISE";
  b.cudagraph_memory_in_kv_sizing = b.cudagraph_memory_in_kv_sizing && graphs;
  return b;
}

std::vector<int64_t> vllm_cudagraph_capture_sizes(const VllmSettings& settings) {
  if (settings.enforce_eager || settings.cudagraph_mode == "NONE") return {};
  return cudagraph_capture_sizes(settings.max_num_seqs, vllm_behaviour(settings.vllm_version),
                                 settings.max_num_batched_tokens);
}

double vllm_cudagraph_memory_bytes(const VllmSettings& settings) {
  const VllmBehaviour b = effective_vllm_behaviour(settings);
  if (!b.cudagraph_memory_in_kv_sizing) return 0;
  return cudagraph_memory_estimate_bytes(cudagraph_count(settings.max_num_seqs, b, settings.max_num_batched_tokens));
}

const std::vector<std::string>& framework_type_names() {
  static const std::vector<std::string> names = {"VLLM", "STATIC", "SGLANG"};
  return names;
}

const std::vector<std::string>& sglang_schedule_policy_names() {
  static const std::vector<std::string> names = {"fcfs", "lpm"};
  return names;
}

void resolve_sglang_defaults(SglangSettings& s, double gpu_memory_bytes, int64_t tensor_parallel,
                             int64_t pipeline_parallel) {
  if (!s.cuda_graph_max_bs) s.cuda_graph_max_bs = sglang_gpu_defaults(gpu_memory_bytes, tensor_parallel).cuda_graph_max_bs;
  if (!s.mem_fraction_static)
    s.mem_fraction_static = sglang_default_mem_fraction_static(gpu_memory_bytes, s.chunked_prefill_size, s.max_prefill_tokens,
                                                               *s.cuda_graph_max_bs, tensor_parallel, pipeline_parallel);
}

const std::vector<DeploymentConfigKey>& deployment_config_keys() {
  static const std::vector<DeploymentConfigKey> keys = {
      {"tensor_parallel_degree", {}}, {"pipeline_parallel_degree", {}}, {"num_replicas", {}},
      // vLLM's names of the two degrees (EngineArgs.tensor_parallel_size, pipeline_parallel_size),
      // accepted as aliases: a config copied from vLLM's Python API reads as written.
      {"tensor_parallel_size", {}}, {"pipeline_parallel_size", {}},
      {"router", {}}, {"block_size", {}}, {"gpu_memory_utilization", {}}, {"num_gpu_blocks", {}},
      {"max_model_len", {}}, {"quantization", {}}, {"kv_cache_dtype", {}}, {"scheduler_overhead_us", {}},
      {"max_num_seqs", {"VLLM"}}, {"max_num_batched_tokens", {"VLLM"}}, {"enable_chunked_prefill", {"VLLM"}},
      {"enable_prefix_caching", {"VLLM"}},
      {"vllm_version", {"VLLM"}}, {"async_scheduling", {"VLLM"}}, {"cudagraph_mode", {"VLLM"}},
      {"enforce_eager", {"VLLM"}}, {"scheduler_reserve_full_isl", {"VLLM"}},
      {"kv_offloading_size", {"VLLM"}}, {"kv_offloading_backend", {"VLLM"}},
      {"speculative_config", {"VLLM"}},
      {"data_parallel_size", {"VLLM"}}, {"enable_expert_parallel", {"VLLM"}}, {"all2all_backend", {"VLLM"}},
      {"expert_load", {"VLLM"}},
      {"batch_size", {"STATIC"}}, {"batch_timeout_s", {"STATIC"}},
      {"mem_fraction_static", {"SGLANG"}}, {"chunked_prefill_size", {"SGLANG"}}, {"max_prefill_tokens", {"SGLANG"}},
      {"max_running_requests", {"SGLANG"}}, {"schedule_policy", {"SGLANG"}}, {"schedule_conservativeness", {"SGLANG"}},
      {"disable_radix_cache", {"SGLANG"}}, {"disable_overlap_schedule", {"SGLANG"}}, {"disable_cuda_graph", {"SGLANG"}},
      {"cuda_graph_max_bs", {"SGLANG"}},
  };
  return keys;
}

std::vector<std::string> deployment_config_keys_for(const std::string& type) {
  std::vector<std::string> keys = {"model_profile_id", "gpu_id"};
  for (const auto& key : deployment_config_keys()) {
    const bool accepted = key.types.empty() || std::any_of(key.types.begin(), key.types.end(),
                                                           [&](const std::string& t) { return iequals(t, type); });
    if (accepted) keys.push_back(key.key);
  }
  return keys;
}

const std::string& framework_type_name(const FrameworkSettings& settings) {
  return framework_type_names()[settings.index()];
}

const EngineSettings& engine_settings(const FrameworkSettings& settings) {
  return std::visit([](const auto& s) -> const EngineSettings& { return s; }, settings);
}

FrameworkSettings parse_framework_settings(const std::string& type, StrictMap& config, double gpu_memory_bytes,
                                           std::string_view gpu_name) {
  const auto& names = framework_type_names();
  if (iequals(type, names[kVllm])) return read_vllm(config, gpu_memory_bytes, gpu_name);
  if (iequals(type, names[kStatic])) return read_static(config);
  if (iequals(type, names[kSglang])) return read_sglang(config, gpu_memory_bytes);
  std::string message = "unknown framework type '" + type + "' (valid: " + join(names) + ")";
  const std::string hint = did_you_mean(type, names);
  if (!hint.empty()) message += "; " + hint;
  throw InputError(config.pos(), config.key_path(), message);
}

std::unique_ptr<Framework> make_framework(const FrameworkSettings& settings, const KvCacheCapacity& capacity,
                                          int64_t window_tokens, const HostKvTierSpec* host_tier,
                                          uint64_t acceptance_seed) {
  const EngineSettings& engine = engine_settings(settings);
  if (capacity.block_size != engine.block_size)
    throw InternalError(fmt::format("make_framework: the KV cache was planned with {}-token blocks, the settings say {}",
                                    capacity.block_size, engine.block_size));
  if (capacity.num_gpu_blocks <= 0)
    throw InputError(fmt::format("{}: no room for the KV cache ({} blocks): the weights and activations leave "
                                 "nothing of gpu_memory_utilization x GPU memory",
                                 framework_type_name(settings), capacity.num_gpu_blocks));
  if (capacity.max_model_len <= 0)
    throw InternalError(fmt::format("make_framework: max_model_len {} is not positive", capacity.max_model_len));

  if (const auto* vllm = std::get_if<VllmSettings>(&settings)) {
    VllmSchedulerConfig c;
    c.max_num_seqs = vllm->max_num_seqs;
    c.max_num_batched_tokens = vllm->max_num_batched_tokens;
    c.enable_chunked_prefill = vllm->enable_chunked_prefill;
    c.enable_prefix_caching = vllm->enable_prefix_caching;
    c.block_size = capacity.block_size;
    c.num_gpu_blocks = capacity.num_gpu_blocks;
    c.max_model_len = capacity.max_model_len;
    c.window_tokens = window_tokens;
    c.reserve_full_isl = vllm->scheduler_reserve_full_isl;
    c.kv_layout = capacity.layout;
    c.kv_layout.block_size = capacity.block_size;
    if (vllm->speculative.enabled()) {
      c.num_speculative_tokens = vllm->speculative.num_speculative_tokens;
      c.lookahead_tokens = vllm->speculative.model_based() ? vllm->speculative.num_speculative_tokens : 0;
      c.acceptance = std::make_shared<const AcceptanceModel>(vllm->speculative.acceptance_rates, acceptance_seed);
    }
    auto scheduler = std::make_unique<VllmScheduler>(c);
    if (host_tier != nullptr) scheduler->own_host_tier(std::make_unique<HostOffloadTier>(*host_tier, capacity.block_size));
    return scheduler;
  }
  if (const auto* sglang = std::get_if<SglangSettings>(&settings)) {
    SglangSchedulerConfig c;
    c.max_total_tokens = capacity.num_gpu_blocks;  // 1-token pages
    c.max_model_len = capacity.max_model_len;
    c.max_running_requests = sglang->max_running_requests.value_or(
        sglang_default_max_running_requests(capacity.num_gpu_blocks, capacity.max_model_len));
    c.max_prefill_tokens = sglang->max_prefill_tokens;
    c.chunked_prefill_size = sglang->chunked_prefill_size;
    c.policy = sglang->schedule_policy == "lpm" ? SglangPolicy::lpm : SglangPolicy::fcfs;
    c.disable_radix_cache = sglang->disable_radix_cache;
    c.schedule_conservativeness = sglang->schedule_conservativeness;
    c.window_tokens = window_tokens;
    return std::make_unique<SglangScheduler>(c);
  }
  const auto& batching = std::get<StaticBatchingSettings>(settings);
  StaticBatchingConfig c;
  c.batch_size = batching.batch_size;
  c.batch_timeout_ns = duration_to_ns(batching.batch_timeout_s);
  c.block_size = capacity.block_size;
  c.num_gpu_blocks = capacity.num_gpu_blocks;
  c.max_model_len = capacity.max_model_len;
  c.window_tokens = window_tokens;
  return std::make_unique<StaticBatching>(c);
}

nlohmann::json settings_to_json(const FrameworkSettings& settings) {
  nlohmann::json out;
  out["type"] = framework_type_name(settings);
  if (const auto* vllm = std::get_if<VllmSettings>(&settings)) {
    out["max_num_seqs"] = vllm->max_num_seqs;
    out["max_num_batched_tokens"] = vllm->max_num_batched_tokens;
    out["enable_chunked_prefill"] = vllm->enable_chunked_prefill;
    out["enable_prefix_caching"] = vllm->enable_prefix_caching;
    out["vllm_version"] = vllm->vllm_version;
    out["async_scheduling"] = vllm->async_scheduling;
    out["cudagraph_mode"] = vllm->cudagraph_mode;
    out["enforce_eager"] = vllm->enforce_eager;
    out["scheduler_reserve_full_isl"] = vllm->scheduler_reserve_full_isl;
    out["kv_offloading_size"] = vllm->kv_offloading_size_gib ? nlohmann::json(*vllm->kv_offloading_size_gib)
                                                             : nlohmann::json(nullptr);
    out["kv_offloading_backend"] = vllm->kv_offloading_backend;
    // Only when given, so that manifests of runs without speculation stay as they were.
    if (vllm->speculative.method != "none") out["speculative_config"] = speculative_to_json(vllm->speculative);
  } else if (const auto* sglang = std::get_if<SglangSettings>(&settings)) {
    auto optional = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(nullptr); };
    out["mem_fraction_static"] = optional(sglang->mem_fraction_static);
    out["chunked_prefill_size"] = sglang->chunked_prefill_size;
    out["max_prefill_tokens"] = sglang->max_prefill_tokens;
    out["max_running_requests"] = optional(sglang->max_running_requests);
    out["schedule_policy"] = sglang->schedule_policy;
    out["schedule_conservativeness"] = sglang->schedule_conservativeness;
    out["disable_radix_cache"] = sglang->disable_radix_cache;
    out["disable_overlap_schedule"] = sglang->disable_overlap_schedule;
    out["disable_cuda_graph"] = sglang->disable_cuda_graph;
    out["cuda_graph_max_bs"] = optional(sglang->cuda_graph_max_bs);
  } else {
    const auto& batching = std::get<StaticBatchingSettings>(settings);
    out["batch_size"] = batching.batch_size;
    out["batch_timeout_s"] = batching.batch_timeout_s;
  }
  engine_to_json(engine_settings(settings), out);
  return out;
}

}  // namespace llmpo
