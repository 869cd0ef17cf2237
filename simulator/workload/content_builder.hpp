#pragma once
// Builds content identity (simulator/core/prompt_tree.hpp) for generated workloads: shared
// prompt prefixes chosen by popularity, multi-turn sessions whose every turn resends the whole
// history, and traces whose rows name their session and prefix. Used by generate_workload.
#include <cstdint>
#include <optional>
#include <vector>

#include "simulator/core/distributions.hpp"
#include "simulator/core/prompt_tree.hpp"
#include "workload.hpp"

namespace llmpo {

// The shared-prefix pools of a workload: the top-level `shared_prefixes` (used by every class
// without its own) and each class's own. Construction draws every prefix's length from the
// workload.prefix_tokens stream (pool by pool, in order) and adds one root segment per prefix.
class PrefixPools {
 public:
  PrefixPools(const WorkloadSpec& spec, std::size_t class_count, uint64_t seed, PromptTree& tree);
  bool any() const { return !pools_.empty(); }
  // The prefix node of the next request (or session) of class `class_id`, drawn by popularity
  // from the workload.prefix_choice stream (one draw per call); kNoPromptNode when the class
  // has no pool.
  int32_t choose(int32_t class_id);

 private:
  struct Pool {
    std::vector<int32_t> nodes;        // prefix k+1 (k = 0 the most popular under zipf)
    std::optional<ZipfTable> zipf;     // over 1..K; none: uniform
  };
  std::vector<Pool> pools_;
  std::vector<int32_t> pool_of_class_;  // -1: none
  Rng choice_rng_;
};

// Adds a request's segments to `tree`: its prompt continues the sequence ending at `base`
// (kNoPromptNode: nothing) with prompt_tokens - end_tokens(base) new tokens, then its output.
// A prompt shorter than `base` (clipped to max_model_len) shares nothing and starts a fresh
// root. Returns the request's content node (its output segment).
int32_t add_request_content(PromptTree& tree, int32_t base, int32_t prompt_tokens, int32_t output_tokens);

// Counts of what happened to sessions at max_model_len (over_max_model_len: clip).
struct SessionClipping {
  int64_t first_turns_clipped = 0;  // a first turn alone over the limit: shortened, and the session ends there
  int64_t sessions_ended = 0;       // sessions that lost turns to the limit
  int64_t turns_dropped = 0;        // turns not generated because their history would exceed it
};

// What the arrival process and class choice gave: one entry per session.
struct SessionStarts {
  std::vector<double> times_s;       // one per session, sorted
  std::vector<int32_t> class_ids;    // one per session
};

// Generates the sessions' requests into w.requests (ids in session order, each session's turns
// consecutive; first turns keep their arrival, follow-ups wait for the simulation), with their
// content in `tree`. Turn lengths come from the class samplers (agents: tool samplers after
// the first turn). Throws InputError (key workload.sessions) when a turn would exceed
// kMaxLengthTokens.
SessionClipping build_sessions(const WorkloadSpec& spec, uint64_t seed, int64_t max_model_len,
                               const SessionStarts& starts, const std::vector<LengthSampler>& prompt_samplers,
                               const std::vector<LengthSampler>& output_samplers, PrefixPools& prefixes,
                               PromptTree& tree, Workload& w);

// The prompt tokens a cache that kept everything would find already computed: for each request
// the longest prefix of its prompt that an earlier request's tokens (prompt and output) hold,
// requests taken in id order (every follow-up comes after its previous turn, and fixed arrivals
// are sorted). 0 without content identity.
int64_t reusable_prompt_tokens(const Workload& w);

}  // namespace llmpo
