#pragma once
// One deployment given on the command line (--model, --gpu, --tp, engine knobs), turned into an
// experiment text, so that `replay` and `bench` plan and validate it exactly as `run` would.
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "simulator/experiment/experiment_plan.hpp"

namespace llmpo {

struct SingleDeployment {
  std::string model_ref, gpu_ref;  // library ids, or absolute paths of model / GPU files
  std::string framework = "VLLM";  // VLLM or STATIC
  int64_t tp = 1, pp = 1;
  std::vector<std::pair<std::string, std::string>> config;  // further config keys (YAML values)
};

// vLLM's spellings of --tp and --pp (vllm/engine/arg_utils.py: --tensor-parallel-size / -tp,
// --pipeline-parallel-size / -pp) as aliases, for a command that declares both.
void declare_vllm_parallel_aliases(ArgParser& p);

// --model, --gpu, --tp, --pp, --framework, --max-num-seqs, --max-num-batched-tokens,
// --max-model-len, --gpu-memory-utilization, --config KEY=VALUE.
// `default_gpu` non-empty: --gpu is optional with that default.
// `model_required` false: --model may be absent (the caller takes it from elsewhere).
void declare_deployment_options(ArgParser& p, const std::string& default_gpu = "", bool model_required = true);
SingleDeployment deployment_from(const ArgParser& p, const Libraries& libraries);
// The same with the model and GPU given by the caller.
SingleDeployment deployment_from(const ArgParser& p, const Libraries& libraries, const std::string& model,
                                 const std::string& gpu);

// The experiment: `simulation` and `workload` are YAML flow mappings.
std::string single_deployment_yaml(const SingleDeployment& d, const std::string& simulation, const std::string& workload,
                                   const std::string& name);
// Plans it. Errors name the flag that set the offending key (--tp, --model, --config KEY), or
// `what` and the key path, without the generated text's line numbers; a deployment that does
// not fit its GPUs throws DoesNotFit (exit 3) with the flags that would make it fit.
ExperimentPlan plan_single(const std::string& yaml, const std::string& what, const Libraries& libraries);

}  // namespace llmpo
