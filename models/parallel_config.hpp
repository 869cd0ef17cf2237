#pragma once
// How a model is split across GPUs: tensor parallelism shards heads and FFN columns inside each
// layer, pipeline parallelism gives each stage a contiguous run of layers. Data parallelism
// (vLLM --data-parallel-size) runs several engine cores, each with TP x PP GPUs, its own scheduler
// and KV cache; with an MoE model their MoE layers form one group of TP x DP ranks, sharded by
// experts under --enable-expert-parallel (EP = TP x DP) or by expert columns otherwise (vLLM's
// FusedMoEParallelConfig.make flattens TP across DP: vllm/model_executor/layers/fused_moe/config.py).
#include <cstdint>
#include <string>
#include <vector>

#include "model_spec.hpp"

namespace llmpo {

// vLLM's --all2all-backend (ParallelConfig.all2all_backend in vllm/config/parallel.py; default
// allgather_reducescatter). The modelled subset; hardware/expert_parallel.hpp prices each.
enum class All2AllBackend { allgather_reducescatter, deepep_high_throughput, deepep_low_latency };
const std::vector<std::string>& all2all_backend_names();  // in enum order
const char* to_string(All2AllBackend backend);

// How routed tokens spread over the experts. uniform: every expert equally likely (a balanced
// router, or vLLM's EPLB with enough redundant experts); zipf: the i-th most popular expert gets a
// share proportional to 1 / i^exponent, the popular ones placed at random expert ids.
enum class ExpertLoadDistribution { uniform, zipf };
struct ExpertLoad {
  ExpertLoadDistribution distribution = ExpertLoadDistribution::uniform;
  double zipf_exponent = 0;  // zipf only; > 0
};

struct ParallelConfig {
  // {tp, pp} as before data and expert parallelism existed; those start off.
  ParallelConfig() = default;
  ParallelConfig(int64_t tp, int64_t pp = 1) : tensor_parallel(tp), pipeline_parallel(pp) {}  // NOLINT(google-explicit-constructor)
  int64_t tensor_parallel = 1;    // GPUs sharing each layer
  int64_t pipeline_parallel = 1;  // stages, each a run of layers
  // Attention data-parallel ranks (engine cores) whose MoE layers form one group; 1 = no DP.
  int64_t data_parallel = 1;
  bool expert_parallel = false;   // vLLM --enable-expert-parallel
  All2AllBackend all2all_backend = All2AllBackend::allgather_reducescatter;
  ExpertLoad expert_load;
  // GPUs of one engine core (one DP rank); a deployment's total is gpus() x data_parallel x replicas.
  int64_t gpus() const { return tensor_parallel * pipeline_parallel; }
  // Ranks of one MoE layer's group: TP x DP (the experts' EP group under expert parallelism).
  int64_t moe_ranks() const { return tensor_parallel * data_parallel; }
  int64_t expert_parallel_size() const { return expert_parallel ? moe_ranks() : 1; }
};

// Throws InputError when vLLM would refuse the split: TP must divide the query heads, and KV
// heads must divide by TP or TP by them (vLLM then replicates each KV head); PP <= layers.
// Expert parallelism needs an MoE model and at most as many EP ranks as routed experts (vLLM's
// determine_expert_map gives the first E mod EP ranks one extra expert, so E need not divide).
// Column sharding (MoE without EP) needs TP x DP to divide each expert's width (fused_moe/config.py).
void check_parallel_config(const ModelSpec& model, const ParallelConfig& parallel);

// Query heads and KV heads held by one GPU (KV heads are replicated when TP > KV heads).
int64_t query_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel);
int64_t kv_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel);

// Layers per pipeline stage, as vLLM's get_pp_indices splits them: an even share, with the
// remainder given one each to the stages just before the last.
std::vector<int64_t> pipeline_stage_layers(int64_t num_layers, int64_t stages);

// Index of the first layer of each stage (same length as pipeline_stage_layers).
std::vector<int64_t> pipeline_stage_first_layer(int64_t num_layers, int64_t stages);

}  // namespace llmpo
