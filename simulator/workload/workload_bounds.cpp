// Sizes known before a workload is generated: how many requests, and how long the longest
// can be. The planner uses them to refuse a runaway workload and to decide whether requests
// longer than max_model_len are possible at all (only then is the workload generated to count).
#include <algorithm>

#include "workload.hpp"

namespace llmpo {

namespace {

double expected_arrival_count(const WorkloadSpec& spec) {
  if (spec.trace && spec.trace->has_arrivals()) {
    const double rows = spec.trace->rows ? static_cast<double>(spec.trace->rows->size()) : 0.0;
    return spec.num_requests ? std::min(rows, static_cast<double>(*spec.num_requests)) : rows;
  }
  if (spec.num_requests) return static_cast<double>(*spec.num_requests);
  if (!spec.arrival) return 0.0;
  const std::optional<double> until_s = spec.duration_s ? spec.duration_s : schedule_end_s(*spec.arrival);
  return until_s ? expected_arrivals(*spec.arrival, *until_s) : 0.0;
}

// The longest shared prefix any class may start with (0 without prefixes).
int64_t max_prefix_tokens(const WorkloadSpec& spec) {
  int64_t longest = spec.shared_prefixes ? max_length_tokens(spec.shared_prefixes->tokens) : 0;
  for (const ClassSpec& c : spec.classes)
    if (c.shared_prefixes) longest = std::max(longest, max_length_tokens(c.shared_prefixes->tokens));
  return longest;
}

}  // namespace

// With sessions the arrivals are session starts, each bringing its mean number of turns (an
// estimate: sessions that max_model_len ends early bring fewer).
double expected_request_count(const WorkloadSpec& spec) {
  const double arrivals = expected_arrival_count(spec);
  return spec.sessions ? arrivals * mean_length_tokens(spec.sessions->turns) : arrivals;
}

int64_t max_total_tokens_bound(const WorkloadSpec& spec) {
  if (spec.trace) {
    int64_t longest = 0;
    if (spec.trace->rows)
      for (const TraceRow& row : *spec.trace->rows)
        longest = std::max<int64_t>(longest, int64_t{std::max(1, row.prompt_tokens)} + std::max(1, row.output_tokens));
    return max_prefix_tokens(spec) + longest;  // a lengths trace's rows may follow a shared prefix
  }
  int64_t longest = 0;
  const auto of = [](const std::optional<LengthSpec>& own, const std::optional<LengthSpec>& top) {
    const std::optional<LengthSpec>& used = own ? own : top;
    return used ? std::max<int64_t>(1, max_length_tokens(*used)) : int64_t{1};
  };
  // The longest single turn's new tokens (message + reply) of any class.
  int64_t turn = 0;
  if (spec.classes.empty()) turn = of(std::nullopt, spec.prompt_tokens) + of(std::nullopt, spec.output_tokens);
  for (const ClassSpec& c : spec.classes)
    turn = std::max(turn, of(c.prompt_tokens, spec.prompt_tokens) + of(c.output_tokens, spec.output_tokens));
  longest = max_prefix_tokens(spec) + turn;
  if (spec.sessions) {
    // Turn k resends every earlier message and reply: at most turns x the longest turn, where
    // an agent's later turns may be tool results and calls instead. Turns are at most
    // kMaxSessionTurns and tokens 1e9 each, so this stays far inside int64.
    if (spec.sessions->tool_result_tokens)
      turn = std::max(turn, std::max<int64_t>(1, max_length_tokens(*spec.sessions->tool_result_tokens)) +
                                std::max<int64_t>(1, max_length_tokens(*spec.sessions->tool_call_tokens)));
    longest = max_prefix_tokens(spec) + std::max<int64_t>(1, max_length_tokens(spec.sessions->turns)) * turn;
  }
  return longest;
}

}  // namespace llmpo
