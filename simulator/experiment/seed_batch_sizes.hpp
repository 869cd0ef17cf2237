#pragma once
// The batch sizes the AI-Flux seed recommends by model size and GPU type (its "Batch Size
// Recommendations" table, shared/seeds/ai-flux-supported-models.md), for comparison with the
// simulated max_num_seqs of `llmperforacle recommend`.
#include <string>

#include "hardware/gpu_spec.hpp"
#include "models/model_spec.hpp"

namespace llmpo {

// "8-12" for an 8B model on an A100 80GB; "" when the table has no row for this size and GPU.
// Size classes by total parameters in whole billions (rounded down, as the seed names its
// sizes: 3-7B, 8-20B, 21-40B, 41-70B); GPU types: A100 80GB, A100 40GB, A40, and "mid-range
// (24GB)" for GPUs of 20 to 25 GiB (A10G, L4, RTX 4090).
std::string seed_batch_size(const ModelSpec& model, const GpuSpec& gpu);

}  // namespace llmpo
