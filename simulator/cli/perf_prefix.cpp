#include "perf_prefix.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "simulator/core/distributions.hpp"
#include "simulator/core/rng.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/experiment/run_executor.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

// The deployment (kPrefixBenchmarkDeployment); the workload section only satisfies the reader:
// the runs are given the benchmark's own requests.
constexpr const char* kDeploymentYaml = R"(name: perf-prefix
simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 1}
  num_requests: 1
  prompt_tokens: {distribution: fixed, value: 16}
  output_tokens: {distribution: fixed, value: 16}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, enable_prefix_caching: true, router: session_affinity}
)";

int32_t uniform_tokens(Rng& rng, int32_t min, int32_t max) { return static_cast<int32_t>(sample_uniform_int(rng, min, max)); }

SimTime exponential_ns(Rng& rng, double mean_s) { return duration_to_ns(sample_exponential(rng, 1.0 / mean_s)); }

PrefixBenchmarkRun simulate(RunExecutor& executor, const RunSpec& run, const Workload& workload) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const RunOutcome outcome = executor.execute_with(run, workload, MetricsOptions{});
  PrefixBenchmarkRun r;
  r.cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.completed = outcome.metrics.completed;
  r.steps = outcome.metrics.steps;
  r.events = outcome.metrics.events;
  r.simulated_s = ns_to_s(outcome.result.end_ns);
  r.prefix_cache = outcome.metrics.prefix_cache;
  return r;
}

}  // namespace

Workload multi_turn_chat_workload(const PrefixBenchmarkSizes& sizes) {
  if (sizes.sessions < 1 || sizes.turns_per_session < 1 || sizes.message_min_tokens < 1 ||
      sizes.message_max_tokens < sizes.message_min_tokens || sizes.output_min_tokens < 1 ||
      sizes.output_max_tokens < sizes.output_min_tokens || sizes.system_prompt_tokens < 1 ||
      !(sizes.session_rate_per_s > 0) || !(sizes.mean_think_s >= 0) || sizes.requests() > kMaxWorkloadRequestIds)
    throw InternalError("prefix benchmark: sizes out of range");
  Rng arrivals = stream(sizes.seed, kArrivalStream);
  Rng prompts = stream(sizes.seed, kPromptStream);
  Rng outputs = stream(sizes.seed, kOutputStream);
  Rng think = stream(sizes.seed, "workload.think_time");
  auto tree = std::make_shared<PromptTree>();
  const int32_t system = tree->add(kNoPromptNode, sizes.system_prompt_tokens);
  Workload w;
  w.classes.push_back({"default", 1.0, {}});
  const int64_t sessions = sizes.sessions, turns = sizes.turns_per_session;
  w.requests.resize(static_cast<std::size_t>(sessions * turns));
  SimTime arrival_ns = 0;
  for (int64_t s = 0; s < sessions; ++s) {
    arrival_ns += exponential_ns(arrivals, 1.0 / sizes.session_rate_per_s);
    int32_t history = system;  // the node ending the session's tokens so far
    for (int64_t t = 0; t < turns; ++t) {
      // First turns take ids 0..sessions-1 in arrival order; a session's follow-ups come after
      // all of them, together.
      const int64_t id = t == 0 ? s : sessions + s * (turns - 1) + (t - 1);
      const int32_t message =
          tree->add(history, uniform_tokens(prompts, sizes.message_min_tokens, sizes.message_max_tokens));
      const int32_t reply = tree->add(message, uniform_tokens(outputs, sizes.output_min_tokens, sizes.output_max_tokens));
      Request& r = w.requests[static_cast<std::size_t>(id)];
      r.id = static_cast<int32_t>(id);  // requests() <= kMaxWorkloadRequestIds
      r.prompt_tokens = static_cast<int32_t>(tree->end_tokens(message));
      r.output_tokens = static_cast<int32_t>(tree->length_tokens(reply));
      r.content_node = reply;  // prompt, then its reply
      r.arrival_ns = t == 0 ? arrival_ns : kNeverNs;
      w.set_session(id, s);
      if (t > 0) w.link_turns(t == 1 ? s : id - 1, id, exponential_ns(think, sizes.mean_think_s));
      history = reply;
    }
  }
  w.prompts = std::move(tree);
  w.summary = fmt::format("multi-turn chat: {} sessions x {} turns", sessions, turns);
  return w;
}

Workload without_content_identity(const Workload& workload) {
  Workload copy = workload;
  copy.prompts = nullptr;
  for (auto& r : copy.requests) r.content_node = kNoPromptNode;
  return copy;
}

namespace {

// `run` is another round of the run `fastest` holds (the same simulation, so the same counts):
// only its times can be lower.
void keep_fastest(PrefixBenchmarkRun& fastest, const PrefixBenchmarkRun& run) {
  if (run.completed != fastest.completed || run.events != fastest.events)
    throw InternalError("perf prefix benchmark: two rounds of one simulation differ");
  fastest.wall_s = std::min(fastest.wall_s, run.wall_s);
  fastest.cpu_s = std::min(fastest.cpu_s, run.cpu_s);
}

}  // namespace

