#pragma once
// A request as the workload generates it, and the bookkeeping the simulation keeps for it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "prompt_tree.hpp"
#include "time.hpp"

namespace llmpo {

// Immutable description of one request, identical for every framework and sweep point. Every
// byte here is paid twice per request (the workload's copy and the simulation's RequestState),
// so what only sessions use lives beside it (SessionTurn, Workload::turns), and the fields are as
// narrow as their bounds allow (kMaxWorkloadRequestIds, kMaxClientClasses): 32 bytes, not 40.
struct Request {
  SimTime arrival_ns = 0;      // open loop: fixed; closed loop: set when the client sends it
  int32_t id = 0;              // 0..N-1 in arrival order
  int32_t prompt_tokens = 0;
  int32_t output_tokens = 0;   // max_tokens, always generated in full (ignore_eos, as benchmarks do)
  int32_t client_id = -1;      // closed loop: the client that sends it; -1 in open loop
  // Content (prompt_tree.hpp): the node whose path is this request's prompt followed by its
  // output, in Workload::prompts; kNoPromptNode when it shares no content with any request.
  int32_t content_node = kNoPromptNode;
  int16_t class_id = 0;        // index into the workload's client classes
  // A session's later turn (SessionTurn::previous_turn >= 0): it has no fixed arrival; the
  // simulation sends it its think time after its previous turn's last token, and sets
  // arrival_ns then. Set only through Workload::link_turns, which records the rest.
  bool sent_by_previous_turn = false;
  bool follow_up() const { return sent_by_previous_turn; }
};
static_assert(sizeof(Request) <= 32, "Request grew: it is stored twice per request (see above)");
// The most requests one workload may hold (ids are int32) and the most client classes (int16).
inline constexpr int64_t kMaxWorkloadRequestIds = INT32_MAX;
inline constexpr int64_t kMaxClientClasses = INT16_MAX;

// Sessions (multi-turn chat, agent loops): a request's place in its session. If a turn is
// rejected, the session's later turns are not sent.
struct SessionTurn {
  int64_t session_id = -1;     // -1: not part of a session
  int64_t previous_turn = -1;  // index of the session's request before this one, -1: first turn
  int64_t next_turn = -1;      // index of the session's request after this one, -1: last turn
  SimTime think_ns = 0;        // follow-up: pause between the previous turn's response and this send
};

enum class RequestOutcome : uint8_t { pending, completed, rejected };

// Why a request was refused; kept as an enum so that the hot path never builds strings.
enum class RejectReason : uint8_t {
  none,
  exceeds_max_model_len,   // prompt + output tokens > max_model_len
  exceeds_kv_capacity,     // needs more KV blocks than the whole cache holds
  exceeds_batch_capacity,  // static batching: one request's reservation exceeds the cache
  exceeds_token_budget,    // vLLM without chunked prefill: prompt > max_num_batched_tokens,
                           // so no step could ever hold its prefill
};
inline constexpr std::size_t kRejectReasonCount = 5;  // keep in step with the enum
const char* to_string(RejectReason reason);
const char* to_string(RequestOutcome outcome);

// Mutable per-request state owned by the simulation (one contiguous array per run). Its size is
// most of a run's memory (a million requests: 112 MB): the int32 fields sit together and the
// one-byte ones at the end, so padding costs 5 bytes, not 13.
struct RequestState {
  Request request;
  // Progress (vLLM's num_computed_tokens and output length).
  int32_t computed_tokens = 0;   // prompt + output tokens whose KV is in the cache
  int32_t generated_tokens = 0;  // output tokens produced so far
  int32_t preemptions = 0;
  int32_t allocated_blocks = 0;  // owned by the KV block manager
  // Prompt tokens found in the prefix cache when first scheduled (vLLM's num_cached_tokens;
  // SGLang's cached_tokens), and of those, tokens loaded from a host-memory KV tier.
  int32_t cached_prompt_tokens = 0;
  int32_t host_loaded_tokens = 0;
  // Speculative decoding (vLLM's spec-decode counters, per request): verification steps with
  // drafts, drafts verified, drafts accepted.
  int32_t spec_verifications = 0;
  int32_t spec_draft_tokens = 0;
  int32_t spec_accepted_tokens = 0;
  int32_t instance = -1;         // replica that served it
  // Timestamps (kNeverNs until they happen).
  SimTime first_scheduled_ns = kNeverNs;
  SimTime first_token_ns = kNeverNs;
  SimTime last_token_ns = kNeverNs;
  SimTime completion_ns = kNeverNs;
  RequestOutcome outcome = RequestOutcome::pending;
  RejectReason reject_reason = RejectReason::none;
  // Scheduled in a step that has not finished: with pipeline parallelism several steps are in
  // flight at once and vLLM schedules none of a request's tokens twice.
  bool in_flight = false;

  // Tokens the request will hold once done: what its KV must eventually cover.
  int32_t total_tokens() const { return request.prompt_tokens + request.output_tokens; }
  // Tokens that exist now (prompt + generated); vLLM's num_tokens.
  int32_t current_tokens() const { return request.prompt_tokens + generated_tokens; }
  bool finished() const { return generated_tokens >= request.output_tokens; }
};
// A field added here costs its size per request in every run: keep the hot struct small (move
// rarely used state beside it) rather than raise this bound.
static_assert(sizeof(RequestState) <= 112, "RequestState grew: see the note above it");

}  // namespace llmpo
