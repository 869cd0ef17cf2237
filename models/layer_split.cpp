#include "layer_split.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "parallel_config.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

namespace llmpo {

namespace {

// Largest-remainder rounding of `total` layers in proportion to `weights`, at least one each.
std::vector<int64_t> proportional_layers(int64_t total, const std::vector<double>& weights) {
  const double sum = [&] {
    double s = 0;
    for (double w : weights) s += std::max(w, 0.0);
    return s;
  }();
  const std::size_t n = weights.size();
  std::vector<int64_t> layers(n, 1);
  int64_t remaining = total - static_cast<int64_t>(n);
  std::vector<double> exact(n);
  for (std::size_t i = 0; i < n; ++i) {
    exact[i] = sum > 0 ? static_cast<double>(remaining) * std::max(weights[i], 0.0) / sum : 0;
    layers[i] += static_cast<int64_t>(std::floor(exact[i]));
  }
  int64_t assigned = 0;
  for (auto l : layers) assigned += l;
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return exact[a] - std::floor(exact[a]) > exact[b] - std::floor(exact[b]);
  });
  for (std::size_t k = 0; assigned < total; k = (k + 1) % n, ++assigned) layers[order[k]] += 1;
  return layers;
}

std::string hf_device_map(const ModelSpec& model, const std::vector<LayerSplitGpu>& gpus) {
  std::string out = "{\"model.embed_tokens\": 0";
  for (std::size_t g = 0; g < gpus.size(); ++g)
    for (int64_t l = gpus[g].first_layer; l < gpus[g].first_layer + gpus[g].layers; ++l)
      out += fmt::format(", \"model.layers.{}\": {}", l, g);
  const std::size_t last = gpus.size() - 1;
  out += fmt::format(", \"model.norm\": {}, \"lm_head\": {}}}", last, model.tie_word_embeddings ? 0 : last);
  return out;
}


// "q4_k_m" -> "Q4_K_M", as GGUF file names spell the quantization.
std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The `vllm serve` line for these GPUs, and what it can and cannot do with them (vLLM's flags:
// vllm/engine/arg_utils.py; GGUF: docs/features/quantization/gguf.md).
//  - Pipeline parallelism gives each GPU its own run of layers (VLLM_PP_LAYER_PARTITION), so
//    unequal GPUs are both used; vLLM then keeps the same number of KV blocks on every GPU (the
//    smallest; kv_cache_utils.py get_kv_cache_configs), which the split's capacity already is.
//  - Tensor parallelism shards every layer equally: each GPU must hold 1/N of the model, so the
//    smallest GPU sets the limit and the larger one's extra memory goes unused.
//  - GGUF loads from one local .gguf file with the base model's tokenizer; vLLM documents it with
//    tensor parallelism only, so for GGUF the line is TP, offered when TP fits the smallest GPU.
//  - AWQ/GPTQ/INT4/INT8 weights come from a checkpoint quantized that way (vLLM reads the method
//    from its config); FP8 quantizes a 16-bit checkpoint at load time (--quantization fp8).
void set_vllm_launch(LayerSplit& split, const ModelSpec& model, const std::vector<double>& gpu_memory_bytes,
                     const MemoryPlanRequest& request, const std::string& partition, int64_t max_len) {
  const std::size_t n = gpu_memory_bytes.size();
  const std::string hf = model.hf_id.empty() ? model.id : model.hf_id;
  const std::string base = hf.substr(hf.find('/') == std::string::npos ? 0 : hf.find('/') + 1);
  const std::string& q = find_quantization(request.quantization).name;
  const std::string common = fmt::format("--max-model-len {} --gpu-memory-utilization {}", max_len, request.gpu_memory_utilization);
  // Tensor parallelism over all n GPUs, each held to the smallest one's memory.
  MemoryPlanRequest tp_request = request;
  tp_request.parallel = {static_cast<int64_t>(n), 1};
  tp_request.gpu_memory_bytes = *std::min_element(gpu_memory_bytes.begin(), gpu_memory_bytes.end());
  bool tp_fits = false;
  try {
    check_parallel_config(model, tp_request.parallel);
    tp_fits = plan_memory(model, tp_request).fits;
  } catch (const InputError&) {
    // TP n does not divide the heads: no TP line.
  }
  const std::string tp_limit = fmt::format("tensor parallelism shards every layer equally, so each GPU is held to the "
                                           "smallest one's {:.0f} GiB", tp_request.gpu_memory_bytes / kGiB);
  if (q.rfind("gguf", 0) == 0) {
    const std::string file = fmt::format("./{}-{}.gguf", base, upper(q.substr(5)));
    if (tp_fits) {
      split.vllm_flags = fmt::format("vllm serve {} --tokenizer {} --tensor-parallel-size {} {}", file, hf, n, common);
      split.vllm_note = fmt::format("{} is your single-file GGUF of {}; {} (the layer split above is for llama.cpp "
                                    "and Accelerate)", file, hf, tp_limit);
    } else {
      split.vllm_note = fmt::format("no vLLM line: vLLM serves GGUF with tensor parallelism, where {}, and TP {} "
                                    "does not fit there; llama.cpp's --tensor-split uses the split above", tp_limit, n);
    }
    return;
  }
  std::string model_arg = hf;
  std::string note = fmt::format("pipeline parallelism gives each GPU its layers; {}{}", tp_limit,
                                 tp_fits ? fmt::format(" (--tensor-parallel-size {} also fits)", n)
                                         : fmt::format(" (--tensor-parallel-size {} does not fit)", n));
  if (q == "awq" || q == "gptq" || q == "int4" || q == "int8") {
    model_arg = fmt::format("./{}-{}", base, upper(q));
    note = fmt::format("{} is a checkpoint of {} quantized with {} (vLLM reads the method from its config); ", model_arg, hf, upper(q)) + note;
  }
  split.vllm_flags = fmt::format("VLLM_PP_LAYER_PARTITION=\"{}\" vllm serve {} --pipeline-parallel-size {} {}{}", partition,
                                 model_arg, n, common, q == "fp8" ? " --quantization fp8" : "");
  split.vllm_note = note;
}

}  // namespace

