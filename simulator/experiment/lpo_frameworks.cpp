#include "lpo_frameworks.hpp"

#include <cctype>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "lpo_distributions.hpp"
#include "lpo_import.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

struct Entry {
  std::string name;
  bool target = true;
  std::string model_id;
  std::size_t group = 0;
  int64_t tp = 1, pp = 1;
  std::vector<std::pair<std::string, std::string>> knobs;  // our config key, value text
  std::string knob_comment;                                // after max_num_seqs when defaulted

  std::string identity() const {
    std::string key = fmt::format("{}|{}|{}|{}", model_id, group, tp, pp);
    for (const auto& [k, v] : knobs) key += "|" + k + "=" + v;
    return key;
  }
};

const std::vector<std::pair<std::string, std::string>> kIgnoredConfigKeys = {
    {"scheduler_iteration_delay_s", "no equivalent: upstream's polling interval of an idle engine; ours wakes at the next arrival"},
    {"bytes_per_token_estimate_for_network", "no equivalent: client network transfers are not modelled"},
    {"prefill_chunk_size", "no separate chunk size: prompts are chunked to the step's token budget max_num_batched_tokens, as vLLM does"},
    {"enable_cross_request_caching", "no equivalent: prompts are not matched against each other"},
    {"min_prefix_cache_length", "no equivalent: prompts are not matched against each other"},
    {"max_prefix_cache_size", "no equivalent: prompts are not matched against each other"},
    {"prefix_eviction_policy", "no equivalent: prompts are not matched against each other"},
    {"store_prefix_tokens", "no equivalent: prompts are not matched against each other"},
    {"scheduling_policy", "not read by LLMPerfOracle; requests are served first come, first served here"},
    {"data_parallel_group", "not read by LLMPerfOracle; identical targets become num_replicas here"},
    {"data_parallel_size", "not read by LLMPerfOracle; identical targets become num_replicas here"},
    {"data_parallel_rank", "not read by LLMPerfOracle; identical targets become num_replicas here"},
    {"microbatch_size", "not read by LLMPerfOracle; ignored"},
    {"lod", "no equivalent: every engine step is costed in full"},
};

std::string bool_text(bool value) { return value ? "true" : "false"; }

void read_parallelism(LpoReader& reader, const YAML::Node& config, const std::string& path, Entry& entry,
                      std::vector<std::string>& gpu_ids) {
  const auto parallelism = reader.map(config, "parallelism", path + ".parallelism");
  if (!parallelism) return;
  const std::string p = path + ".parallelism";
  reader.check_keys(*parallelism, p, {"strategy", "tp_degree", "pp_stages", "gpu_ids"},
                    {{"num_microbatches_per_request", "no equivalent: pipeline micro-batching is not configurable here"}});
  const std::string strategy = reader.text(*parallelism, "strategy", p + ".strategy").value_or("None");
  const std::vector<std::string> strategies = {"None", "TP", "PP", "TP_PP"};
  bool known = false;
  for (const auto& s : strategies) known = known || s == strategy;
  if (!known) reader.fail(*parallelism, p + ".strategy", "'" + strategy + "' is not valid (valid: " + join(strategies) + ")");
  const int64_t tp = reader.integer(*parallelism, "tp_degree", p + ".tp_degree", 1, 4096).value_or(1);
  const int64_t pp = reader.integer(*parallelism, "pp_stages", p + ".pp_stages", 1, 4096).value_or(1);
  if (strategy == "TP" || strategy == "TP_PP") entry.tp = tp;
  if (strategy == "PP" || strategy == "TP_PP") entry.pp = pp;
  if (const auto ids = reader.list(*parallelism, "gpu_ids", p + ".gpu_ids")) {
    gpu_ids.clear();
    for (std::size_t i = 0; i < ids->size(); ++i) gpu_ids.push_back(reader.text_value((*ids)[i], fmt::format("{}.gpu_ids[{}]", p, i)));
    if (static_cast<int64_t>(gpu_ids.size()) != entry.tp * entry.pp)
      reader.note(*ids, p + ".gpu_ids",
                  fmt::format("{} GPUs listed for TP {} x PP {}: the deployment uses TP x PP = {} GPUs of the group",
                              gpu_ids.size(), entry.tp, entry.pp, entry.tp * entry.pp));
  }
}

