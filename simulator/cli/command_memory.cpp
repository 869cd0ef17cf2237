// `llmperforacle memory`: weights, KV bytes per token, activation peak and KV capacity of one
// configuration, computed as vLLM sizes its KV cache; or a layer split over unequal GPUs
// (--gpus 24+12). Either exits 3 (DoesNotFit) when the model does not fit, naming what would.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "simulator/experiment/fit_advice.hpp"
#include "frameworks/framework_config.hpp"
#include "models/layer_split.hpp"
#include "models/memory_plan.hpp"
#include "models/quantization.hpp"
#include "output_format.hpp"
#include "setup.hpp"
#include "single_deployment.hpp"
#include "simulator/util/data_table.hpp"
#include "simulator/util/does_not_fit.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/flag_errors.hpp"
#include "simulator/util/table.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

void declare_memory_options(ArgParser& p) {
  p.option("model", "NAME|config.json", "model library name, HF id, family:size tag, or a HF config.json", "", true);
  p.option("gpu", "NAME", "GPU library name (see `list gpus`) or a GPU .yaml file");
  p.option("gpus", "GiB+GiB...", "unequal GPUs to split the layers over, in GiB: 24+12 or 24,12 (instead of --gpu)");
  p.option("tp", "N", "tensor-parallel degree", "1");
  p.option("pp", "N", "pipeline-parallel degree", "1");
  declare_vllm_parallel_aliases(p);
  p.option("dp", "N", "data-parallel ranks (vLLM --data-parallel-size): an MoE model's experts are shared over TP x DP "
                      "ranks; the plan is one rank's GPU",
           "1");
  p.alias("dp", "--data-parallel-size");
  p.flag("enable-expert-parallel", "shard an MoE model's routed experts whole over TP x DP ranks (vLLM --enable-expert-parallel)");
  p.option("quantization", "Q", "weight quantization (see `list quantizations`)", "none, or the one an Ollama tag names");
  p.option("kv-cache-dtype", "T", "auto, bfloat16, float16, fp8", "auto");
  p.option("max-model-len", "TOKENS", "longest sequence to serve", "the model's max_position_embeddings");
  p.option("gpu-memory-utilization", "U", "fraction of GPU memory vLLM may use", "0.9");
  p.option("max-num-batched-tokens", "N", "tokens of vLLM's profiling forward pass",
           "vllm serve's: 8192 on >= 70 GiB GPUs except A100, else 2048");
  p.option("max-num-seqs", "N", "sequences of vLLM's profiling sampler pass", "vllm serve's: 1024 or 256, likewise");
  p.option("block-size", "TOKENS", "KV-cache block size", "16");
  p.option("overhead-gib", "GiB", "non-torch memory increase per GPU (cuBLAS, NCCL buffers)", "0.1, or 1.5 with TP > 1");
  p.option("vllm-version", "V", "vLLM release whose rules apply (CUDA-graph memory in the KV budget from 0.21)",
           "0.19");
  p.multi("context", "TOKENS", "also report concurrent sequences at these context lengths");
  declare_format_option(p, "text = table; csv and json: the figures in bytes and tokens, one record (json: an "
                           "object; csv: a header and one row of the same names), fits as true/false; with --gpus, "
                           "one row per GPU");
  p.choices("format", {"table", "csv", "json", "text"});  // `text`: this command's older name for table
}

MemoryPlanRequest request_from(const ArgParser& p, const ModelSpec& model, double gpu_memory_bytes,
                               const std::string& gpu_name) {
  const VllmDefaultLimits defaults = vllm_default_limits(gpu_memory_bytes, gpu_name);
  MemoryPlanRequest r;
  r.parallel.tensor_parallel = p.get_int("tp", 1, 1, 4096);
  r.parallel.pipeline_parallel = p.get_int("pp", 1, 1, 4096);
  r.parallel.data_parallel = p.get_int("dp", 1, 1, 4096);
  r.parallel.expert_parallel = p.has("enable-expert-parallel");
  r.quantization = quantization_from(p, model);
  r.kv_cache_dtype = p.get_or("kv-cache-dtype", "auto");
  r.gpu_memory_bytes = gpu_memory_bytes;
  r.gpu_memory_utilization = p.get_double("gpu-memory-utilization", 0.9, 1e-6, 1.0);
  r.max_model_len = p.get_int("max-model-len", 0, 1, int64_t{1} << 40);
  r.max_num_batched_tokens = p.get_int("max-num-batched-tokens", defaults.max_num_batched_tokens, 1, int64_t{1} << 32);
  r.max_num_seqs = p.get_int("max-num-seqs", defaults.max_num_seqs, 1, int64_t{1} << 32);
  r.block_size = p.get_int("block-size", 16, 1, 1 << 20);
  r.runtime_overhead_bytes = p.has("overhead-gib") ? p.get_double("overhead-gib", 0, 0, 1e6) * kGiB : -1;
  // vLLM >= 0.21 takes its CUDA-graph memory estimate off the KV budget (gpu_worker.py).
  VllmSettings vllm;
  vllm.max_num_seqs = r.max_num_seqs;
  vllm.max_num_batched_tokens = r.max_num_batched_tokens;
  vllm.vllm_version = vllm_behaviour(p.get_or("vllm-version", default_vllm_version())).version;
  r.cudagraph_memory_bytes = vllm_cudagraph_memory_bytes(vllm);
  return r;
}

