#pragma once
// Weight quantization and KV-cache formats: how many bytes a parameter or a cached value takes,
// and which tensor-core math the GEMMs can use.
#include <string>
#include <vector>

namespace llmpo {

// The math a quantized GEMM runs in. `activation_dtype` = the model's 16-bit type: weight-only
// schemes (AWQ, GPTQ, GGUF) dequantize to it. fp8/int8 = W8A8 kernels, used where the GPU has
// those tensor cores and falling back to 16-bit math elsewhere.
enum class GemmMath { activation_dtype, fp8, int8 };

struct QuantizationInfo {
  std::string name;                // as accepted on the command line: none, fp8, awq, ...
  double weight_bytes_per_param;   // bytes of one linear-layer weight (0 = the model's dtype)
  bool quantizes_embeddings;       // GGUF also stores the token table and output head quantized
  GemmMath math;
  std::string source;              // where the byte factor comes from
  std::string ollama_tag;          // the suffix Ollama / llama.cpp tags use for it (q4_K_M), or ""
};

const std::vector<QuantizationInfo>& quantization_schemes();
// Case-insensitive; throws InputError listing the valid names.
const QuantizationInfo& find_quantization(const std::string& name);

// The scheme an Ollama / llama.cpp tag suffix names, case-insensitively: "q4_K_M" ->
// gguf_q4_k_m, "fp16" / "f16" / "bf16" -> none (16-bit weights, the model's dtype). nullptr when
// `suffix` names no quantization (e.g. "instruct").
const QuantizationInfo* quantization_of_tag_suffix(const std::string& suffix);

// The format a model's weights are priced in: what the user asked for, or, when that is "none"
// (the published weights), the format the checkpoint ships in (ModelSpec::shipped_weights,
// a scheme name; "none" = the model's dtype).
const QuantizationInfo& shipped_or_asked(const std::string& shipped_name, const QuantizationInfo& asked);

// Bytes of one element of a torch dtype name: float32 4, bfloat16/float16 2.
double dtype_bytes(const std::string& dtype);

// KV-cache element size for vLLM's --kv-cache-dtype (auto = the model's dtype).
const std::vector<std::string>& kv_cache_dtypes();
double kv_cache_bytes_per_element(const std::string& kv_cache_dtype, const std::string& model_dtype);

}  // namespace llmpo
