#pragma once
// The `search:` section of an experiment file (see config_search.hpp for what it drives).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

struct SearchSpec {
  double target_rate_per_s = 0;
  std::vector<std::string> gpus;
  std::vector<int64_t> tensor_parallel = {1, 2, 4, 8};
  std::vector<int64_t> pipeline_parallel = {1};
  std::vector<std::string> max_num_seqs, max_num_batched_tokens, enable_chunked_prefill;  // YAML scalars
  int64_t max_replicas = 64;
  std::vector<std::pair<std::string, double>> prices;  // overrides, by GPU preset
  int64_t top = 10;
  // Disaggregated entries (config.prefill / decode): each pool's TP degrees (default: the
  // tensor_parallel_degree list) and the decode pool's GPUs (default: the prefill pool's).
  std::vector<int64_t> prefill_tensor_parallel, decode_tensor_parallel;
  std::vector<std::string> decode_gpus;
  bool pool_keys_given = false;  // any of the three above written in the file
};

SearchSpec parse_search(StrictMap& map);

}  // namespace llmpo
