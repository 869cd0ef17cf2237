// Sizes known before a workload is generated: how many requests, and how long the longest
// can be. The planner uses them to refuse a runaway workload and to decide whether requests
// longer than max_model_len are possible at all (only then is the workload generated to count).
#include <algorithm>

#include "workload.hpp"

namespace llmpo {

double expected_request_count(const WorkloadSpec& spec) {
  if (spec.trace && spec.trace->has_arrivals()) {
    const double rows = spec.trace->rows ? static_cast<double>(spec.trace->rows->size()) : 0.0;
    return spec.num_requests ? std::min(rows, static_cast<double>(*spec.num_requests)) : rows;
  }
  if (spec.num_requests) return static_cast<double>(*spec.num_requests);
  if (!spec.arrival) return 0.0;
  const std::optional<double> until_s = spec.duration_s ? spec.duration_s : schedule_end_s(*spec.arrival);
  return until_s ? expected_arrivals(*spec.arrival, *until_s) : 0.0;
}

namespace {

int64_t max_tokens(const LengthSpec& spec) {
  switch (spec.kind) {
    case LengthKind::fixed: return spec.value;
    case LengthKind::empirical:
      return spec.values.empty() ? 0 : *std::max_element(spec.values.begin(), spec.values.end());
    default: return spec.max.value_or(kMaxLengthTokens);
  }
}

}  // namespace

int64_t max_total_tokens_bound(const WorkloadSpec& spec) {
  if (spec.trace) {
    int64_t longest = 0;
    if (spec.trace->rows)
      for (const TraceRow& row : *spec.trace->rows)
        longest = std::max<int64_t>(longest, int64_t{std::max(1, row.prompt_tokens)} + std::max(1, row.output_tokens));
    return longest;
  }
  int64_t longest = 0;
  const auto of = [](const std::optional<LengthSpec>& own, const std::optional<LengthSpec>& top) {
    const std::optional<LengthSpec>& used = own ? own : top;
    return used ? std::max<int64_t>(1, max_tokens(*used)) : int64_t{1};
  };
  if (spec.classes.empty()) return of(std::nullopt, spec.prompt_tokens) + of(std::nullopt, spec.output_tokens);
  for (const ClassSpec& c : spec.classes)
    longest = std::max(longest, of(c.prompt_tokens, spec.prompt_tokens) + of(c.output_tokens, spec.output_tokens));
  return longest;
}

}  // namespace llmpo
