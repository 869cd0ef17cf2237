#pragma once
// `perf`'s prefix-reuse benchmark: a multi-turn chat workload simulated with content identity
// (each turn's prompt = the shared system prompt + the whole history + a new message, so a
// framework with prefix caching can hit) against the very same requests - lengths, arrivals,
// sessions, think times - with every content_node cleared (nothing can hit). The issue asks the
// first to take at most 3x the wall time of the second. Built in C++ with the PromptTree, so it
// depends on no workload YAML keys.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/experiment/libraries.hpp"
#include "simulator/metrics/prefix_cache_metrics.hpp"
#include "simulator/workload/workload.hpp"

namespace llmpo {

struct PrefixBenchmarkSizes {
  int64_t sessions = 20'000;
  int64_t turns_per_session = 5;
  int32_t system_prompt_tokens = 1000;  // one prompt shared by every session
  int32_t message_min_tokens = 100;     // each turn's new user message: uniform in [min, max]
  int32_t message_max_tokens = 300;
  int32_t output_min_tokens = 100;      // each turn's reply: uniform in [min, max]
  int32_t output_max_tokens = 300;
  double session_rate_per_s = 0.5;      // first turns: Poisson arrivals
  double mean_think_s = 10;             // pause before each follow-up: exponential
  uint64_t seed = 1;
  int64_t requests() const { return sessions * turns_per_session; }
};

// The chat workload: first turns (ids 0..sessions-1, sorted by arrival), then each session's
// follow-ups (arrival kNeverNs: the simulation sends them think_ns after the previous reply).
// Deterministic in `sizes`.
Workload multi_turn_chat_workload(const PrefixBenchmarkSizes& sizes);

// The same requests sharing nothing: every content_node cleared, no PromptTree.
Workload without_content_identity(const Workload& workload);

struct PrefixBenchmarkRun {
  double wall_s = 0;  // the simulation and its metrics, not the workload's construction
  double cpu_s = 0;   // the same in this process's CPU time: steadier than wall time on a busy machine
  int64_t completed = 0, steps = 0, events = 0;
  double simulated_s = 0;
  std::optional<PrefixCacheTotals> prefix_cache;  // nullopt: the run looked no prefix up
};

struct PrefixBenchmark {
  // The fastest of `rounds` runs of each, the two alternating: on a shared machine one run in a
  // few is slowed by its neighbours, and a single pair moved the ratio between 2.5 and 3.0.
  PrefixBenchmarkRun with_reuse, without_reuse;
  int rounds = 1;
  double ratio() const { return without_reuse.wall_s > 0 ? with_reuse.wall_s / without_reuse.wall_s : 0; }
  double cpu_ratio() const { return without_reuse.cpu_s > 0 ? with_reuse.cpu_s / without_reuse.cpu_s : 0; }
};

// The deployment every run of the benchmark uses, for the printed description.
inline constexpr const char* kPrefixBenchmarkDeployment = "Llama3-8B on 1 x H100-SXM, vLLM defaults (prefix caching on)";

// Simulates both workloads of `sizes` on kPrefixBenchmarkDeployment, alternately, `rounds`
// times each; keeps each one's least wall and least CPU time.
inline constexpr int kPrefixBenchmarkRounds = 3;
PrefixBenchmark run_prefix_benchmark(const PrefixBenchmarkSizes& sizes, const Libraries& libraries,
                                     int rounds = kPrefixBenchmarkRounds);

// What `perf` prints: the sizes it ran, each run's wall time, events/s and hit rate, the ratio.
std::string prefix_benchmark_text(const PrefixBenchmarkSizes& sizes, const PrefixBenchmark& bench);
// The same for `perf --format json` ("prefix").
nlohmann::ordered_json prefix_benchmark_json(const PrefixBenchmarkSizes& sizes, const PrefixBenchmark& bench);

}  // namespace llmpo