std::vector<int64_t> contexts_from(const ArgParser& p) {
  std::vector<int64_t> contexts;
  for (const auto& text : p.get_all("context")) {
    try {
      std::size_t used = 0;
      const long long value = std::stoll(text, &used);
      if (used == text.size() && value > 0) {
        contexts.push_back(value);
        continue;
      }
    } catch (const std::exception&) {
    }
    throw InputError({}, "--context", "expected positive token counts, got '" + text + "'");
  }
  return contexts;
}

std::string plan_heading(const ModelSpec& model, const GpuSpec& gpu, const MemoryPlanRequest& r) {
  const std::string typed = model.typed_tag.empty() ? "" : " (" + model.typed_tag + ")";
  return fmt::format("{}{} on {} x {} (TP {}, PP {}), weights {}, KV cache {}\n", model.id, typed, r.parallel.gpus(), gpu.id,
                     r.parallel.tensor_parallel, r.parallel.pipeline_parallel,
                     weight_format_label(model, r.quantization),
                     r.kv_cache_dtype == "auto" ? model.dtype + " (auto)" : r.kv_cache_dtype);
}

TextTable plan_table(const ModelSpec& model, const MemoryPlanRequest& r, const MemoryPlan& plan,
                     const std::vector<int64_t>& contexts) {
  const auto& stage = plan.limiting();
  const double tp = static_cast<double>(r.parallel.tensor_parallel);
  TextTable table({"quantity", "value", "how it is computed"});
  table.add_row({"GPU memory", format_bytes(r.gpu_memory_bytes), "capacity the driver reports, per GPU"});
  table.add_row({"budget", format_bytes(plan.budget_bytes), fmt::format("gpu_memory_utilization {} x capacity", r.gpu_memory_utilization)});
  table.add_row({"weights per GPU", format_bytes(stage.weight_bytes),
                 fmt::format("{} layers of {} (model total {}), TP shards heads, FFN and vocabulary", stage.layers,
                             model.num_layers, format_bytes(plan.weight_bytes_model))});
  table.add_row({"RoPE cache", format_bytes(stage.rope_cache_bytes), "cos/sin cache: max_position x head_dim, built at load"});
  table.add_row({"  forward peak", format_bytes(stage.forward_peak_bytes),
                 fmt::format("profiling forward of {} tokens, widest layer", r.max_num_batched_tokens)});
  table.add_row({"  sampler peak", format_bytes(stage.sampler_peak_bytes),
                 fmt::format("dummy top-k/top-p sampler over {} seqs, 28 B per logit (last stage)", r.max_num_seqs)});
  table.add_row({"activation peak", format_bytes(stage.activation_peak_bytes), "torch peak: the larger of the two"});
  table.add_row({"runtime overhead", format_bytes(plan.runtime_overhead_bytes),
                 "non-torch memory increase: cuBLAS, kernels, NCCL (estimate)"});
  table.add_row({"CUDA-graph memory", format_bytes(plan.cudagraph_memory_bytes),
                 "vLLM >= 0.21 estimate, ~23 MiB per captured graph (0 before)"});
  table.add_row({"KV cache per GPU", format_bytes(stage.kv_cache_bytes),
                 "budget - weights - RoPE - activation peak - overhead - CUDA graphs"});
  table.add_row({"KV page groups", fmt::format("{} + {}", stage.kv_layout.full_groups, stage.kv_layout.sliding_groups),
                 fmt::format("full + sliding-window groups of {} layer(s){}", stage.kv_layout.group_size_layers,
                             stage.kv_layout.hybrid() ? fmt::format(", window {} tokens", stage.kv_layout.window_tokens) : "")});
  const double kv_element_bytes =
      plan.kv_bytes_per_token_model / static_cast<double>(model.num_layers * model.kv_cache_elements_per_layer());
  if (model.mla.enabled()) {
    // MLA caches one latent per token and layer; every TP rank holds all of it.
    table.add_row({"KV bytes per token (model)", format_thousands(static_cast<int64_t>(plan.kv_bytes_per_token_model)),
                   fmt::format("{} layers x MLA latent ({} kv_lora_rank + {} rope) x {} B", model.num_layers,
                               model.mla.kv_lora_rank, model.mla.qk_rope_head_dim, kv_element_bytes)});
    table.add_row({"KV bytes per token per GPU", format_thousands(static_cast<int64_t>(stage.kv_bytes_per_token)),
                   fmt::format("this GPU's {} layers, the whole latent replicated on each of {} TP rank(s)", stage.layers,
                               r.parallel.tensor_parallel)});
  } else {
    table.add_row({"KV bytes per token (model)", format_thousands(static_cast<int64_t>(plan.kv_bytes_per_token_model)),
                   fmt::format("2 x {} layers x {} KV heads x {} head_dim x {} B", model.num_layers, model.num_kv_heads,
                               model.head_dim, kv_element_bytes)});
    table.add_row({"KV bytes per token per GPU", format_thousands(static_cast<int64_t>(stage.kv_bytes_per_token)),
                   fmt::format("this GPU's {} layers and {} KV head(s)", stage.layers,
                               std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(model.num_kv_heads) / tp)))});
  }
  table.add_row({"KV blocks", format_thousands(plan.num_gpu_blocks),
                 fmt::format("floor(KV cache / ({} tokens x {} layer(s) x bytes per token per layer))", r.block_size,
                             stage.kv_layout.group_size_layers)});
  table.add_row({"KV capacity (tokens)", format_thousands(plan.kv_capacity_tokens), "blocks / groups x block_size"});
  table.add_row({"max concurrent seqs", format_thousands(plan.max_concurrent_seqs),
                 fmt::format("at max_model_len {}", plan.max_model_len)});
  for (int64_t context : contexts)
    table.add_row({fmt::format("  at {} tokens", context), format_thousands(plan.concurrent_sequences_at(context)),
                   "sequences whose blocks fit at once"});
  return table;
}

