#include "quantization.hpp"

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {
// Byte factors of the DualGPUOptimizer seed (shared/seeds/dualgpuoptimizer-model-profiles.md,
// QuantizationType: fraction of FP16 size) times 2 bytes per FP16 parameter.
constexpr const char* kSeed = "DualGPUOptimizer QuantizationType factor x 2 bytes (FP16)";
}  // namespace

const std::vector<QuantizationInfo>& quantization_schemes() {
  static const std::vector<QuantizationInfo> schemes = {
      {"none", 0.0, false, GemmMath::activation_dtype, "the model's published dtype"},
      {"fp8", 1.0, false, GemmMath::fp8, "one byte per FP8 weight (per-tensor scales are negligible)"},
      {"int8", 0.5 * 2, false, GemmMath::int8, kSeed},
      {"int4", 0.25 * 2, false, GemmMath::activation_dtype, kSeed},
      {"gptq", 0.25 * 2, false, GemmMath::activation_dtype, kSeed},
      {"awq", 0.25 * 2, false, GemmMath::activation_dtype, kSeed},
      {"gguf_q4_k_m", 0.27 * 2, true, GemmMath::activation_dtype, kSeed},
      {"gguf_q5_k_m", 0.33 * 2, true, GemmMath::activation_dtype, kSeed},
      {"gguf_q8_0", 0.52 * 2, true, GemmMath::activation_dtype, kSeed},
  };
  return schemes;
}

const QuantizationInfo& find_quantization(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& scheme : quantization_schemes()) {
    if (iequals(scheme.name, name)) return scheme;
    names.push_back(scheme.name);
  }
  // Common spellings of the GGUF names, e.g. "Q4_K_M".
  for (const auto& scheme : quantization_schemes())
    if (iequals(scheme.name, "gguf_" + name)) return scheme;
  std::string message = "unknown quantization '" + name + "' (valid: " + join(names) + ")";
  const std::string hint = did_you_mean(name, names);
  if (!hint.empty()) message += "; " + hint;
  throw InputError({}, "quantization", message);
}

double dtype_bytes(const std::string& dtype) {
  if (dtype == "float32") return 4.0;
  if (dtype == "bfloat16" || dtype == "float16") return 2.0;
  throw InputError({}, "dtype", "unknown dtype '" + dtype + "' (valid: float32, bfloat16, float16)");
}

const std::vector<std::string>& kv_cache_dtypes() {
  static const std::vector<std::string> names = {"auto", "bfloat16", "float16", "fp8", "fp8_e4m3", "fp8_e5m2"};
  return names;
}

double kv_cache_bytes_per_element(const std::string& kv_cache_dtype, const std::string& model_dtype) {
  const std::string lowered = to_lower(kv_cache_dtype);
  if (lowered == "auto") return dtype_bytes(model_dtype);
  if (lowered == "bfloat16" || lowered == "float16") return 2.0;
  if (lowered == "fp8" || lowered == "fp8_e4m3" || lowered == "fp8_e5m2") return 1.0;
  std::string message = "unknown KV-cache dtype '" + kv_cache_dtype + "' (valid: " + join(kv_cache_dtypes()) + ")";
  const std::string hint = did_you_mean(kv_cache_dtype, kv_cache_dtypes());
  if (!hint.empty()) message += "; " + hint;
  throw InputError({}, "kv_cache_dtype", message);
}

}  // namespace llmpo
