#include "spec_decode_metrics.hpp"

#include <fmt/format.h>

#include "run_metrics.hpp"

namespace llmpo {

std::optional<double> SpecDecodeTotals::acceptance_rate() const {
  if (draft_tokens == 0) return std::nullopt;
  return static_cast<double>(accepted_tokens) / static_cast<double>(draft_tokens);
}

std::optional<double> SpecDecodeTotals::mean_acceptance_length() const {
  if (drafts == 0) return std::nullopt;
  return 1.0 + static_cast<double>(accepted_tokens) / static_cast<double>(drafts);
}

std::string SpecDecodeTotals::histogram_cell() const {
  std::string cell;
  for (std::size_t i = 0; i < steps_by_acceptance_length.size(); ++i) {
    if (steps_by_acceptance_length[i] == 0) continue;
    cell += fmt::format("{}{}:{}", cell.empty() ? "" : ";", i + 1, steps_by_acceptance_length[i]);
  }
  return cell;
}

SpecDecodeTotals measured_spec_decode_totals(const RunResult& run, const MeasuredWindow& window) {
  SpecDecodeTotals totals;
  for (const RequestState& r : run.requests) {
    if (r.outcome != RequestOutcome::completed || !window.contains(r.request.arrival_ns)) continue;
    totals.drafts += r.spec_verifications;
    totals.draft_tokens += r.spec_draft_tokens;
    totals.accepted_tokens += r.spec_accepted_tokens;
  }
  // The simulation counted the same requests' verification steps as they happened (measured =
  // arrived inside the window); only completed ones are counted above, and a measured request
  // always completes before the run ends.
  totals.steps_by_acceptance_length = run.spec_accepted_histogram;
  return totals;
}

}  // namespace llmpo