// The plan as data, for --format csv|json: bytes and token counts, never "32.86 GiB" or
// "196,608". JSON prints it as one object, CSV as a header and one row with the same names.
DataTable plan_record(const ModelSpec& model, const GpuSpec& gpu, const MemoryPlanRequest& r, const MemoryPlan& plan,
                      const std::vector<int64_t>& contexts) {
  const auto& stage = plan.limiting();
  const auto whole = [](int64_t v) { return std::to_string(v); };
  std::vector<std::pair<std::string, std::string>> cells = {
      {"model", model.id},
      {"gpu", gpu.id},
      {"tensor_parallel", whole(r.parallel.tensor_parallel)},
      {"pipeline_parallel", whole(r.parallel.pipeline_parallel)},
      {"quantization", r.quantization},
      {"kv_cache_dtype", r.kv_cache_dtype},
      {"gpu_memory_bytes", data_number(r.gpu_memory_bytes)},
      {"gpu_memory_utilization", data_number(r.gpu_memory_utilization)},
      {"budget_bytes", data_number(plan.budget_bytes)},
      {"weight_bytes_per_gpu", data_number(stage.weight_bytes)},
      {"weight_bytes_model", data_number(plan.weight_bytes_model)},
      {"activation_peak_bytes", data_number(stage.activation_peak_bytes)},
      {"runtime_overhead_bytes", data_number(plan.runtime_overhead_bytes)},
      {"rope_cache_bytes", data_number(stage.rope_cache_bytes)},
      {"forward_peak_bytes", data_number(stage.forward_peak_bytes)},
      {"sampler_peak_bytes", data_number(stage.sampler_peak_bytes)},
      {"cudagraph_memory_bytes", data_number(plan.cudagraph_memory_bytes)},
      {"kv_full_groups", whole(stage.kv_layout.full_groups)},
      {"kv_sliding_groups", whole(stage.kv_layout.sliding_groups)},
      {"kv_group_size_layers", whole(stage.kv_layout.group_size_layers)},
      {"block_bytes", data_number(stage.block_bytes)},
      {"kv_cache_bytes_per_gpu", data_number(stage.kv_cache_bytes)},
      {"kv_bytes_per_token_model", data_number(plan.kv_bytes_per_token_model)},
      {"kv_bytes_per_token_per_gpu", data_number(stage.kv_bytes_per_token)},
      {"block_size", whole(plan.block_size)},
      {"num_gpu_blocks", whole(plan.num_gpu_blocks)},
      {"kv_capacity_tokens", whole(plan.kv_capacity_tokens)},
      {"max_model_len", whole(plan.max_model_len)},
      {"max_concurrent_seqs", whole(plan.max_concurrent_seqs)},
  };
  for (int64_t context : contexts)
    cells.emplace_back(fmt::format("concurrent_seqs_at_{}_tokens", context), whole(plan.concurrent_sequences_at(context)));
  cells.emplace_back("fits", data_bool(plan.fits));
  cells.emplace_back("verdict", plan.verdict);
  return DataTable::record(std::move(cells));
}

