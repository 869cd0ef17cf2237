// `llmperforacle roofline [MODEL_OR_CONFIG]`: the Transformer Roofline Analyzer seed's per-layer table (compute,
// weight/input/output bytes, operational intensity) for one step of a batch of identical
// sequences, plus the predicted time of each operator and what bounds it, and storage totals.
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "hardware/cost_model.hpp"
#include "models/quantization.hpp"
#include "output_format.hpp"
#include "setup.hpp"
#include "single_deployment.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/flag_errors.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// The GPU of the predicted times when --gpu is not given (the analyzer itself has none: its
// FLOPs and bytes do not depend on it): the data-centre GPU most deployments are planned for,
// as `bench` defaults to.
constexpr const char* kDefaultRooflineGpu = "H100-SXM";

// Whole counts for people: "100,651,008".
std::string exact(double value) { return format_thousands(static_cast<int64_t>(std::llround(value))); }

std::vector<std::string> op_row(const OperatorCost& op, std::string (*whole)(double) = exact) {
  const OperatorWork& w = op.work;
  const double bytes = w.weight_bytes + w.input_bytes + w.output_bytes;
  const std::string intensity = bytes > 0 ? fmt::format("{:.2f}", w.flops / bytes) : "-";
  const bool network = op.time.bound == Bound::network;
  return {std::string(op_name(op.kind)), whole(w.flops), whole(w.weight_bytes),
          whole(network ? w.message_bytes : w.input_bytes), whole(network ? 0 : w.output_bytes), intensity,
          format_seconds(op.time.time_s), to_string(op.time.bound)};
}

const std::vector<std::string> kHeaders = {"layer", "compute_FLOPs", "weight_B", "input_B", "output_B",
                                           "op_intensity_FLOP_per_B", "time", "bound"};

// Every operator as data (csv's rows, json's "operators"): full-precision counts without
// separators, the time in seconds. A collective's input_bytes is the message it sends.
DataTable operators_table(const CostModel& cost, const StepBreakdown& step) {
  DataTable table({"layer_kind", "operator", "count", "flops", "weight_bytes", "input_bytes", "output_bytes",
                   "op_intensity_flops_per_byte", "time_s", "bound"});
  for (const auto& op : step.ops) {
    const OperatorWork& w = op.work;
    const bool network = op.time.bound == Bound::network;
    const double bytes = w.weight_bytes + w.input_bytes + w.output_bytes;
    table.add_row({op.layer_kind >= 0 ? cost.layer_kinds()[static_cast<std::size_t>(op.layer_kind)].label() : "model",
                   std::string(op_name(op.kind)), data_number(op.count), data_number(w.flops),
                   data_number(w.weight_bytes), data_number(network ? w.message_bytes : w.input_bytes),
                   data_number(network ? 0 : w.output_bytes), bytes > 0 ? data_number(w.flops / bytes) : "",
                   data_number(op.time.time_s), to_string(op.time.bound)});
  }
  return table;
}

// The step's totals as one record (json's "step").
DataTable step_record(double total_flops, const StepBreakdown& step) {
  DataTable record({"flops_per_gpu", "latency_s", "gpu_s", "pipeline_transfer_s", "cpu_overhead_s"});
  record.add_row({data_number(total_flops), data_number(step.latency_s),
                  data_number(step.latency_s - step.transfer_time_s - step.cpu_overhead_s),
                  data_number(step.transfer_time_s), data_number(step.cpu_overhead_s)});
  return record;
}

}  // namespace

