#pragma once
// Speculative-decoding figures with vLLM's definitions (vllm/v1/spec_decode/metrics.py
// SpecDecodingStats and its logged summary), over the measured requests:
//   drafts          = verification steps that carried drafts (num_drafts),
//   draft tokens    = drafts verified (num_draft_tokens),
//   accepted tokens = drafts the rejection sampler accepted (num_accepted_tokens),
//   acceptance rate = accepted / draft tokens ("Avg Draft acceptance rate"),
//   mean acceptance length = 1 + accepted / drafts (tokens a verification step yields, its own
//                    sampled token included; "Mean acceptance length").
// The histogram counts verification steps by acceptance length 1 .. k + 1.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/core/simulation.hpp"

namespace llmpo {

struct MeasuredWindow;

struct SpecDecodeTotals {
  int64_t drafts = 0;
  int64_t draft_tokens = 0;
  int64_t accepted_tokens = 0;
  std::vector<int64_t> steps_by_acceptance_length;  // index = acceptance length - 1 (accepted drafts)

  std::optional<double> acceptance_rate() const;         // nullopt without drafts
  std::optional<double> mean_acceptance_length() const;  // nullopt without drafts
  // "1:120;2:80;3:41": acceptance length:verification steps, lengths with none left out.
  std::string histogram_cell() const;
};

SpecDecodeTotals measured_spec_decode_totals(const RunResult& run, const MeasuredWindow& window);

}  // namespace llmpo