// "24+12" (the DualGPUOptimizer seed's notation) or "24,12": GPU sizes in GiB.
std::vector<double> parse_gib_list(const std::string& text) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find_first_of("+,", start), text.size());
    const std::string item = text.substr(start, end - start);
    try {
      std::size_t used = 0;
      const double value = std::stod(item, &used);
      if (used == item.size() && value > 0 && std::isfinite(value)) {
        out.push_back(value * kGiB);
        start = end + 1;
        continue;
      }
    } catch (const std::exception&) {
    }
    throw InputError({}, "--gpus", "expected GPU sizes in GiB joined by + or , such as 24+12 or 24,12, got '" + text + "'");
  }
  return out;
}

// The split per GPU as data: bytes, layer numbers and token counts (csv's rows, json's "gpus").
DataTable split_table(const LayerSplit& split) {
  DataTable table({"gpu", "memory_bytes", "first_layer", "layers", "weight_bytes", "kv_cache_bytes", "kv_capacity_tokens"});
  for (std::size_t i = 0; i < split.gpus.size(); ++i) {
    const auto& g = split.gpus[i];
    table.add_row({std::to_string(i), data_number(g.memory_bytes), std::to_string(g.first_layer), std::to_string(g.layers),
                   data_number(g.weight_bytes), data_number(g.kv_cache_bytes), std::to_string(g.kv_capacity_tokens)});
  }
  return table;
}

// The verdict and the launch flags: after the table, or on stderr under --format csv. A split
// that does not fit gets no launch line (none would start); the error after it says what fits.
std::string split_trailer(const LayerSplit& split) {
  std::string out = "verdict: " + split.verdict + "\n";
  if (!split.fits) return out;
  out += "\nlaunch flags:\n  vLLM:      " + (split.vllm_flags.empty() ? "(none)" : split.vllm_flags) + "\n";
  out += "             " + split.vllm_note + "\n";
  return out + "  llama.cpp: " + split.llama_cpp_flags + "\n  HF device_map: " + split.hf_device_map + "\n";
}

// What makes a split that does not fit fit, each checked by splitting again: a shorter context
// when the KV cache holds some tokens, else the first smaller weight format that fits.
std::string split_advice(const ModelSpec& model, const std::vector<double>& sizes, const MemoryPlanRequest& request,
                         const LayerSplit& split) {
  std::vector<std::string> remedies;
  if (split.kv_capacity_tokens > 0) {
    MemoryPlanRequest shorter = request;
    shorter.max_model_len = split.kv_capacity_tokens;
    if (split_layers(model, sizes, shorter).fits)
      remedies.push_back(fmt::format("--max-model-len {} (the longest context its KV cache holds)", split.kv_capacity_tokens));
  }
  const auto bytes_per_param = [&](const QuantizationInfo& q) {
    return q.weight_bytes_per_param > 0 ? q.weight_bytes_per_param : dtype_bytes(model.dtype);
  };
  std::vector<const QuantizationInfo*> smaller;
  for (const auto& q : quantization_schemes())
    if (bytes_per_param(q) < bytes_per_param(find_quantization(request.quantization))) smaller.push_back(&q);
  std::stable_sort(smaller.begin(), smaller.end(),
                   [&](const auto* a, const auto* b) { return bytes_per_param(*a) > bytes_per_param(*b); });
  for (const auto* q : smaller) {
    MemoryPlanRequest quantized = request;
    quantized.quantization = q->name;
    if (split_layers(model, sizes, quantized).fits) {
      remedies.push_back("--quantization " + q->name);
      break;
    }
  }
  return remedies.empty() ? "; no shorter --max-model-len or smaller --quantization fits these GPUs"
                          : "; would fit: " + join(remedies, ", or ");
}

