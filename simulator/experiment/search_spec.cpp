#include "search_spec.hpp"

#include <fmt/format.h>

namespace llmpo {

namespace {

std::vector<int64_t> int_list(StrictMap& map, const std::string& key, std::vector<int64_t> fallback, NumberRange range) {
  if (!map.has(key)) {
    map.opt_string(key);  // mark as read
    return fallback;
  }
  const YAML::Node list = map.get_node(key);
  if (!list.IsSequence() || list.size() == 0) map.fail(key, "expected a non-empty list, e.g. [1, 2, 4, 8]");
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(scalar_to_int(list[i], map.file(), map.path_of(key) + fmt::format("[{}]", i), range));
  return out;
}

std::vector<std::string> scalar_list(StrictMap& map, const std::string& key, NumberRange range, bool boolean) {
  if (!map.has(key)) {
    map.opt_string(key);
    return {};
  }
  const YAML::Node list = map.get_node(key);
  if (!list.IsSequence() || list.size() == 0) map.fail(key, "expected a non-empty list of values");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = map.path_of(key) + fmt::format("[{}]", i);
    if (boolean) {
      const std::string text = list[i].IsScalar() ? list[i].Scalar() : "";
      if (text != "true" && text != "false")
        throw InputError(position_of(list[i], map.file()), path, "expected true or false, got '" + text + "'");
      out.push_back(text);
    } else {
      out.push_back(std::to_string(scalar_to_int(list[i], map.file(), path, range)));
    }
  }
  return out;
}

}  // namespace

SearchSpec parse_search(StrictMap& map) {
  SearchSpec spec;
  spec.target_rate_per_s = map.get_double("target_rate_per_s", rate_per_second());
  spec.gpus = map.get_string_list("gpus");
  if (spec.gpus.empty()) map.fail("gpus", "list at least one GPU preset (see `llmperforacle list gpus`)");
  spec.tensor_parallel = int_list(map, "tensor_parallel_degree", spec.tensor_parallel, {1, 4096, false});
  spec.pipeline_parallel = int_list(map, "pipeline_parallel_degree", spec.pipeline_parallel, {1, 4096, false});
  spec.max_num_seqs = scalar_list(map, "max_num_seqs", positive(), false);
  spec.max_num_batched_tokens = scalar_list(map, "max_num_batched_tokens", positive(), false);
  spec.enable_chunked_prefill = scalar_list(map, "enable_chunked_prefill", {}, true);
  spec.max_replicas = map.opt_int("max_replicas", {1, 100000, false}).value_or(spec.max_replicas);
  if (auto prices = map.opt_map("prices_per_gpu_hour_usd"))
    for (const auto& gpu : prices->keys())
      if (auto price = prices->opt_double(gpu, positive())) spec.prices.emplace_back(gpu, *price);
  spec.top = map.opt_int("top", {1, 100000, false}).value_or(spec.top);
  spec.pool_keys_given =
      map.has("prefill_tensor_parallel_degree") || map.has("decode_tensor_parallel_degree") || map.has("decode_gpus");
  spec.prefill_tensor_parallel = int_list(map, "prefill_tensor_parallel_degree", spec.tensor_parallel, {1, 4096, false});
  spec.decode_tensor_parallel = int_list(map, "decode_tensor_parallel_degree", spec.tensor_parallel, {1, 4096, false});
  spec.decode_gpus = map.has("decode_gpus") ? map.get_string_list("decode_gpus") : std::vector<std::string>{};
  if (map.has("decode_gpus") && spec.decode_gpus.empty()) map.fail("decode_gpus", "list at least one GPU preset");
  map.reject_unknown_keys({"target_rate_per_s", "gpus", "tensor_parallel_degree", "pipeline_parallel_degree",
                           "max_num_seqs", "max_num_batched_tokens", "enable_chunked_prefill", "max_replicas",
                           "prices_per_gpu_hour_usd", "top", "prefill_tensor_parallel_degree",
                           "decode_tensor_parallel_degree", "decode_gpus"});
  return spec;
}

}  // namespace llmpo
