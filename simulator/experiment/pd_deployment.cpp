#include "pd_deployment.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

bool is_disaggregated_entry(const YAML::Node& entry) {
  if (!entry.IsMap()) return false;
  const YAML::Node config = entry["config"];
  return config.IsMap() && (config["prefill"].IsDefined() || config["decode"].IsDefined());
}

const std::vector<std::string>& pd_config_keys() {
  static const std::vector<std::string> keys = {"model_profile_id", "prefill", "decode", "kv_transfer"};
  return keys;
}

const std::vector<std::string>& pd_connector_names() {
  // NIXL only: the decode side reads the KV once the prefill is done. Layer-wise connectors
  // (P2pNccl, Mooncake, LMCache) overlap the transfer with the prefill and are not modelled.
  static const std::vector<std::string> names = {"nixl"};
  return names;
}

KvTransferLink kv_transfer_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t lanes,
                                double kv_bytes_per_token) {
  // The preset's bandwidth protocol between two GPUs: its per-GPU rate times its efficiency,
  // and its fixed cost; no ring, so no per-rank latency.
  const CollectiveLink pair = collective_link(preset, gpu, 2);
  KvTransferLink link;
  link.preset = preset.id;
  link.latency_s = pair.latency_s;
  link.bandwidth_bytes_per_s = static_cast<double>(lanes) * pair.bandwidth_bytes_per_s;
  link.kv_bytes_per_token = kv_bytes_per_token;
  return link;
}

double kv_bytes_read_per_token(const MemoryPlan& prefill_memory, const RunSpec& decode) {
  // Every decode GPU reads what it caches: its stage's layers and its KV heads. Sharded heads add
  // up to the model's KV; replicated ones (MLA's one latent, or KV heads fewer than TP) are read
  // once per decode rank.
  double per_gpu_sum = 0;
  for (const StageMemory& stage : decode.memory.stages) per_gpu_sum += stage.kv_bytes_per_token;
  const double read = per_gpu_sum * static_cast<double>(decode.parallel.tensor_parallel);
  return std::max(read, prefill_memory.kv_bytes_per_token_model);
}

int64_t deployment_gpus(const RunSpec& run) {
  int64_t gpus = run.parallel.gpus() * run.replicas;
  if (run.pd) gpus += run.pd->decode.parallel.gpus() * run.pd->decode.replicas;
  return gpus;
}

RunSpec with_pool_replicas(const RunSpec& run, int64_t prefill_replicas, int64_t decode_replicas) {
  if (!run.pd) throw InternalError("with_pool_replicas: " + run.name + " is not disaggregated");
  RunSpec out = run;
  out.replicas = prefill_replicas;
  auto pd = std::make_shared<PdDeployment>(*run.pd);  // shared const by the plan's copies
  pd->decode.replicas = decode_replicas;
  out.pd = std::move(pd);
  return out;
}

std::vector<std::pair<int64_t, int64_t>> pd_splits_at_equal_gpus(const RunSpec& run) {
  if (!run.pd) throw InternalError("pd_splits_at_equal_gpus: " + run.name + " is not disaggregated");
  const int64_t total = deployment_gpus(run);
  const int64_t prefill_instance = run.parallel.gpus();
  const int64_t decode_instance = run.pd->decode.parallel.gpus();
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t prefill = 1; prefill * prefill_instance + decode_instance <= total; ++prefill) {
    const int64_t rest = total - prefill * prefill_instance;
    if (rest % decode_instance == 0) out.emplace_back(prefill, rest / decode_instance);
  }
  return out;
}

void read_pd_pools(RunSpec& run, StrictMap& config, const std::string& type, const std::vector<HardwareRead>& hardware,
                   const Libraries& libraries, AdviceTerms advice_terms) {
  if (!iequals(type, "VLLM"))
    config.fail("prefill", fmt::format("prefill/decode disaggregation is modelled for type VLLM (its NixlConnector), "
                                       "not {}: remove prefill/decode/kv_transfer or use type: VLLM", type));
  std::vector<std::string> pool_keys = deployment_config_keys_for("VLLM");
  std::erase(pool_keys, "model_profile_id");  // one model, given once beside the pools
  auto pd = std::make_shared<PdDeployment>();
  pd->decode = run;
  std::optional<StrictMap> prefill_map, decode_map;
  bool ok = true;
  for (const char* pool : {"prefill", "decode"}) {
    if (!config.has(pool)) {
      config.record(InputError(config.pos(), config.path_of(pool),
                               fmt::format("a disaggregated deployment needs both prefill: and decode: pools; '{}' is "
                                           "missing (each takes gpu_id, tensor_parallel_degree, num_replicas and the "
                                           "VLLM knobs)", pool)));
      ok = false;
    }
  }
  if (config.has("prefill")) {
    prefill_map.emplace(config.get_map("prefill"));
    ok = read_deployment_pool(run, *prefill_map, "VLLM", true, hardware, libraries, advice_terms, pool_keys) && ok;
  }
  if (config.has("decode")) {
    decode_map.emplace(config.get_map("decode"));
    ok = read_deployment_pool(pd->decode, *decode_map, "VLLM", true, hardware, libraries, advice_terms, pool_keys) && ok;
  }
  std::string link_name;
  if (auto transfer = config.opt_map("kv_transfer")) {
    pd->connector = transfer->opt_choice("connector", pd_connector_names()).value_or("nixl");
    link_name = transfer->opt_string("link").value_or("");
    if (!link_name.empty()) {
      try {
        libraries.interconnects.find(link_name);
      } catch (const InputError& error) {
        transfer->record(InputError(transfer->pos_of("link"), transfer->path_of("link"), error.message()));
        ok = false;
      }
    }
    transfer->reject_unknown_keys({"link", "connector"});
  }
  config.reject_unknown_keys(pd_config_keys());
  if (!ok) return;

  // Both pools on one GPU group: together within its count.
  const RunSpec& decode = pd->decode;
  if (decode.hardware.key == run.hardware.key && run.hardware.count > 0) {
    const int64_t prefill_gpus = run.parallel.gpus() * run.replicas;
    const int64_t decode_gpus = decode.parallel.gpus() * decode.replicas;
    if (prefill_gpus + decode_gpus > run.hardware.count)
      decode_map->fail("num_replicas", fmt::format("prefill {} GPUs + decode {} GPUs = {}, but hardware '{}' has {}",
                                                   prefill_gpus, decode_gpus, prefill_gpus + decode_gpus,
                                                   run.hardware.key, run.hardware.count));
  }
  // The decode side reads the prefill side's blocks as they are: one KV format on both.
  const std::string& prefill_dtype = engine_settings(run.settings).kv_cache_dtype;
  const std::string& decode_dtype = engine_settings(decode.settings).kv_cache_dtype;
  if (prefill_dtype != decode_dtype)
    decode_map->fail("kv_cache_dtype", fmt::format("is {} but the prefill pool's is {}: the decode pool reads the "
                                                   "prefill pool's KV blocks as they are, so both must match",
                                                   decode_dtype, prefill_dtype));
  // Between nodes by default: the decode group's inter-node preset.
  if (link_name.empty()) link_name = decode.hardware.inter_node;
  pd->link_lanes = std::min(run.parallel.tensor_parallel, decode.parallel.tensor_parallel);
  pd->link = kv_transfer_link(libraries.interconnects.find(link_name), decode.hardware.gpu, pd->link_lanes,
                              kv_bytes_read_per_token(run.memory, decode));
  run.pd = std::move(pd);
}

}  // namespace llmpo
