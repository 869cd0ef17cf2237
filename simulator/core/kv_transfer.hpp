#pragma once
// Prefill/decode disaggregation: the KV transfer of one request from the prefill replica that
// computed its prompt to the decode replica that generates its output.
//
// vLLM's NixlConnector (vllm/distributed/kv_transfer/kv_connector/v1/nixl_connector.py) moves the
// KV after the prefill has finished: the decode instance, once its scheduler has allocated the
// blocks, reads the prompt's blocks from the prefill instance (RDMA over the NICs between nodes,
// NVLink inside one), each TP rank its own shard in parallel. So a transfer costs
//   latency + prompt tokens x KV bytes per token / (lanes x link bandwidth x efficiency)
// with the KV bytes per token every decode GPU caches, times the decode TP degree (the whole
// model's KV when heads are sharded; MLA's latent, replicated on every rank, once per rank) and lanes =
// min(prefill TP, decode TP) (each GPU reads over its own NIC or NVLink port). Layer-wise
// connectors that push each layer while the prefill still runs (P2pNccl, Mooncake, LMCache) are
// not modelled.
//
// Contention: the reads into one decode replica share its NICs. They are served one after the
// other in the order they start (FIFO, each at the full rate): n reads that start together end,
// the last of them, when fair sharing would end all of them, the others earlier; and each read's
// end is known when it starts.
#include <algorithm>
#include <cstdint>
#include <string>

#include "time.hpp"

namespace llmpo {

struct KvTransferLink {
  std::string preset;                 // the interconnect preset's id (for the manifest)
  double latency_s = 0;               // per transfer
  double bandwidth_bytes_per_s = 0;   // all lanes together, efficiency applied
  double kv_bytes_per_token = 0;      // KV read for one token, all decode GPUs together

  // One request's read of `prompt_tokens` tokens of KV, on an idle link.
  SimTime transfer_ns(int64_t prompt_tokens) const {
    const double bytes = static_cast<double>(prompt_tokens) * kv_bytes_per_token;
    return std::max<SimTime>(duration_to_ns(latency_s + bytes / bandwidth_bytes_per_s), 1);
  }
};

}  // namespace llmpo
