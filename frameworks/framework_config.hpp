#pragma once
// The framework section of an experiment: which serving framework a deployment runs and its
// knobs, read strictly from YAML, plus the one place that turns settings into a Framework.
// Adding a framework = a settings struct in the variant, a name in framework_type_names(), a
// branch in parse_framework_settings(), make_framework() and settings_to_json().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "frameworks/framework.hpp"
#include "frameworks/kv_offload/host_kv_sizing.hpp"
#include "frameworks/vllm/speculative_config.hpp"
#include "frameworks/vllm/vllm_version.hpp"
#include "models/kv_cache_groups.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

// Knobs every framework has: how its KV cache is sized, what its weights are, and its own
// per-step CPU cost.
struct EngineSettings {
  int64_t block_size = 16;                 // tokens per KV block (vLLM --block-size)
  double gpu_memory_utilization = 0.9;     // fraction of each GPU's memory it may use
  std::optional<int64_t> num_gpu_blocks;   // replaces the planned KV block count (vLLM
                                           // --num-gpu-blocks-override)
  std::optional<int64_t> max_model_len;    // longest prompt + output; default: the model's
  double scheduler_overhead_us = 0;        // CPU time added to every step; 0 because the GPU
                                           // profile already carries a per-step overhead
  std::string quantization = "none";       // weight format (see `llmperforacle list quantizations`)
  std::string kv_cache_dtype = "auto";     // vLLM --kv-cache-dtype; auto = the model's dtype
};

// vLLM V1 (`vllm serve`): continuous batching with chunked prefill and a paged KV cache.
struct VllmSettings : EngineSettings {
  int64_t max_num_seqs = 256;              // most requests running at once (--max-num-seqs)
  int64_t max_num_batched_tokens = 2048;   // token budget of one step (--max-num-batched-tokens)
  bool enable_chunked_prefill = true;      // split long prompts over steps (V1 default: on)
  bool enable_prefix_caching = true;       // freed blocks keep their KV until reused (V1 default: on);
                                           // here it makes a preempted request's recompute cheaper
  // The vLLM release modelled (frameworks/vllm/vllm_version.hpp); the knobs below default to
  // its row of the behaviour table and may be set one by one.
  std::string vllm_version = "0.19";
  bool async_scheduling = true;            // --async-scheduling (on by default since 0.14)
  std::string cudagraph_mode = "FULL_AND_PIECEWISE";  // NONE, PIECEWISE or FULL_AND_PIECEWISE
  bool enforce_eager = false;              // --enforce-eager: no CUDA graphs at all
  bool scheduler_reserve_full_isl = true;  // admit only when the whole prompt's blocks fit (#37307)
  // Host-memory KV tier (frameworks/kv_offload): vLLM --kv-offloading-size, GiB for the whole
  // replica (summed over its GPUs); none = no tier, as in vLLM. --kv-offloading-backend: native
  // (OffloadingConnector, blocks of block_size tokens) or lmcache (256-token chunks).
  std::optional<double> kv_offloading_size_gib;
  std::string kv_offloading_backend = "native";
  // --speculative-config (frameworks/vllm/speculative_config.hpp); method none = off.
  SpeculativeSettings speculative;
};

// Static request-level batching (Hugging Face generate; the AI-Flux seed's batch_size).
struct StaticBatchingSettings : EngineSettings {
  int64_t batch_size = 0;                  // requests per batch; required in the input
  double batch_timeout_s = 0;              // how long the oldest request waits for a full batch
};

// SGLang (`python -m sglang.launch_server`): radix-cache prefix sharing, prefill-first
// continuous batching, retraction under memory pressure (frameworks/sglang/). Its KV pool is
// 1-token pages (block_size 1) sized by mem_fraction_static; gpu_memory_utilization is vLLM's and
// not accepted. Defaults are SGLang v0.5.x's, each cited in frameworks/README.md; those left
// empty depend on the deployment and are filled by resolve_sglang_defaults().
struct SglangSettings : EngineSettings {
  SglangSettings() { block_size = 1; }
  std::optional<double> mem_fraction_static;     // --mem-fraction-static; default by GPU memory and TP
  int64_t chunked_prefill_size = 8192;           // --chunked-prefill-size; <= 0 turns chunking off
  int64_t max_prefill_tokens = 16384;            // --max-prefill-tokens
  std::optional<int64_t> max_running_requests;   // --max-running-requests; default from the pool size
  std::string schedule_policy = "fcfs";          // --schedule-policy: fcfs or lpm
  double schedule_conservativeness = 1.0;        // --schedule-conservativeness
  bool disable_radix_cache = false;              // --disable-radix-cache
  bool disable_overlap_schedule = false;         // --disable-overlap-schedule
  bool disable_cuda_graph = false;               // --disable-cuda-graph
  std::optional<int64_t> cuda_graph_max_bs;      // --cuda-graph-max-bs; default by GPU memory and TP
};