int command_roofline(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle roofline",
              "Per-layer roofline table of one serving step: B sequences, each computing N new tokens on top of C cached.");
  // The Transformer Roofline Analyzer's own form: `roofline --cached-tokens 1024 --input-tokens 1
  // -- meta-llama/Llama-2-7b-hf` (the model after the options, a HF id or a config.json).
  p.positional("MODEL_OR_CONFIG", "model library name, HF id (meta-llama/Llama-2-7b-hf), tag, or HF config.json; "
                                  "as --model");
  p.option("model", "NAME|config.json", "model library name, HF id, tag, or HF config.json (or MODEL_OR_CONFIG)");
  p.option("gpu", "NAME", "GPU library name or GPU .yaml file; the heading names the GPU used",
           std::string(kDefaultRooflineGpu));
  p.option("input-tokens", "N", "new tokens per sequence this step (1 = decode)", "1");
  p.option("cached-tokens", "C", "tokens already in each sequence's KV cache", "0");
  p.option("batch", "B", "identical sequences in the batch", "1");
  p.option("tp", "N", "tensor-parallel degree", "1");
  p.option("pp", "N", "pipeline-parallel degree", "1");
  declare_vllm_parallel_aliases(p);
  p.option("dp", "N", "data-parallel ranks (vLLM --data-parallel-size) sharing an MoE model's experts; the step is one "
                      "rank's, the others assumed to carry as many tokens",
           "1");
  p.alias("dp", "--data-parallel-size");
  p.flag("enable-expert-parallel", "shard routed experts whole over TP x DP ranks (vLLM --enable-expert-parallel)");
  p.option("all2all-backend", "B", "MoE dispatch / combine between DP ranks (vLLM --all2all-backend)",
           "allgather_reducescatter");
  p.choices("all2all-backend", all2all_backend_names());
  p.option("quantization", "Q", "weight quantization (see `list quantizations`)", "none, or the one an Ollama tag names");
  p.option("kv-cache-dtype", "T", "auto, bfloat16, float16, fp8", "auto");
  p.option("accounting", "MODE", "seed: the seed's formulas exactly; corrected: causal SDPA over all query heads, ActMul x tokens", "seed");
  p.choices("accounting", {"seed", "corrected"});
  declare_interconnect_options(p);
  declare_format_option(p, "csv: every operator, one row each (FLOPs, bytes, time in seconds, full precision); "
                           "json: {operators, storage, step}");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }

  const std::optional<std::string> positional_model = p.positional_value("MODEL_OR_CONFIG");
  if (positional_model && p.has("model"))
    throw InputError({}, "--model", fmt::format("given twice: '{}' and MODEL_OR_CONFIG '{}'; give one", p.get("model"),
                                                *positional_model));
  if (!positional_model && !p.has("model"))
    throw InputError({}, "MODEL_OR_CONFIG",
                     "name the model: `llmperforacle roofline meta-llama/Llama-2-7b-hf` (a HF id, a library name or a "
                     "config.json), or --model");
  const Libraries libraries = Libraries::load();
  const ModelSpec model = at_flag(positional_model ? "MODEL_OR_CONFIG" : "--model", [&] {
    return resolve_model(positional_model.value_or(p.get_or("model", "")), libraries.models);
  });
  const GpuSpec gpu = at_flag("--gpu", [&] { return resolve_gpu(p.get_or("gpu", kDefaultRooflineGpu), libraries.gpus); });
  const int64_t input_tokens = p.get_int("input-tokens", 1, 1, int64_t{1} << 32);
  const int64_t cached_tokens = p.get_int("cached-tokens", 0, 0, int64_t{1} << 40);
  const int64_t batch = p.get_int("batch", 1, 1, int64_t{1} << 24);
  const std::string accounting = p.get_or("accounting", "seed");
  if (accounting != "seed" && accounting != "corrected")
    throw InputError({}, "--accounting", "'" + accounting + "' is not valid (valid: seed, corrected)");
  const TableFormat format = format_from(p);

  CostModelOptions options;
  options.parallel = {p.get_int("tp", 1, 1, 4096), p.get_int("pp", 1, 1, 4096)};
  options.parallel.data_parallel = p.get_int("dp", 1, 1, 4096);
  options.parallel.expert_parallel = p.has("enable-expert-parallel");
  const std::string backend = p.get_or("all2all-backend", "allgather_reducescatter");
  const auto& backends = all2all_backend_names();
  for (std::size_t i = 0; i < backends.size(); ++i)
    if (iequals(backends[i], backend)) options.parallel.all2all_backend = static_cast<All2AllBackend>(i);
  if (options.parallel.all2all_backend != All2AllBackend::allgather_reducescatter && !options.parallel.expert_parallel)
    throw InputError({}, "--all2all-backend", fmt::format("'{}' needs --enable-expert-parallel", backend));
  options.quantization = quantization_from(p, model);
  options.kv_cache_dtype = p.get_or("kv-cache-dtype", "auto");
  options.accounting = accounting == "seed" ? Accounting::seed : Accounting::corrected;
  const InterconnectChoice links = choose_interconnects(p, libraries, gpu);
  options.intra_node = links.intra_node;
  options.inter_node = links.inter_node;
  const CostModel cost = [&] {
    try {
      return CostModel(model, gpu, options);
    } catch (const InputError& error) {
      // The layout checks name experiment keys; here the flags set them.
      if (error.key_path() == "enable_expert_parallel") throw InputError({}, "--enable-expert-parallel", error.message());
      if (error.key_path() == "data_parallel_size") throw InputError({}, "--dp", error.message());
      throw;
    }
  }();

  StepShape shape = cost.empty_shape();
  for (int64_t i = 0; i < batch; ++i) shape.add_sequence(cached_tokens, input_tokens);
  const StepBreakdown step = cost.breakdown(shape);

  double total_flops = 0, total_weights = 0;
  for (const auto& op : step.ops) {
    total_flops += op.count * op.work.flops;
    total_weights += op.count * op.work.weight_bytes;
  }
  const double width = dtype_bytes(model.dtype);
  const double kv_seq_len = static_cast<double>(cached_tokens + input_tokens);
  // K and V of every KV head, or MLA's one latent + RoPE key (kv_cache_elements_per_layer).
  const double kv_cache = kv_seq_len * static_cast<double>(model.kv_cache_elements_per_layer()) * width *
                          static_cast<double>(model.num_layers) * static_cast<double>(batch);
  const double embedding = static_cast<double>(model.hidden_size * model.vocab_size) * width;
  // The storage totals: an id for data, a label for people, the bytes and the formula.
  struct Storage {
    const char* id;
    const char* label;
    double bytes;
    std::string formula;
  };
  const std::vector<Storage> storage = {
      {"weights_per_gpu_per_step", "weights read per GPU per step", total_weights,
       "sum of weight bytes over all layers and model-level operators"},
      {"kv_cache", "KV cache", kv_cache,
       model.mla.enabled()
           ? fmt::format("kv_seq_len {} x MLA latent {} x {} B x {} layers x batch {}", kv_seq_len,
                         model.mla.latent_cache_width(), width, model.num_layers, batch)
           : fmt::format("kv_seq_len {} x kv_dims {} x 2 x {} B x {} layers x batch {}", kv_seq_len, model.kv_dim(),
                         width, model.num_layers, batch)},
      {"embedding_table", "embedding table", embedding, "hidden_size x vocab_size x dtype"}};

  if (format != TableFormat::table) {
    const DataTable operators = operators_table(cost, step);
    if (format == TableFormat::csv) {
      out << operators.csv();
      return kExitOk;
    }
    DataTable storage_rows({"component", "bytes", "formula"});
    for (const Storage& s : storage) storage_rows.add_row({s.id, data_number(s.bytes), s.formula});
    nlohmann::ordered_json j;
    j["operators"] = operators.json();
    j["storage"] = storage_rows.json();
    j["step"] = step_record(total_flops, step).row_json(0);
    out << j.dump(2) << "\n";
    return kExitOk;
  }

  out << fmt::format("{} on {}{} (TP {}, PP {}): batch {} x ({} new + {} cached tokens), {} accounting\n",
                     model.id, gpu.id, p.has("gpu") ? "" : " (the default GPU; --gpu to change)", options.parallel.tensor_parallel, options.parallel.pipeline_parallel, batch,
                     input_tokens, cached_tokens, accounting);
  out << fmt::format("per GPU: {} query heads, {} KV heads, FFN width {}; GEMMs at {:.0f} TFLOP/s peak, HBM {:.2f} TB/s\n",
                     static_cast<int64_t>(cost.geometry().q_dim) / model.head_dim,
                     static_cast<int64_t>(cost.geometry().kv_dim) / model.head_dim,
                     static_cast<int64_t>(cost.geometry().ffn_width), cost.gemm_peak_flops_per_s() / 1e12,
                     gpu.memory_bandwidth_bytes_per_s / 1e12);
  for (std::size_t k = 0; k < cost.layer_kinds().size(); ++k) {
    const LayerKind& kind = cost.layer_kinds()[k];
    out << fmt::format("\none {} layer (x {} layers):\n", kind.label(), kind.count);
    TextTable table(kHeaders);
    double flops = 0, weights = 0, inputs = 0, outputs = 0, time = 0;
    for (const auto& op : step.ops) {
      if (op.layer_kind != static_cast<int>(k)) continue;
      table.add_row(op_row(op));
      flops += op.work.flops;
      weights += op.work.weight_bytes;
      inputs += op.work.input_bytes;
      outputs += op.work.output_bytes;
      time += op.time.time_s;
    }
    table.add_separator();
    table.add_row({"layer total", exact(flops), exact(weights), exact(inputs), exact(outputs),
                   fmt::format("{:.2f}", flops / (weights + inputs + outputs)), format_seconds(time), ""});
    table.print(out);
  }
  out << "\nmodel-level operators:\n";
  TextTable model_ops(kHeaders);
  for (const auto& op : step.ops)
    if (op.layer_kind < 0) model_ops.add_row(op_row(op));
  model_ops.print(out);

  out << fmt::format("\nstep: {} FLOPs per GPU, predicted {} ({} on GPUs, {} pipeline transfers, {} CPU)\n",
                     exact(total_flops), format_seconds(step.latency_s),
                     format_seconds(step.latency_s - step.transfer_time_s - step.cpu_overhead_s),
                     format_seconds(step.transfer_time_s), format_seconds(step.cpu_overhead_s));
  out << "\nstorage totals (whole model, the seed's formulas):\n";
  TextTable storage_table({"component", "bytes", "human", "formula"});
  for (const Storage& s : storage) storage_table.add_row({s.label, exact(s.bytes), format_bytes(s.bytes), s.formula});
  storage_table.print(out);
  if (accounting == "seed")
    out << "\nnote: seed accounting reproduces the analyzer's formulas, including its S.V count over the KV heads'\n"
           "width and ActMul's (4+1)*intermediate + n_tokens; --accounting corrected shows the work the\n"
           "simulator's cost model uses.\n";
  return kExitOk;
}

}  // namespace llmpo