LayerSplit split_layers(const ModelSpec& model, const std::vector<double>& gpu_memory_bytes,
                        const MemoryPlanRequest& request) {
  const std::size_t n = gpu_memory_bytes.size();
  if (n < 2) throw InputError({}, "gpus", "a split needs at least two GPUs, e.g. --gpus 24,12");
  if (static_cast<int64_t>(n) > model.num_layers)
    throw InputError({}, "gpus", fmt::format("{} GPUs for {} layers", n, model.num_layers));
  const QuantizationInfo& quantization = find_quantization(request.quantization);
  const double kv_per_layer_token = kv_bytes_per_layer_token_per_gpu(
      model, ParallelConfig{}, kv_cache_bytes_per_element(request.kv_cache_dtype, model.dtype));
  const double overhead = request.runtime_overhead_bytes >= 0 ? request.runtime_overhead_bytes
                                                              : default_runtime_overhead_bytes(ParallelConfig{});
  LayerSplit split;
  std::vector<double> free(n);
  // Each GPU also holds the activations of a forward pass; the last one the sampler's logits.
  auto usable = [&](std::size_t i) {
    return request.gpu_memory_utilization * gpu_memory_bytes[i] - overhead -
           activation_peak_bytes(model, request, i + 1 == n);
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!(gpu_memory_bytes[i] > 0)) throw InputError({}, "gpus", "every GPU memory size must be positive");
    free[i] = usable(i);
  }
  // The embedding and LM head are fixed costs of the first and last GPU: take them off before
  // sharing out the layers, so the split balances what is left.
  const ParallelConfig one_gpu;
  free.front() -= stage_weight_bytes(model, one_gpu, quantization, 0, 0);
  free.back() -= stage_weight_bytes(model, one_gpu, quantization, model.num_layers, 0);
  const auto layers = proportional_layers(model.num_layers, free);

  int64_t first = 0;
  split.kv_capacity_tokens = INT64_MAX;
  for (std::size_t i = 0; i < n; ++i) {
    LayerSplitGpu gpu;
    gpu.memory_bytes = gpu_memory_bytes[i];
    gpu.free_bytes = usable(i);
    gpu.first_layer = first;
    gpu.layers = layers[i];
    gpu.weight_bytes = stage_weight_bytes(model, one_gpu, quantization, first, layers[i]);
    gpu.kv_cache_bytes = gpu.free_bytes - gpu.weight_bytes;
    const double per_token = kv_per_layer_token * static_cast<double>(layers[i]);
    const int64_t blocks = gpu.kv_cache_bytes > 0
        ? static_cast<int64_t>(std::floor(gpu.kv_cache_bytes / (per_token * static_cast<double>(request.block_size))))
        : 0;
    gpu.kv_capacity_tokens = blocks * request.block_size;
    split.kv_capacity_tokens = std::min(split.kv_capacity_tokens, gpu.kv_capacity_tokens);
    split.gpus.push_back(gpu);
    first += layers[i];
  }
  const int64_t max_len = request.max_model_len > 0 ? request.max_model_len : model.max_position_embeddings;
  split.fits = split.kv_capacity_tokens >= max_len;
  split.verdict = split.fits
      ? fmt::format("fits: the KV cache holds {} tokens ({} sequences of {})", split.kv_capacity_tokens,
                    split.kv_capacity_tokens / max_len, max_len)
      : fmt::format("does not fit at max_model_len {}: the KV cache holds {} tokens", max_len,
                    std::max<int64_t>(split.kv_capacity_tokens, 0));

  std::string partition;
  for (std::size_t i = 0; i < n; ++i) {
    // Appended piece by piece (GCC 12 -O3 false -Wstringop-overflow on `const char* + string&&`).
    if (i) partition += ',';
    partition += std::to_string(layers[i]);
  }
  set_vllm_launch(split, model, gpu_memory_bytes, request, partition, max_len);
  split.llama_cpp_flags = fmt::format("--split-mode layer --tensor-split {} --n-gpu-layers {}", partition,
                                      model.num_layers + 1);
  split.hf_device_map = hf_device_map(model, split.gpus);
  return split;
}

}  // namespace llmpo
