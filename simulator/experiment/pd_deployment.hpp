#pragma once
// Prefill/decode disaggregation as a deployment of an experiment file: one frameworks_to_test
// entry whose config has a prefill pool, a decode pool and the KV transfer between them:
//   config:
//     model_profile_id: Llama3-70B
//     prefill: {gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2, max_num_batched_tokens: 8192}
//     decode:  {gpu_id: h100, tensor_parallel_degree: 8, num_replicas: 2}
//     kv_transfer: {link: infiniband-400g, connector: nixl}
// Each pool takes every key an aggregated VLLM deployment takes but model_profile_id (GPUs,
// parallel degrees, replicas, router, framework knobs) and is planned (memory, KV) on its own.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "experiment_plan.hpp"
#include "experiment_sections.hpp"
#include "hardware/interconnect.hpp"
#include "simulator/core/kv_transfer.hpp"

namespace llmpo {

struct PdDeployment {
  RunSpec decode;             // the decode pool (same model as the prefill pool, the RunSpec itself)
  std::string connector = "nixl";
  KvTransferLink link;
  int64_t link_lanes = 1;     // reads in parallel: min(prefill TP, decode TP)
};

// Whether a frameworks_to_test entry, as written, is disaggregated (its config has prefill: or
// decode:).
bool is_disaggregated_entry(const YAML::Node& entry);

// The keys of a disaggregated deployment's config.
const std::vector<std::string>& pd_config_keys();
// The connectors modelled (kv_transfer.connector).
const std::vector<std::string>& pd_connector_names();

// Reads config.prefill, config.decode and config.kv_transfer into `run` (the prefill pool) and
// run.pd; errors are recorded at their keys (collect mode) or thrown.
void read_pd_pools(RunSpec& run, StrictMap& config, const std::string& type, const std::vector<HardwareRead>& hardware,
                   const Libraries& libraries, AdviceTerms advice_terms);

// The link of a read between pools: `preset` as GPU `gpu` sees it, `lanes` reads in parallel (one
// per TP rank pair), for a model of `kv_bytes_per_token` (all layers, all KV heads).
KvTransferLink kv_transfer_link(const InterconnectSpec& preset, const GpuSpec& gpu, int64_t lanes,
                                double kv_bytes_per_token);

// KV bytes per prompt token the decode pool reads: each decode GPU's own cache (its layers, its
// KV heads) times the decode TP degree, summed over stages; at least the model's KV. The model's
// KV when heads are sharded; more when they are replicated (MLA: every rank holds the whole
// latent, so TP 8 reads it 8 times, each rank over its own lane).
double kv_bytes_read_per_token(const MemoryPlan& prefill_memory, const RunSpec& decode);

// GPUs of a deployment: both pools when disaggregated.
int64_t deployment_gpus(const RunSpec& run);

// A disaggregated deployment with other pool sizes: `prefill_replicas` prefill instances and
// `decode_replicas` decode instances, everything else as planned (each pool's plan is per
// instance, so only the counts change).
RunSpec with_pool_replicas(const RunSpec& run, int64_t prefill_replicas, int64_t decode_replicas);

// Every split of a disaggregated deployment's GPUs between its pools at the same total, each pool
// keeping its instance shape (TP x PP): (prefill instances, decode instances), at least one each,
// prefill instances ascending. 32 GPUs of TP8 instances: (1, 3), (2, 2), (3, 1).
std::vector<std::pair<int64_t, int64_t>> pd_splits_at_equal_gpus(const RunSpec& run);

}  // namespace llmpo
