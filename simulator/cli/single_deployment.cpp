#include "single_deployment.hpp"

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/experiment/experiment_file.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

// The flag that set a key of the generated experiment ("frameworks_to_test[0].config.
// tensor_parallel_degree" -> "--tp"), so that errors name what the user typed; "" for keys no
// deployment flag sets (the command's own, such as the workload's).
std::string flag_of_key(const std::string& key_path) {
  static const std::map<std::string, std::string> flags = {
      {"tensor_parallel_degree", "--tp"},
      {"pipeline_parallel_degree", "--pp"},
      {"model_profile_id", "--model"},
      {"max_num_seqs", "--max-num-seqs"},
      {"max_num_batched_tokens", "--max-num-batched-tokens"},
      {"max_model_len", "--max-model-len"},
      {"gpu_memory_utilization", "--gpu-memory-utilization"},
  };
  if (key_path.starts_with("hardware.")) return "--gpu";
  const std::string marker = ".config.";
  const auto config = key_path.find(marker);
  if (config == std::string::npos) return key_path.ends_with(".type") ? "--framework" : "";
  const std::string key = key_path.substr(config + marker.size());
  const auto known = flags.find(key);
  return known != flags.end() ? known->second : "--config " + key;
}

// An error in the generated text, restated at the flag that caused it: its line and column
// there mean nothing to the user. Errors from other files (a trace) keep their position.
InputError in_flag_terms(const InputError& error, const std::string& generated_name) {
  if (error.pos().file != generated_name) return error;
  const std::string flag = flag_of_key(error.key_path());
  if (!flag.empty()) return InputError({}, flag, error.message());
  return InputError({generated_name, 0, 0}, error.key_path(), error.message());
}

// A library id stays as given; a file is made absolute, since the generated experiment is read
// from elsewhere. A name the system refuses (too long, ...) stays as given: the library lookup
// then says it is unknown.
std::string library_ref(const std::string& name, bool in_library) {
  std::error_code error;
  if (in_library || !std::filesystem::exists(name, error)) return name;
  const std::filesystem::path absolute = std::filesystem::absolute(name, error);
  return error ? name : absolute.lexically_normal().string();
}

}  // namespace

void declare_vllm_parallel_aliases(ArgParser& p) {
  p.alias("tp", "--tensor-parallel-size").alias("tp", "-tp");
  p.alias("pp", "--pipeline-parallel-size").alias("pp", "-pp");
}

void declare_deployment_options(ArgParser& p, const std::string& default_gpu, bool model_required) {
  p.option("model", "M", "model id, HF id, family:size tag, or a config.json / model file", "", model_required);
  p.option("gpu", "G", "GPU preset id, or a GPU file", default_gpu, model_required && default_gpu.empty());
  p.option("tp", "N", "tensor-parallel degree", "1");
  p.option("pp", "N", "pipeline-parallel degree", "1");
  declare_vllm_parallel_aliases(p);
  p.option("framework", "vllm|static", "serving framework type", "vllm");
  p.option("max-num-seqs", "N", "vLLM max_num_seqs", "vLLM's default for the GPU");
  p.option("max-num-batched-tokens", "N", "vLLM max_num_batched_tokens", "vLLM's default for the GPU");
  p.option("max-model-len", "L", "max_model_len", "the model's context length");
  p.option("gpu-memory-utilization", "U", "vLLM gpu_memory_utilization", "0.9");
  p.repeated("config", "KEY=VALUE", "any other framework config key (a YAML value), e.g. --config enable_chunked_prefill=false");
}

SingleDeployment deployment_from(const ArgParser& p, const Libraries& libraries) {
  return deployment_from(p, libraries, p.get("model"), p.get_or("gpu", "H100-SXM"));
}

SingleDeployment deployment_from(const ArgParser& p, const Libraries& libraries, const std::string& model,
                                 const std::string& gpu) {
  SingleDeployment d;
  d.model_ref = library_ref(model, libraries.models.try_find(model) != nullptr);
  d.gpu_ref = library_ref(gpu, libraries.gpus.try_find(gpu) != nullptr);
  const std::string framework = p.get_or("framework", "vllm");
  if (framework == "vllm" || framework == "VLLM") d.framework = "VLLM";
  else if (framework == "static" || framework == "STATIC") d.framework = "STATIC";
  else throw InputError({}, "--framework", fmt::format("'{}' is not a framework (valid: vllm, static)", framework));
  d.tp = p.get_int("tp", 1, 1, 1024);
  d.pp = p.get_int("pp", 1, 1, 1024);
  if (p.has("max-num-seqs")) d.config.emplace_back("max_num_seqs", std::to_string(p.get_int("max-num-seqs", 0, 1, 1 << 20)));
  if (p.has("max-num-batched-tokens"))
    d.config.emplace_back("max_num_batched_tokens", std::to_string(p.get_int("max-num-batched-tokens", 0, 1, 1 << 24)));
  if (p.has("max-model-len")) d.config.emplace_back("max_model_len", std::to_string(p.get_int("max-model-len", 0, 1, 1 << 24)));
  if (p.has("gpu-memory-utilization"))
    d.config.emplace_back("gpu_memory_utilization", fmt::format("{}", p.get_double("gpu-memory-utilization", 0.9, 0.01, 1.0)));
  for (const auto& assignment : p.get_all("config")) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError({}, "--config", fmt::format("expected KEY=VALUE (e.g. enable_chunked_prefill=false), got '{}'", assignment));
    d.config.emplace_back(assignment.substr(0, eq), assignment.substr(eq + 1));
  }
  return d;
}

std::string single_deployment_yaml(const SingleDeployment& d, const std::string& simulation, const std::string& workload,
                                   const std::string& name) {
  std::string config = fmt::format("model_profile_id: {}, gpu_id: gpu0, tensor_parallel_degree: {}, pipeline_parallel_degree: {}",
                                   quoted(d.model_ref), d.tp, d.pp);
  for (const auto& [key, value] : d.config) config += fmt::format(", {}: {}", key, value);
  return fmt::format(R"(name: {}
simulation: {}
hardware:
  gpu0: {{preset: {}}}
workload: {}
frameworks_to_test:
  - name: {}
    type: {}
    config: {{{}}}
)",
                     name, simulation, quoted(d.gpu_ref), workload, d.framework == "VLLM" ? "vllm" : "static",
                     d.framework, config);
}

ExperimentPlan plan_single(const std::string& yaml, const std::string& what, const Libraries& libraries) {
  PlanOptions options;
  options.advice_terms = AdviceTerms::flags;
  try {
    return plan_experiment(read_experiment_text(yaml, what, {}), libraries, options);
  } catch (const InputErrors& errors) {
    std::vector<InputError> restated;
    for (const auto& error : errors.errors()) restated.push_back(in_flag_terms(error, what));
    throw InputErrors(std::move(restated), errors.dropped());
  } catch (const InputError& error) {
    throw in_flag_terms(error, what);
  }
}

}  // namespace llmpo
