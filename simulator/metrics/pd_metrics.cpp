#include "pd_metrics.hpp"

#include <vector>

namespace llmpo {

const char* to_string(PdStage stage) {
  switch (stage) {
    case PdStage::prefill_queue: return "prefill_queue";
    case PdStage::prefill: return "prefill";
    case PdStage::decode_queue: return "decode_queue";
    case PdStage::kv_transfer: return "kv_transfer";
    case PdStage::first_decode: return "first_decode";
  }
  return "?";
}

std::optional<double> pd_stage_ms(const RequestState& r, const PdTiming& t, PdStage stage) {
  if (r.outcome != RequestOutcome::completed || t.prefill_end_ns == kNeverNs) return std::nullopt;
  const auto span = [](SimTime from, SimTime to) { return static_cast<double>(to - from) * 1e-6; };
  // A one-token prompt reads nothing: its decode stages start at the hand-off.
  const bool read = t.transfer_start_ns != kNeverNs;
  const SimTime read_start = read ? t.transfer_start_ns : t.prefill_end_ns;
  const SimTime read_end = read ? t.transfer_end_ns : t.prefill_end_ns;
  switch (stage) {
    case PdStage::prefill_queue: return span(r.request.arrival_ns, t.prefill_start_ns);
    case PdStage::prefill: return span(t.prefill_start_ns, t.prefill_end_ns);
    case PdStage::decode_queue: return span(t.prefill_end_ns, read_start);
    case PdStage::kv_transfer: return span(read_start, read_end);
    case PdStage::first_decode: return span(read_end, r.first_token_ns);
  }
  return std::nullopt;
}

std::optional<std::array<Stat, kPdStageCount>> pd_stage_stats(const RunResult& run, const MetricsOptions& options) {
  if (run.pd.empty()) return std::nullopt;
  const MeasuredWindow window = measured_window(run, options);
  std::array<std::vector<double>, kPdStageCount> values;
  for (const RequestState& r : run.requests) {
    if (!window.contains(r.request.arrival_ns)) continue;
    const PdTiming& t = run.pd[static_cast<std::size_t>(r.request.id)];
    for (std::size_t s = 0; s < kPdStageCount; ++s)
      if (const auto ms = pd_stage_ms(r, t, static_cast<PdStage>(s))) values[s].push_back(*ms);
  }
  std::array<Stat, kPdStageCount> stats;
  for (std::size_t s = 0; s < kPdStageCount; ++s) stats[s] = summarize(std::move(values[s]), {99.0});
  return stats;
}

}  // namespace llmpo
