#pragma once
// The requests of one experiment, generated once before any simulation so that every framework
// and sweep point sees exactly the same arrivals and lengths.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "simulator/core/request.hpp"
#include "simulator/core/time.hpp"
#include "workload_spec.hpp"

namespace llmpo {

struct ClientClass {
  std::string name;     // "default" when the workload names no classes
  double weight = 1.0;  // as given (relative)
  Slo slo;              // bounds for goodput; unset ones are not checked
};

struct Workload {
  // Ids 0..N-1 in this order. Requests with a fixed arrival (all but sessions' follow-ups) are
  // sorted by arrival_ns; follow-ups have arrival_ns = kNeverNs until the simulation sends them.
  std::vector<Request> requests;
  // Sessions: turns[id] is request id's place in its session. Shorter than requests (empty when
  // there are no sessions): the requests past its end are in none. Written through set_session
  // and link_turns, read through turn().
  std::vector<SessionTurn> turns;
  // Content identity of the requests' tokens (Request::content_node); null when no request
  // shares content with another (random lengths, traces without prefix or session ids).
  std::shared_ptr<const PromptTree> prompts;
  bool closed_loop = false;         // true: arrival_ns is 0 and the simulation sets send times
  int64_t clients = 0;              // closed loop: client c sends requests c, c+clients, ... in order
  SimTime think_time_ns = 0;        // closed loop: pause after a response before the next send
  std::vector<ClientClass> classes; // indexed by Request::class_id; at least one
  int64_t clipped_requests = 0;     // how many had prompt + output > max_model_len
  // Sessions (workload.sessions): how many there are, and how many lost turns because their
  // history would pass max_model_len (over_max_model_len: clip), with the turns they lost.
  int64_t sessions = 0;
  int64_t sessions_ended_at_max_model_len = 0;
  int64_t turns_dropped_at_max_model_len = 0;
  std::string summary;              // one line for the terminal
  std::vector<std::pair<std::string, std::string>> columns;  // summary-CSV columns, fixed keys
  // The latest fixed arrival (kNeverNs-free; 0 for an empty or closed-loop workload): the end
  // of the open-loop schedule, from which cool-down windows and offered rates are measured.
  SimTime last_fixed_arrival_ns() const;
  // How many requests it holds (also after release_requests()).
  std::size_t request_count() const { return requests_released_ ? released_count_ : requests.size(); }
  // Frees `requests` once the last simulation to use them holds its own copy (RunExecutor): a
  // run's requests are in memory once, not twice (a 10M-request workload is 305 MB).
  // request_count() and last_fixed_arrival_ns() still answer as before.
  void release_requests();
  bool requests_released() const { return requests_released_; }

  // Request `id`'s place in its session (a default SessionTurn: in none).
  SessionTurn turn(int64_t id) const {
    return static_cast<std::size_t>(id) < turns.size() ? turns[static_cast<std::size_t>(id)] : SessionTurn{};
  }
  // Puts request `id` (already in requests) in session `session_id`.
  void set_session(int64_t id, int64_t session_id);
  // Makes request `next` the turn after `previous` (both already in requests): `next` is sent
  // `think_ns` after `previous`'s last token instead of at a fixed arrival.
  void link_turns(int64_t previous, int64_t next, SimTime think_ns);

 private:
  bool requests_released_ = false;
  std::size_t released_count_ = 0;
  SimTime released_last_fixed_arrival_ns_ = 0;
};

// The RNG stream names, one per purpose: changing how one quantity is drawn leaves the others
// untouched (a new output distribution keeps every arrival time).
inline constexpr const char* kArrivalStream = "workload.arrivals";
inline constexpr const char* kPromptStream = "workload.prompt_tokens";
inline constexpr const char* kOutputStream = "workload.output_tokens";
inline constexpr const char* kClassStream = "workload.classes";
inline constexpr const char* kTraceOrderStream = "workload.trace_order";
inline constexpr const char* kSessionTurnsStream = "workload.session_turns";
inline constexpr const char* kThinkTimeStream = "workload.think_times";
inline constexpr const char* kPrefixTokensStream = "workload.prefix_tokens";
inline constexpr const char* kPrefixChoiceStream = "workload.prefix_choice";

// Deterministic in (spec, seed, max_model_len). Lengths are at least 1. When prompt + output
// exceeds max_model_len (> 0; 0 means no limit) the request is clipped, output first (down to
// 1 token), then prompt, and counted in clipped_requests; a session's later turn that would
// exceed it is not generated, and the session ends before it. Throws InputError (key path, no
// position) for a spec that cannot produce requests, e.g. one changed by a sweep.
Workload generate_workload(const WorkloadSpec& spec, uint64_t seed, int64_t max_model_len);

// About how many requests the workload will hold (num_requests, the trace's rows, or the
// integral of the arrival rate), known before generating it.
double expected_request_count(const WorkloadSpec& spec);

// An upper bound on any request's prompt + output tokens, from the distributions' bounds and
// the trace's rows; kMaxLengthTokens * 2 when a distribution has no upper bound.
int64_t max_total_tokens_bound(const WorkloadSpec& spec);

}  // namespace llmpo
