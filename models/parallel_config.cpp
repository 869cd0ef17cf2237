#include "parallel_config.hpp"

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

std::string valid_tp_list(const ModelSpec& model) {
  std::string out;
  for (int64_t tp = 1; tp <= model.num_attention_heads; ++tp) {
    const bool heads_ok = model.num_attention_heads % tp == 0;
    const bool kv_ok = model.num_kv_heads % tp == 0 || tp % model.num_kv_heads == 0;
    if (heads_ok && kv_ok && tp <= 64) out += (out.empty() ? "" : ", ") + std::to_string(tp);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& all2all_backend_names() {
  static const std::vector<std::string> names = {"allgather_reducescatter", "deepep_high_throughput",
                                                 "deepep_low_latency"};
  return names;
}

const char* to_string(All2AllBackend backend) {
  return all2all_backend_names()[static_cast<std::size_t>(backend)].c_str();
}

void check_parallel_config(const ModelSpec& model, const ParallelConfig& parallel) {
  const int64_t tp = parallel.tensor_parallel;
  const int64_t pp = parallel.pipeline_parallel;
  if (tp < 1) throw InputError({}, "tensor_parallel_degree", fmt::format("must be >= 1, got {}", tp));
  if (pp < 1) throw InputError({}, "pipeline_parallel_degree", fmt::format("must be >= 1, got {}", pp));
  if (model.num_attention_heads % tp != 0 ||
      !(model.num_kv_heads % tp == 0 || tp % model.num_kv_heads == 0))
    throw InputError({}, "tensor_parallel_degree",
                     fmt::format("TP {} does not divide {}'s {} attention heads / {} KV heads "
                                 "(valid TP: {})",
                                 tp, model.id, model.num_attention_heads, model.num_kv_heads,
                                 valid_tp_list(model)));
  if (pp > model.num_layers)
    throw InputError({}, "pipeline_parallel_degree",
                     fmt::format("PP {} exceeds {}'s {} layers", pp, model.id, model.num_layers));
  if (parallel.data_parallel < 1)
    throw InputError({}, "data_parallel_size", fmt::format("must be >= 1, got {}", parallel.data_parallel));
  if (parallel.expert_parallel) {
    // vLLM's FusedMoE only exists in MoE models; a dense model with the flag has nothing to shard.
    if (!model.moe.enabled())
      throw InputError({}, "enable_expert_parallel",
                       fmt::format("{} is a dense model: expert parallelism needs an MoE model", model.id));
    const int64_t ep = parallel.expert_parallel_size();
    if (ep > model.moe.num_experts)
      throw InputError({}, "enable_expert_parallel",
                       fmt::format("EP = TP {} x DP {} = {} ranks exceeds {}'s {} routed experts", tp,
                                   parallel.data_parallel, ep, model.id, model.moe.num_experts));
  } else if (model.moe.enabled() && parallel.data_parallel > 1 &&
             model.moe.expert_intermediate_size % parallel.moe_ranks() != 0) {
    throw InputError({}, "data_parallel_size",
                     fmt::format("without expert parallelism vLLM shards each expert over TP x DP = {} ranks, which "
                                 "does not divide {}'s expert width {}; set enable_expert_parallel: true",
                                 parallel.moe_ranks(), model.id, model.moe.expert_intermediate_size));
  }
}

int64_t query_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel) {
  return model.num_attention_heads / parallel.tensor_parallel;
}

int64_t kv_heads_per_gpu(const ModelSpec& model, const ParallelConfig& parallel) {
  const int64_t share = model.num_kv_heads / parallel.tensor_parallel;
  return share > 0 ? share : 1;
}

std::vector<int64_t> pipeline_stage_layers(int64_t num_layers, int64_t stages) {
  std::vector<int64_t> layers(static_cast<std::size_t>(stages), num_layers / stages);
  const int64_t remainder = num_layers % stages;
  // vLLM: for i in range(2, remaining + 2): partitions[-i] += 1
  for (int64_t i = 2; i < remainder + 2; ++i) {
    const int64_t index = stages - i;
    layers[static_cast<std::size_t>(index >= 0 ? index : 0)] += 1;
  }
  return layers;
}

std::vector<int64_t> pipeline_stage_first_layer(int64_t num_layers, int64_t stages) {
  std::vector<int64_t> first;
  int64_t next = 0;
  for (int64_t count : pipeline_stage_layers(num_layers, stages)) {
    first.push_back(next);
    next += count;
  }
  return first;
}

}  // namespace llmpo
