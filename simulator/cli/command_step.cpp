// `llmperforacle step`: what one vLLM V1 engine step costs, part by part - the GEMMs, attention,
// element-wise kernels, all-reduces, LM head and sampling of the forward pass, the CUDA-graph
// padding and launch cost, the host work and how async scheduling overlaps it - for a batch of
// identical sequences. With --batch 1 and no --prefill it is the batch-1 decode TPOT.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "output_format.hpp"
#include "single_deployment.hpp"
#include "frameworks/vllm/vllm_step_cost.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

namespace {

const char* mode_name(CudaGraphMode mode) {
  switch (mode) {
    case CudaGraphMode::full_and_piecewise: return "full CUDA graph";
    case CudaGraphMode::piecewise: return "piecewise CUDA graphs";
    case CudaGraphMode::none: break;
  }
  return "eager (no graph)";
}

}  // namespace

int command_step(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle step",
              "The cost of one vLLM V1 engine step, part by part: a batch of --batch sequences with --context\n"
              "tokens cached, each decoding one token (or prefilling --prefill tokens). GEMMs, attention,\n"
              "element-wise kernels, all-reduces, LM head and sampling as the cost model prices them; the\n"
              "CUDA-graph padding and launch cost; the host work and its overlap under async scheduling.\n"
              "With --batch 1 and no --prefill the step time is the batch-1 decode TPOT.");
  declare_deployment_options(p);
  p.option("batch", "N", "sequences in the step", "1");
  p.option("context", "TOKENS", "tokens already in each sequence's KV cache", "1024");
  p.option("prefill", "TOKENS", "new tokens per sequence (a prefill chunk); default 1: a decode", "1");
  declare_format_option(p, "csv and json: one record of the step's shape and every part in seconds, full precision "
                           "(json: an object; csv: a header and one row of the same names)");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  const int64_t batch = p.get_int("batch", 1, 1, 65536);
  const int64_t context = p.get_int("context", 1024, 0, 1 << 24);
  const int64_t prefill = p.get_int("prefill", 1, 1, 1 << 20);
  const Libraries libraries = Libraries::load();
  SingleDeployment deployment = deployment_from(p, libraries);
  if (deployment.framework != "VLLM") throw InputError({}, "--framework", "`step` prices vLLM V1 steps; use `roofline` for a bare forward pass");
  // A step of this shape must fit one engine step: lift the token budget when it would not.
  bool budget_given = false;
  for (const auto& [key, value] : deployment.config) budget_given |= key == "max_num_batched_tokens";
  if (!budget_given) deployment.config.emplace_back("max_num_batched_tokens", std::to_string(std::max<int64_t>(8192, batch * prefill)));
  const std::string yaml = single_deployment_yaml(
      deployment, "{seed: 0}",
      "{arrival: {process: poisson, rate_per_s: 1}, num_requests: 1, prompt_tokens: {distribution: fixed, value: 1}, "
      "output_tokens: {distribution: fixed, value: 1}}",
      "step");
  const ExperimentPlan plan = plan_single(yaml, "the step's deployment", libraries);
  const RunSpec& run = plan.runs.front();
  RunExecutor executor(plan, libraries);
  const std::vector<Replica> replicas = executor.build_replicas(run, plan.points.front().simulation);
  const auto* cost = dynamic_cast<const VllmStepCost*>(replicas.front().cost.get());
  if (cost == nullptr) throw InternalError("step: the vLLM deployment has no vLLM step cost");

  // With `--config speculative_config=...` a decode is a verification of 1 + k tokens; it yields
  // 1 + E[accepted] tokens on average.
  const int64_t drafts = prefill == 1 ? cost->config().speculative.num_speculative_tokens : 0;
  const auto* vllm_settings = std::get_if<VllmSettings>(&run.settings);
  const double tokens_per_seq = drafts > 0 && vllm_settings != nullptr
                                    ? 1 + vllm_settings->speculative.expected_accepted_tokens()
                                    : static_cast<double>(prefill);
  StepShape shape(run.model.sliding_window.window_tokens);
  for (int64_t i = 0; i < batch; ++i) {
    if (drafts > 0) shape.add_verification(context, drafts);
    else shape.add_sequence(context, prefill);
  }
  const CostModel& model = cost->model();
  const StepBreakdown b = model.breakdown(shape);
  double gemm = 0, attention = 0, elementwise = 0, collective = 0, lm_head = 0, sampling = 0, transfer = 0;
  double moe_exchange = 0;  // expert parallelism's dispatch and combine (hardware/expert_parallel.hpp)
  for (const OperatorCost& op : b.ops) {
    const double t = op.total_time_s();
    if (op.kind == OpKind::lm_head) lm_head += t;
    else if (op.kind == OpKind::moe_dispatch || op.kind == OpKind::moe_combine) moe_exchange += t;
    else if (op.kind == OpKind::sampling) sampling += t;
    else switch (op_class(op.kind)) {
        case OpClass::gemm: gemm += t; break;
        case OpClass::attention: attention += t; break;
        case OpClass::collective: collective += t; break;
        case OpClass::transfer: transfer += t; break;
        case OpClass::lookup:
        case OpClass::elementwise: elementwise += t; break;
      }
  }
  const VllmStepPlan step_plan = cost->plan(shape);
  const double kernels = model.step_time_s(shape);
  const double padded = model.step_time_padded_s(shape, step_plan.padded_tokens);
  const double gpu = cost->gpu_time_s(shape);
  const double speculation = cost->speculation_time_s(shape);
  const double host = cost->host_time_s(shape);
  const double step = cost->step_time_s(shape);
  const VllmStepTimingConfig& timing = cost->config();

  struct Part {
    const char* key;
    const char* label;
    double seconds;
  };
  std::vector<Part> parts = {
      {"gemm_s", "GEMMs (QKV, O, FFN; all layers)", gemm},
      {"attention_s", "attention (all layers)", attention},
      {"elementwise_s", "element-wise (norms, RoPE, activation, embedding)", elementwise},
      {"all_reduce_s", "TP all-reduces", collective},
      {"pp_transfer_s", "pipeline transfers", transfer},
      {"lm_head_s", "LM head", lm_head},
      {"sampling_s", "sampling", sampling},
      {"kernels_s", "= kernels of the real batch", kernels},
      {"padding_s", "+ CUDA-graph padding rows", padded - kernels},
      {"launch_s", "+ graph replays / launch gaps", gpu - padded - speculation},
  };
  // Only when speculating, so that the output of a plain step is as it always was.
  if (drafts > 0) parts.push_back({"speculation_s", "+ speculation: draft logits and drafter passes", speculation});
  parts.push_back({"gpu_s", "= GPU time of the step", gpu});
  parts.push_back({"host_s", "host: schedule, inputs, outputs", host});
  parts.push_back({"step_s", timing.async_scheduling ? "step = max(GPU, host) + sync gap" : "step = GPU + host", step});
  // Only deployments with a MoE exchange show its row, after the all-reduces (others print as before).
  if (moe_exchange > 0) parts.insert(parts.begin() + 4, {"moe_all_to_all_s", "MoE dispatch / combine (DP / EP)", moe_exchange});
  const double weight_bytes = run.memory.stages.empty() ? 0 : run.memory.limiting().weight_bytes;
  if (format != TableFormat::table) {
    // One record: the shape, then every part in seconds at full precision (json: an object;
    // csv: a header and one row of the same names).
    std::vector<std::pair<std::string, std::string>> cells = {
        {"model", run.model.id},
        {"gpu", run.hardware.gpu.id},
        {"tensor_parallel", std::to_string(run.parallel.tensor_parallel)},
        {"batch", std::to_string(batch)},
        {"context_tokens", std::to_string(context)},
        {"new_tokens_per_seq", std::to_string(prefill + drafts)},
        {"runs_as", mode_name(step_plan.runs_as)},
        {"padded_tokens", data_number(step_plan.padded_tokens)},
        {"async_scheduling", data_bool(timing.async_scheduling)}};
    for (const Part& part : parts) cells.emplace_back(part.key, data_number(part.seconds));
    cells.emplace_back("tokens_per_s", data_number(static_cast<double>(batch) * tokens_per_seq / step));
    print_data_record(out, format, DataTable::record(std::move(cells)));
    return kExitOk;
  }
  TextTable table({"part", "time_ms", "share_of_step"});
  for (const Part& part : parts)
    table.add_row({part.label, fmt::format("{:.3f}", 1e3 * part.seconds), fmt::format("{:.1f}%", 100 * part.seconds / step)});
  out << fmt::format("{} on {} x {} (TP {}), vLLM V1: {} sequence(s) x {} new token(s) on {} cached; runs as {} ({} rows)\n",
                     run.model.id, run.parallel.gpus(), run.hardware.gpu.id, run.parallel.tensor_parallel, batch, prefill + drafts,
                     context, mode_name(step_plan.runs_as), step_plan.padded_tokens);
  out << "\n";
  table.print(out);
  out << fmt::format("\nstep {:.3f} ms: {:.1f} tokens/s{}", 1e3 * step, static_cast<double>(batch) * tokens_per_seq / step,
                     prefill == 1 ? fmt::format(" (TPOT {:.3f} ms at batch {})", 1e3 * step / tokens_per_seq, batch) : "");
  if (drafts > 0)
    out << fmt::format("; speculating: {} drafts per sequence verified, {:.3f} tokens expected per step", drafts, tokens_per_seq);
  if (weight_bytes > 0)
    out << fmt::format("; weights per GPU {:.2f} GB streamed at {:.0f}% of {:.0f} GB/s in the GPU time", weight_bytes / 1e9,
                       100 * weight_bytes / gpu / run.hardware.gpu.memory_bandwidth_bytes_per_s,
                       run.hardware.gpu.memory_bandwidth_bytes_per_s / 1e9);
  out << "\n";
  return kExitOk;
}

}  // namespace llmpo