Entry read_entry(LpoReader& reader, const YAML::Node& node, const std::string& path, const LpoHardware& hardware,
                 const LpoWorkload& workload, const ModelLibrary& models) {
  if (!node.IsMap()) reader.fail(node, path, "expected a framework mapping (name, type, config)");
  reader.check_keys(node, path, {"name", "type", "is_target_for_workload", "config"});
  Entry entry;
  entry.name = reader.text(node, "name", path + ".name").value_or("");
  if (entry.name.empty()) reader.fail(node, path + ".name", "required (LLMPerfOracle requires it too)");
  const std::string type = reader.text(node, "type", path + ".type").value_or("");
  if (type != "VLLM" && type != "ParallelVLLM")
    reader.fail(node, path + ".type",
                "'" + type + "' is not valid (valid: VLLM, ParallelVLLM: the frameworks LLMPerfOracle implements)");
  entry.target = reader.flag(node, "is_target_for_workload", path + ".is_target_for_workload").value_or(true);
  const auto config = reader.map(node, "config", path + ".config");
  if (!config) reader.fail(node, path + ".config", "required: model_profile_id, gpu_id, ...");
  const std::string c = path + ".config";
  reader.check_keys(*config, c,
                    {"model_profile_id", "gpu_id", "parallelism", "block_size", "max_num_seqs", "max_num_batched_tokens",
                     "enable_chunked_prefill", "enable_prefix_caching"},
                    kIgnoredConfigKeys);

  const std::string model = reader.text(*config, "model_profile_id", c + ".model_profile_id").value_or("");
  if (model.empty()) reader.fail(*config, c + ".model_profile_id", "required: a model such as Llama3-70B");
  const ModelSpec* spec = models.try_find(model);
  if (spec == nullptr) {
    std::string message = "unknown model '" + model + "' (`llmperforacle list models` shows the library)";
    const std::string hint = did_you_mean(model, models.all_names());
    if (!hint.empty()) message += "; " + hint;
    reader.fail(*config, c + ".model_profile_id", message);
  }
  entry.model_id = spec->id;

  std::vector<std::string> gpu_ids = {reader.text(*config, "gpu_id", c + ".gpu_id").value_or("gpu0")};
  read_parallelism(reader, *config, c, entry, gpu_ids);
  std::set<std::size_t> groups;
  for (const auto& id : gpu_ids) {
    const auto found = hardware.group_of_device.find(id);
    if (found == hardware.group_of_device.end()) {
      std::vector<std::string> known;
      for (const auto& [device, group] : hardware.group_of_device) known.push_back(device);
      reader.fail(*config, c, "GPU '" + id + "' is not a GPU of hardware_profile.compute_devices (valid: " + join(known) + ")");
    }
    groups.insert(found->second);
  }
  if (groups.size() > 1)
    reader.fail(*config, c, "its GPUs " + join(gpu_ids) + " have different figures; a deployment here runs on one GPU type");
  entry.group = *groups.begin();

  if (const auto v = reader.integer(*config, "block_size", c + ".block_size", 1, 1 << 20))
    entry.knobs.emplace_back("block_size", std::to_string(*v));
  const auto seqs = reader.integer(*config, "max_num_seqs", c + ".max_num_seqs", 1, 1 << 20);
  entry.knobs.emplace_back("max_num_seqs", std::to_string(seqs.value_or(256)));
  if (!seqs) entry.knob_comment = "LLMPerfOracle's default (ours would follow vLLM's for the GPU)";
  if (const auto v = reader.integer(*config, "max_num_batched_tokens", c + ".max_num_batched_tokens", 1, int64_t{1} << 32))
    entry.knobs.emplace_back("max_num_batched_tokens", std::to_string(*v));
  else
    reader.note(*config, c + ".max_num_batched_tokens",
                "absent: LLMPerfOracle sizes it from free memory; vLLM's default for the GPU is used here");
  if (const auto v = reader.flag(*config, "enable_chunked_prefill", c + ".enable_chunked_prefill"))
    entry.knobs.emplace_back("enable_chunked_prefill", bool_text(*v));
  const auto prefix = reader.flag(*config, "enable_prefix_caching", c + ".enable_prefix_caching");
  if (prefix) entry.knobs.emplace_back("enable_prefix_caching", bool_text(*prefix));
  if (prefix.value_or(true) && workload.prompts_share_prefixes)
    reader.note(*config, c + ".enable_prefix_caching",
                "the converted workload has no sessions or shared prefixes (see the workload notes), so this "
                "prefix cache finds no shared history and TTFT is higher than upstream's cache hits until "
                "workload.sessions / workload.shared_prefixes are added");
  return entry;
}

std::string router_for(LpoReader& reader, const YAML::Node& root, const std::string& strategy) {
  if (strategy == "round_robin") return "round_robin";
  const YAML::Node at = root["workload"];
  if (strategy == "session_affinity") return "session_affinity";
  if (strategy == "least_loaded") {
    reader.note(at, "workload.load_balancing_strategy",
                "least_loaded (shortest waiting queue) becomes least_outstanding (fewest unfinished requests)");
    return "least_outstanding";
  }
  reader.note(at, "workload.load_balancing_strategy",
              "'" + strategy + "' has no equivalent (no random routing): round_robin instead");
  return "round_robin";
}