void print_split(std::ostream& out, const ModelSpec& model, const LayerSplit& split) {
  out << fmt::format("{} split over {} GPUs by free memory (layers proportional to what each can hold)\n\n", model.id,
                     split.gpus.size());
  TextTable table({"gpu", "memory", "layers", "weights", "KV left", "KV tokens"});
  for (std::size_t i = 0; i < split.gpus.size(); ++i) {
    const auto& g = split.gpus[i];
    table.add_row({std::to_string(i), format_bytes(g.memory_bytes),
                   fmt::format("{}-{} ({})", g.first_layer, g.first_layer + g.layers - 1, g.layers),
                   format_bytes(g.weight_bytes), format_bytes(g.kv_cache_bytes), format_thousands(g.kv_capacity_tokens)});
  }
  table.print(out);
  out << "\n" << split_trailer(split);
}

int split_command(const ArgParser& p, const ModelSpec& model, std::ostream& out, TableFormat format) {
  const std::vector<double> sizes = parse_gib_list(p.get("gpus"));
  MemoryPlanRequest request = request_from(p, model, sizes.front(), "");
  const LayerSplit split = split_layers(model, sizes, request);
  if (format == TableFormat::table) {
    print_split(out, model, split);
  } else {
    const DataTable gpus = split_table(split);
    if (format == TableFormat::csv) {
      out << gpus.csv();
      narrative_stream(format, out) << split_trailer(split);
    } else {
      nlohmann::ordered_json j = {{"model", model.id}, {"gpus", gpus.json()}, {"fits", split.fits}, {"verdict", split.verdict}};
      if (split.fits)
        j["launch_flags"] = {{"vllm", split.vllm_flags},
                             {"vllm_note", split.vllm_note},
                             {"llama_cpp", split.llama_cpp_flags},
                             // already JSON text: nested as an object
                             {"hf_device_map", nlohmann::ordered_json::parse(split.hf_device_map)}};
      out << j.dump(2) << "\n";
    }
  }
  if (!split.fits)
    throw DoesNotFit(fmt::format("{} split over {}: {}{}", model.id, p.get("gpus"), split.verdict,
                                 split_advice(model, sizes, request, split)));
  return kExitOk;
}

}  // namespace

int command_memory(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle memory",
              "Weights per GPU, KV bytes per token, activation peak and KV-cache capacity, as vLLM computes them.");
  declare_memory_options(p);
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  // `text` was this command's name for the table before every command took --format.
  const TableFormat format = p.get_or("format", "table") == "text" ? TableFormat::table : format_from(p);
  const Libraries libraries = Libraries::load();
  const ModelSpec model = at_flag("--model", [&] { return resolve_model(p.get("model"), libraries.models); });
  if (p.has("gpus")) {
    if (p.has("gpu")) throw InputError({}, "--gpus", "give either --gpu or --gpus, not both");
    return split_command(p, model, out, format);
  }
  if (!p.has("gpu")) throw InputError({}, "--gpu", "is required (or --gpus for unequal GPUs)");
  const GpuSpec gpu = at_flag("--gpu", [&] { return resolve_gpu(p.get("gpu"), libraries.gpus); });
  const MemoryPlanRequest request = request_from(p, model, gpu.memory_bytes, gpu.id);
  const MemoryPlan plan = [&] {
    try {
      return plan_memory(model, request);
    } catch (const InputError& error) {
      // The layout checks name experiment keys; here the flags set them.
      if (error.key_path() == "enable_expert_parallel") throw InputError({}, "--enable-expert-parallel", error.message());
      if (error.key_path() == "data_parallel_size") throw InputError({}, "--dp", error.message());
      throw;
    }
  }();
  const std::vector<int64_t> contexts = contexts_from(p);
  if (format == TableFormat::table) {
    out << plan_heading(model, gpu, request) << "\n";
    plan_table(model, request, plan, contexts).print(out);
    out << "\nverdict: " << plan.verdict << "\n";
  } else {
    narrative_stream(format, out) << plan_heading(model, gpu, request);
    print_data_record(out, format, plan_record(model, gpu, request, plan, contexts));
  }
  // Not fitting is the answer to the question, but scripts must see it: exit 3 with one line
  // naming the flags that would make it fit.
  if (!plan.fits)
    throw DoesNotFit(fmt::format("{} on {} x {}: {}{}", model.id, request.parallel.gpus(), gpu.id, plan.verdict,
                                 describe_fit_advice(fit_advice(model, gpu, libraries.gpus, request), gpu, request,
                                                     AdviceTerms::flags)));
  return kExitOk;
}

}  // namespace llmpo
