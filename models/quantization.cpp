#include "quantization.hpp"

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {
// Byte factors of the DualGPUOptimizer seed (shared/seeds/dualgpuoptimizer-model-profiles.md,
// QuantizationType: fraction of FP16 size) times 2 bytes per FP16 parameter.
constexpr const char* kSeed = "DualGPUOptimizer QuantizationType factor x 2 bytes (FP16)";

// GGUF files: the bits per weight of the whole file (every tensor, embeddings and norms
// included) that llama.cpp publishes for meta-llama/Llama-3.1-8B in tools/quantize/README.md
// (table "Quant Type | bits/weight"), divided by 8. The k-quant mixes keep some tensors at a
// wider type (Q4_K_M: half of attn_v and ffn_down at Q6_K), so a whole-file figure is the one
// that gives a file's size.
constexpr const char* kLlamaCpp = "llama.cpp tools/quantize/README.md: bits/weight of Llama-3.1-8B / 8";
// Formats that table leaves out. Legacy formats: the ggml block layout (ggml-common.h), e.g.
// block_q4_0 = one fp16 scale + 32 four-bit weights = 18 bytes per 32 weights = 4.5 bits.
constexpr const char* kGgmlBlock = "ggml block layout (ggml-common.h): bytes per 32-weight block / 32";
constexpr const char* kLlamaCppLlama2 = "llama.cpp quantize README, Llama 2 7B table: 3.91 bits/weight / 8";
constexpr double bits(double bits_per_weight) { return bits_per_weight / 8.0; }
constexpr const char* kFp8Block = "e4m3 byte + one fp32 scale per 128x128 block (DeepSeek-V3 quantization_config)";
constexpr const char* kMxfp4 = "OCP Microscaling v1.0: 32 e2m1 values (4 bit) share one e8m0 scale = 4.25 bits";
}  // namespace

const std::vector<QuantizationInfo>& quantization_schemes() {
  static const std::vector<QuantizationInfo> schemes = {
      {"none", 0.0, false, GemmMath::activation_dtype, "the model's published dtype", ""},
      {"fp8", 1.0, false, GemmMath::fp8, "one byte per FP8 weight (per-tensor scales are negligible)", ""},
      // DeepSeek-V3's checkpoint: e4m3 weights with one fp32 scale per 128 x 128 block
      // (quantization_config weight_block_size [128, 128]); vLLM runs them on FP8 tensor cores.
      {"fp8_block", 1.0 + 4.0 / (128 * 128), false, GemmMath::fp8, kFp8Block, ""},
      // OCP MXFP4: 4-bit e2m1 values with one e8m0 (1-byte) scale per 32 = 4.25 bits. On Hopper
      // and older vLLM dequantises in the kernel (Marlin, triton matmul_ogs): bytes saved, math
      // in 16 bit. Blackwell's FP4 tensor cores are not modelled (the GPU presets list no fp4
      // peak), so MXFP4 GEMMs run at the 16-bit peak everywhere.
      {"mxfp4", bits(4.0 + 8.0 / 32), false, GemmMath::activation_dtype, kMxfp4, ""},
      {"int8", 0.5 * 2, false, GemmMath::int8, kSeed, ""},
      {"int4", 0.25 * 2, false, GemmMath::activation_dtype, kSeed, ""},
      {"gptq", 0.25 * 2, false, GemmMath::activation_dtype, kSeed, ""},
      {"awq", 0.25 * 2, false, GemmMath::activation_dtype, kSeed, ""},
      {"gguf_q2_k", bits(3.1593), true, GemmMath::activation_dtype, kLlamaCpp, "q2_K"},
      {"gguf_q3_k_s", bits(3.6429), true, GemmMath::activation_dtype, kLlamaCpp, "q3_K_S"},
      {"gguf_q3_k_m", bits(3.91), true, GemmMath::activation_dtype, kLlamaCppLlama2, "q3_K_M"},
      {"gguf_q3_k_l", bits(4.2979), true, GemmMath::activation_dtype, kLlamaCpp, "q3_K_L"},
      {"gguf_q4_0", bits(18.0 * 8 / 32), true, GemmMath::activation_dtype, kGgmlBlock, "q4_0"},  // fp16 scale + 16 B
      {"gguf_q4_1", bits(20.0 * 8 / 32), true, GemmMath::activation_dtype, kGgmlBlock, "q4_1"},  // scale, min + 16 B
      {"gguf_q4_k_s", bits(4.6672), true, GemmMath::activation_dtype, kLlamaCpp, "q4_K_S"},
      {"gguf_q4_k_m", bits(4.8944), true, GemmMath::activation_dtype, kLlamaCpp, "q4_K_M"},
      {"gguf_q5_0", bits(22.0 * 8 / 32), true, GemmMath::activation_dtype, kGgmlBlock, "q5_0"},  // scale, 4 B high bits + 16 B
      {"gguf_q5_1", bits(24.0 * 8 / 32), true, GemmMath::activation_dtype, kGgmlBlock, "q5_1"},  // scale, min, 4 B + 16 B
      {"gguf_q5_k_s", bits(5.5704), true, GemmMath::activation_dtype, kLlamaCpp, "q5_K_S"},
      {"gguf_q5_k_m", bits(5.7036), true, GemmMath::activation_dtype, kLlamaCpp, "q5_K_M"},
      {"gguf_q6_k", bits(6.5633), true, GemmMath::activation_dtype, kLlamaCpp, "q6_K"},
      {"gguf_q8_0", bits(8.5008), true, GemmMath::activation_dtype, kLlamaCpp, "q8_0"},
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

const QuantizationInfo* quantization_of_tag_suffix(const std::string& suffix) {
  // Ollama names its unquantized builds fp16; llama.cpp writes f16 / bf16. All are 16-bit
  // weights: the model's own dtype for the bfloat16 / float16 models of the library.
  if (iequals(suffix, "fp16") || iequals(suffix, "f16") || iequals(suffix, "bf16")) return &quantization_schemes().front();
  for (const auto& scheme : quantization_schemes())
    if (!scheme.ollama_tag.empty() && iequals(scheme.ollama_tag, suffix)) return &scheme;
  return nullptr;
}

const QuantizationInfo& shipped_or_asked(const std::string& shipped_name, const QuantizationInfo& asked) {
  return asked.name == "none" ? find_quantization(shipped_name) : asked;
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