std::string common_name(const std::vector<Entry>& entries) {
  std::string prefix = entries.front().name;
  for (const auto& e : entries) {
    std::size_t n = 0;
    while (n < prefix.size() && n < e.name.size() && prefix[n] == e.name[n]) ++n;
    prefix.resize(n);
  }
  while (!prefix.empty() && (prefix.back() == '_' || prefix.back() == '-' || std::isdigit(static_cast<unsigned char>(prefix.back()))))
    prefix.pop_back();
  return prefix.empty() ? entries.front().name : prefix;
}

std::string entry_text(const std::string& name, const std::vector<Entry>& replicas, const LpoHardware& hardware,
                       const std::string& router) {
  const Entry& e = replicas.front();
  std::string s = "  - name: " + lpo_yaml_string(name) + "\n    type: VLLM\n    config:\n";
  s += "      model_profile_id: " + lpo_yaml_string(e.model_id) + "\n";
  s += "      gpu_id: " + lpo_yaml_string(hardware.groups[e.group].name) + "\n";
  if (e.tp > 1) s += fmt::format("      tensor_parallel_degree: {}\n", e.tp);
  if (e.pp > 1) s += fmt::format("      pipeline_parallel_degree: {}\n", e.pp);
  if (replicas.size() > 1) {
    std::vector<std::string> names;
    for (const auto& r : replicas) names.push_back(r.name);
    s += fmt::format("      num_replicas: {}   # the identical targets {}\n", replicas.size(), join(names));
    s += "      router: " + router + "\n";
  }
  for (const auto& [key, value] : e.knobs) {
    s += "      " + key + ": " + value;
    if (key == "max_num_seqs" && !e.knob_comment.empty()) s += "   # " + e.knob_comment;
    s += "\n";
  }
  return s;
}

std::string commented(const std::string& text) {
  std::string out, line;
  for (const char ch : text) {
    if (ch == '\n') {
      out += "  # " + line.substr(2) + "\n";  // uncommented by deleting "# "
      line.clear();
    } else {
      line += ch;
    }
  }
  return out;
}

}  // namespace

std::string lpo_frameworks(LpoReader& reader, const YAML::Node& root, const LpoHardware& hardware,
                           const LpoWorkload& workload, const ModelLibrary& models) {
  const auto list = reader.list(root, "frameworks_to_test", "frameworks_to_test");
  if (!list || list->size() == 0) reader.fail(root, "frameworks_to_test", "required: a non-empty list of frameworks");
  std::vector<std::string> keys;                    // target identities in first-seen order
  std::map<std::string, std::vector<Entry>> groups;  // identity -> identical targets
  std::vector<Entry> idle;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("frameworks_to_test[{}]", i);
    Entry entry = read_entry(reader, (*list)[i], path, hardware, workload, models);
    if (!names.insert(entry.name).second) reader.fail((*list)[i], path + ".name", "'" + entry.name + "' is named twice");
    if (!entry.target) {
      reader.note((*list)[i], path + ".is_target_for_workload",
                  "false: LLMPerfOracle sent '" + entry.name + "' no requests; written commented out");
      idle.push_back(entry);
      continue;
    }
    if (groups.count(entry.identity()) == 0) keys.push_back(entry.identity());
    groups[entry.identity()].push_back(entry);
  }
  if (keys.empty())
    reader.fail(*list, "frameworks_to_test", "no entry has is_target_for_workload: true (LLMPerfOracle refuses this too)");
  bool replicated = false;
  for (const auto& key : keys) replicated = replicated || groups[key].size() > 1;
  const std::string router = replicated ? router_for(reader, root, workload.load_balancing_strategy) : "round_robin";
  if (keys.size() > 1)
    reader.note(*list, "frameworks_to_test",
                fmt::format("LLMPerfOracle spreads the requests round-robin over all {} targets at once; here each of "
                            "the {} different deployments is a run of its own that receives the whole workload",
                            [&] {
                              std::size_t n = 0;
                              for (const auto& key : keys) n += groups[key].size();
                              return n;
                            }(),
                            keys.size()));

  std::string s = "frameworks_to_test:\n";
  std::set<std::string> used;
  for (const auto& key : keys) {
    const auto& replicas = groups[key];
    std::string name = replicas.size() > 1 ? common_name(replicas) : replicas.front().name;
    for (int n = 2; used.count(name) > 0; ++n) name = common_name(replicas) + "_" + std::to_string(n);
    used.insert(name);
    s += entry_text(name, replicas, hardware, router);
  }
  for (const auto& entry : idle) {
    s += "  # not simulated upstream (is_target_for_workload: false); uncomment to run it on the same workload:\n";
    s += commented(entry_text(entry.name, {entry}, hardware, router));
  }
  return s;
}

}  // namespace llmpo
