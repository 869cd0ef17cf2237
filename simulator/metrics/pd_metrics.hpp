#pragma once
// Prefill/decode disaggregation: each measured completed request's TTFT split into its stages
// (PdTiming), summarized per stage. The five stages add up to the request's TTFT exactly.
#include <array>
#include <optional>
#include <string>

#include "run_metrics.hpp"

namespace llmpo {

enum class PdStage { prefill_queue, prefill, decode_queue, kv_transfer, first_decode };
inline constexpr std::size_t kPdStageCount = 5;
// prefill_queue, prefill, decode_queue, kv_transfer, first_decode
const char* to_string(PdStage stage);

// One stage's length for a request in milliseconds; nullopt where it did not happen (a rejected
// request, or the KV read of a one-token prompt, which has nothing to read: 0 then).
std::optional<double> pd_stage_ms(const RequestState& r, const PdTiming& timing, PdStage stage);

// Per stage over the measured completed requests (the options' window), with one percentile, the
// 99th (percentiles[0]); nullopt for an aggregated run.
std::optional<std::array<Stat, kPdStageCount>> pd_stage_stats(const RunResult& run, const MetricsOptions& options);

}  // namespace llmpo