PrefixBenchmark run_prefix_benchmark(const PrefixBenchmarkSizes& sizes, const Libraries& libraries, int rounds) {
  if (rounds < 1) throw InternalError("perf prefix benchmark: at least one round");
  const ExperimentPlan plan =
      plan_experiment(read_experiment_text(kDeploymentYaml, "<perf prefix benchmark>", {}), libraries);
  RunExecutor executor(plan, libraries);
  const Workload with_reuse = multi_turn_chat_workload(sizes);
  const Workload without_reuse = without_content_identity(with_reuse);
  PrefixBenchmark result;
  result.rounds = rounds;
  result.with_reuse = simulate(executor, plan.runs.front(), with_reuse);
  result.without_reuse = simulate(executor, plan.runs.front(), without_reuse);
  for (int round = 1; round < rounds; ++round) {
    keep_fastest(result.with_reuse, simulate(executor, plan.runs.front(), with_reuse));
    keep_fastest(result.without_reuse, simulate(executor, plan.runs.front(), without_reuse));
  }
  return result;
}

namespace {

double events_per_s(const PrefixBenchmarkRun& run) {
  return run.wall_s > 0 ? static_cast<double>(run.events) / run.wall_s : 0;
}

std::string hit_rate_text(const PrefixBenchmarkRun& run) {
  if (!run.prefix_cache) return "no prefix lookups";
  const auto rate = run.prefix_cache->hit_rate();
  return rate ? fmt::format("prefix cache hit rate {:.1f}% of {} queried prompt tokens", 100 * *rate,
                            run.prefix_cache->query_tokens)
              : "no prompt tokens queried";
}

nlohmann::ordered_json run_json(const PrefixBenchmarkRun& run) {
  nlohmann::ordered_json j = {{"wall_s", run.wall_s},     {"cpu_s", run.cpu_s}, {"completed", run.completed},
                              {"steps", run.steps},       {"events", run.events},
                              {"events_per_s", events_per_s(run)}, {"simulated_s", run.simulated_s}};
  if (run.prefix_cache) {
    j["prefix_query_tokens"] = run.prefix_cache->query_tokens;
    j["cached_prompt_tokens"] = run.prefix_cache->hit_tokens;
    const auto rate = run.prefix_cache->hit_rate();
    j["prefix_cache_hit_rate"] = rate ? nlohmann::ordered_json(*rate) : nlohmann::ordered_json(nullptr);
  } else {
    j["prefix_query_tokens"] = nullptr;
    j["cached_prompt_tokens"] = nullptr;
    j["prefix_cache_hit_rate"] = nullptr;
  }
  return j;
}

}  // namespace

std::string prefix_benchmark_text(const PrefixBenchmarkSizes& sizes, const PrefixBenchmark& bench) {
  std::string out = fmt::format(
      "\nprefix benchmark: {} multi-turn chat sessions x {} turns = {} requests (a {}-token system prompt shared by "
      "all; per turn the whole history + a new {}-{}-token message; replies {}-{} tokens; think time exponential, mean "
      "{:g} s; sessions Poisson at {:g}/s), {}; each time the least of {} runs, the two alternating\n",
      sizes.sessions, sizes.turns_per_session, sizes.requests(), sizes.system_prompt_tokens, sizes.message_min_tokens,
      sizes.message_max_tokens, sizes.output_min_tokens, sizes.output_max_tokens, sizes.mean_think_s,
      sizes.session_rate_per_s, kPrefixBenchmarkDeployment, bench.rounds);
  const auto line = [](const char* name, const PrefixBenchmarkRun& run, bool hit_rate) {
    return fmt::format("  {:<34}{:.3f} s wall ({:.3f} s CPU), {} completed, {:.0f} events/s, {:.2f} h simulated{}\n", name,
                       run.wall_s, run.cpu_s, run.completed, events_per_s(run), run.simulated_s / 3600,
                       hit_rate ? ", " + hit_rate_text(run) : std::string());
  };
  out += line("with content identity:", bench.with_reuse, true);
  out += line("content cleared (no reuse):", bench.without_reuse, false);
  out += fmt::format("  ratio with / without: {:.2f} wall, {:.2f} CPU (goal: within 3x: {})\n", bench.ratio(),
                     bench.cpu_ratio(), bench.ratio() <= 3 ? "met" : "NOT met");
  return out;
}

nlohmann::ordered_json prefix_benchmark_json(const PrefixBenchmarkSizes& sizes, const PrefixBenchmark& bench) {
  return {{"sessions", sizes.sessions},
          {"turns_per_session", sizes.turns_per_session},
          {"requests", sizes.requests()},
          {"system_prompt_tokens", sizes.system_prompt_tokens},
          {"message_tokens", {sizes.message_min_tokens, sizes.message_max_tokens}},
          {"output_tokens", {sizes.output_min_tokens, sizes.output_max_tokens}},
          {"mean_think_s", sizes.mean_think_s},
          {"session_rate_per_s", sizes.session_rate_per_s},
          {"deployment", kPrefixBenchmarkDeployment},
          {"rounds", bench.rounds},
          {"with_content_identity", run_json(bench.with_reuse)},
          {"content_cleared", run_json(bench.without_reuse)},
          {"ratio", bench.ratio()},
          {"cpu_ratio", bench.cpu_ratio()}};
}

}  // namespace llmpo
