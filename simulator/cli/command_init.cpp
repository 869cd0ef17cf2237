// `llmperforacle init [FILE]`: writes a commented starter experiment that `validate` accepts and
// `run` runs in about a second. It refuses to replace an existing file unless --force.
#include <filesystem>

#include <fmt/format.h>

#include "args.hpp"
#include "commands.hpp"
#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

constexpr const char* kStarter = R"(# A starter LLMPerfOracle experiment (written by `llmperforacle init`). Every key is explained
# in experiments/README.md. Check it with `llmperforacle validate FILE`, run it with
# `llmperforacle run FILE --out results/starter` (add --vllm-json for vLLM-format results).
name: starter

simulation:
  seed: 1                               # same seed, same requests, same results
  percentiles: [50, 90, 99]             # p50/p90/p99 columns for TTFT, TPOT, ITL, E2EL
  slo: {ttft_ms: 2000, tpot_ms: 100}    # for goodput and slo_attainment (optional)
  # warmup_s: 30                        # requests arriving earlier are not measured

hardware:
  gpu0: {preset: H100-SXM, count: 1}    # `llmperforacle list gpus` shows the presets

workload:
  arrival: {process: poisson, rate_per_s: 4}   # or gamma, constant, steps, ramp,
                                               # closed_loop {clients: N, think_time_s: 0}
  num_requests: 500                            # or duration_s: 600
  prompt_tokens: {distribution: lognormal, mean: 512, stdev: 384, min: 16, max: 4096}
  output_tokens: {distribution: lognormal, mean: 192, stdev: 128, min: 4, max: 1024}
  # trace: {file: my_trace.csv, format: generic}   # arrival_s,prompt_tokens,output_tokens

frameworks_to_test:
  - name: vllm
    type: VLLM                          # or STATIC (batch_size, batch_timeout_s)
    config:
      model_profile_id: Llama3-8B       # `llmperforacle list models`, an HF id, or a config.json
      gpu_id: gpu0
      tensor_parallel_degree: 1
      # max_num_seqs: 256               # vLLM knobs; defaults as vLLM picks them for the GPU
      # max_num_batched_tokens: 8192
      # enable_chunked_prefill: true
      # gpu_memory_utilization: 0.9

# One run per combination of the lists (a key naming a config field applies to every entry):
# sweep:
#   request_rate: [2, 4, 8]
#   tensor_parallel_degree: [1, 2]
)";

}  // namespace

int command_init(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle init", "Write a commented starter experiment file (Llama-3-8B on one H100, vLLM, Poisson\n"
                                    "arrivals) that `validate` accepts.");
  p.positional("file", "where to write it (default: experiment.yaml)");
  p.flag("force", "replace an existing file");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const std::string path = p.positional_value("file").value_or("experiment.yaml");
  // The error_code overloads: a name the system refuses (too long, ...) is reported by the write.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw InputError({}, path, "is a folder; give a file name such as experiment.yaml");
  if (std::filesystem::exists(path, ignored) && !p.has("force"))
    throw InputError({}, path, "exists already; choose another FILE or pass --force to replace it");
  write_file_atomically(path, kStarter);
  out << fmt::format("wrote {}\nnext: llmperforacle validate {}   then   llmperforacle run {} --out results/starter\n", path,
                     path, path);
  return kExitOk;
}

}  // namespace llmpo
