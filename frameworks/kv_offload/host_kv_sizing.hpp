#pragma once
// How big a replica's host KV tier is and what one of its blocks weighs, from vLLM's
// `--kv-offloading-size` (GiB) and `--kv-offloading-backend` (native | lmcache).
//
// Semantics, from vLLM (vllm/config/cache.py CacheConfig.kv_offloading_size: "When TP > 1, this is
// the total buffer size summed across all TP ranks"): the size is per engine (one replica), not
// per GPU. The native backend turns it into cpu_bytes_to_use = size x 2^30
// (vllm/config/vllm.py, _post_init_kv_transfer_config) and CPUOffloadingSpec
// (vllm/v1/kv_offload/cpu/spec.py) divides that by one block's bytes over the whole world
// (page_size_bytes x KV tensors of a rank x world_size, world_size = TP x PP): every rank then
// keeps that many blocks of its own shard. The older LMCache path gave each of the TP x PP ranks
// size / ranks (LMCacheConnectorV1, lmcache.max_local_cpu_size), the same total.
//
// Block granularity: native offloads blocks of the GPU block size (OffloadingSpec: offloaded block
// size = lcm of the KV groups' block sizes unless kv_connector_extra_config.block_size says
// otherwise); LMCache keys chunks of 256 tokens (its chunk_size default, LMCACHE_CHUNK_SIZE).
//
// Host RAM: the hardware profiles record no host memory, so nothing checks that the machine has
// size GiB to pin; vLLM does not check either (the pinned allocation fails at start-up).
#include <cstdint>
#include <string>
#include <vector>

#include "host_kv_tier.hpp"

namespace llmpo {

inline constexpr int64_t kLmcacheChunkTokens = 256;

// Valid values of kv_offloading_backend, vLLM's spelling: {"native", "lmcache"}.
const std::vector<std::string>& kv_offloading_backend_names();

struct HostKvTierSpec {
  std::string backend = "native";
  int64_t block_tokens = 0;          // tokens per host block
  double block_bytes_per_gpu = 0;    // one block on the GPU with the largest shard (it finishes last)
  double block_bytes_replica = 0;    // one block over every GPU of the replica (what the size buys)
  int64_t capacity_blocks = 0;
  double pcie_bytes_per_s = 0;       // one GPU's PCIe bandwidth per direction
};

// size_gib: kv_offloading_size; backend: one of kv_offloading_backend_names();
// gpu_block_size: tokens per GPU KV block; stage_kv_bytes_per_token: one GPU's KV bytes per token
// for each pipeline stage (MemoryPlan::stages[i].kv_bytes_per_token); tensor_parallel: GPUs per
// stage. Throws InputError (no position: the caller shows it at kv_offloading_size) when the
// size holds no block at all.
HostKvTierSpec plan_host_kv_tier(double size_gib, const std::string& backend, int64_t gpu_block_size,
                                 const std::vector<double>& stage_kv_bytes_per_token, int64_t tensor_parallel,
                                 double pcie_bytes_per_s);

// An empty tier of that size and block weight.
HostKvTier make_host_kv_tier(const HostKvTierSpec& spec);

}  // namespace llmpo