using FrameworkSettings = std::variant<VllmSettings, StaticBatchingSettings, SglangSettings>;

// The schedule policies modelled for SGLang, as its --schedule-policy spells them.
const std::vector<std::string>& sglang_schedule_policy_names();  // {"fcfs", "lpm"}

// Fills SGLang's deployment-dependent defaults as server_args.py does: cuda_graph_max_bs and
// mem_fraction_static from the GPU's memory and the TP / PP degrees (frameworks/sglang/sglang_memory.hpp).
void resolve_sglang_defaults(SglangSettings& settings, double gpu_memory_bytes, int64_t tensor_parallel,
                             int64_t pipeline_parallel);

// vLLM V1 `vllm serve` defaults for max_num_seqs and max_num_batched_tokens on this GPU.
struct VllmDefaultLimits {
  int64_t max_num_seqs;
  int64_t max_num_batched_tokens;
};
VllmDefaultLimits vllm_default_limits(double gpu_memory_bytes, std::string_view gpu_name);

// The behaviour row of the settings' vllm_version with the explicit knobs applied:
// async_scheduling and reserve_full_isl as set; full_cudagraphs only for cudagraph_mode
// FULL_AND_PIECEWISE without enforce_eager; cudagraph_memory_in_kv_sizing off when no graphs are
// captured (enforce_eager or cudagraph_mode NONE, as gpu_worker.py skips the estimate then).
VllmBehaviour effective_vllm_behaviour(const VllmSettings& settings);
// The CUDA-graph batch sizes the deployment captures (empty without CUDA graphs).
std::vector<int64_t> vllm_cudagraph_capture_sizes(const VllmSettings& settings);

// Valid values of a deployment's framework type, in variant order; matched case-insensitively.
const std::vector<std::string>& framework_type_names();  // {"VLLM", "STATIC", "SGLANG"}

// The canonical type name of `settings` ("VLLM", "STATIC" or "SGLANG").
const std::string& framework_type_name(const FrameworkSettings& settings);

// The knobs every framework shares, whatever its type.
const EngineSettings& engine_settings(const FrameworkSettings& settings);

// Reads the framework-specific keys of `config` for a framework of `type` (one of
// framework_type_names(), any case) and validates them with file:line and key path. It does not
// call config.reject_unknown_keys(): the caller reads the deployment's other keys and does that.
// gpu_memory_bytes (and gpu_name, when known) choose vLLM's hardware-dependent defaults.
FrameworkSettings parse_framework_settings(const std::string& type, StrictMap& config,
                                           double gpu_memory_bytes, std::string_view gpu_name = {});

// A key of a deployment's `config:` mapping besides model_profile_id and gpu_id, and the
// framework types that accept it (canonical names; empty = every type). One list for the
// strict reader and for the sweep shorthands.
struct DeploymentConfigKey {
  const char* key;
  std::vector<std::string> types;
};
const std::vector<DeploymentConfigKey>& deployment_config_keys();
// The keys valid in the config of a deployment of `type` (any case), model_profile_id and
// gpu_id included.
std::vector<std::string> deployment_config_keys_for(const std::string& type);

// The KV cache one replica ends up with: memory planned with the settings' block_size,
// gpu_memory_utilization and max_model_len, then the num_gpu_blocks override applied.
struct KvCacheCapacity {
  int64_t num_gpu_blocks = 0;
  int64_t block_size = 16;
  int64_t max_model_len = 0;
  KvCacheLayout layout;  // page groups (hybrid allocator); the default is one group, no window
};

// CUDA-graph memory vLLM takes off the KV budget for these settings: 0 unless the release does
// it (cudagraph_memory_in_kv_sizing) and graphs are captured.
double vllm_cudagraph_memory_bytes(const VllmSettings& settings);

// A new, empty policy for one replica. window_tokens = the model's sliding window (0 = none);
// host_tier: vLLM's kv_offloading_size tier of each replica (null: none; ignored without prefix
// caching). Throws InputError when the cache has no blocks (the model leaves no room for KV).
// acceptance_seed: speculative decoding's acceptance draws (the workload's seed, so paired runs
// see the same draws).
std::unique_ptr<Framework> make_framework(const FrameworkSettings& settings, const KvCacheCapacity& capacity,
                                          int64_t window_tokens, const HostKvTierSpec* host_tier = nullptr,
                                          uint64_t acceptance_seed = 0);

// Every setting, defaults included, for the run manifest ({"type": "VLLM", ...}).
nlohmann::json settings_to_json(const FrameworkSettings& settings);

}  // namespace llmpo
