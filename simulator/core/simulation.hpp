#pragma once
// One simulation = one run of one deployment (a framework on its replicas) over one workload.
// Single-threaded, no globals: everything it touches is owned here, so runs can go in parallel.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "frameworks/framework.hpp"
#include "event_queue.hpp"
#include "kv_transfer.hpp"
#include "router.hpp"
#include "run_control.hpp"
#include "simulator/metrics/latency_sketch.hpp"
#include "simulator/metrics/output_token_buckets.hpp"
#include "simulator/metrics/timeseries.hpp"
#include "simulator/workload/workload.hpp"
#include "step_cost.hpp"

namespace llmpo {

// One replica: a framework policy and the cost of its steps.
struct Replica {
  std::unique_ptr<Framework> framework;
  std::unique_ptr<StepCost> cost;
  int64_t window_tokens = 0;  // the model's sliding window, for the steps' StepShape
  // The engine plans step N+1 while step N runs (vLLM V1 async scheduling): a request arriving
  // during a step is not in the next one but in the one after.
  bool async_scheduling = false;
  // Steps in flight at once (vLLM: max_concurrent_batches = the pipeline-parallel size): a new
  // micro-batch enters the first stage as soon as the previous one has left it.
  int64_t pipeline_depth = 1;
};

// Prefill/decode disaggregation: the first `prefill_replicas` replicas form the prefill pool, the
// rest the decode pool (simulation_pd.cpp). A request goes to a prefill replica (the options'
// router) with max_tokens = 1, as vLLM's disaggregated proxy sends it; when its prefill ends it
// goes to a decode replica (decode_router), which reads its KV over `link` and then generates
// every output token the client sees.
struct PdOptions {
  int32_t prefill_replicas = 0;
  RouterPolicy decode_router = RouterPolicy::round_robin;
  KvTransferLink link;
};

struct SimulationOptions {
  RouterPolicy router = RouterPolicy::round_robin;
  SimTime timeseries_interval_ns = kNsPerSecond;
  // Closed loop: clients stop sending new requests after this instant (kNeverNs: when the
  // workload's requests run out).
  SimTime stop_sending_ns = kNeverNs;
  // Requests arriving in [measure_from_ns, measure_until_ns] are measured: their inter-token
  // gaps go into RunResult::itl as they happen (warm-up and cool-down exclusion).
  SimTime measure_from_ns = 0;
  SimTime measure_until_ns = kNeverNs;
  // Also keep every gap individually (tests that check gaps by hand; memory grows with tokens).
  bool record_itl_samples = false;
  // A framework's full bookkeeping audit (O(running)) runs every this many steps and at the end;
  // the O(1) checks (monotonic time, KV conservation) run on every step regardless.
  int64_t audit_every_steps = 64;
  // Advance runs of identical decode steps in one go (DecodeRun); the results are identical to
  // stepping, only faster. Off only to compare the two.
  bool bulk_decode = true;
  // Stop requests and progress counters (optional): polled every kControlEveryEvents events.
  RunControl* control = nullptr;
  // Set: the replicas are a prefill pool and a decode pool.
  std::optional<PdOptions> pd;
  // Called once run() has copied the workload's requests into its own states, after which it
  // reads only the workload's other fields (RunExecutor frees the requests there when no other
  // run will use them).
  std::function<void()> requests_copied;
};
inline constexpr int64_t kControlEveryEvents = 4096;

// A disaggregated request's way through the pools (kNeverNs where it never got there). The
// client's TTFT splits into: prefill queue (arrival -> prefill_start), prefill (-> prefill_end),
// decode queue (-> transfer_start: routed, waiting for the decode replica to allocate its
// blocks), KV transfer (-> transfer_end, waiting for the link included) and first decode
// (-> first token: the recompute of the last prompt token, after the step in flight ends).
struct PdTiming {
  int32_t prefill_replica = -1;
  SimTime prefill_start_ns = kNeverNs;
  SimTime prefill_end_ns = kNeverNs;
  SimTime transfer_start_ns = kNeverNs;
  SimTime transfer_end_ns = kNeverNs;
  int64_t transfer_bytes = 0;
};

struct RunResult {
  std::vector<RequestState> requests;  // index = request id
  // Every gap between consecutive tokens of every measured request (vLLM's pooled ITL).
  LatencySketch itl_ms;
  // The same gaps one by one, only with SimulationOptions::record_itl_samples.
  struct ItlSample {
    int64_t request;
    SimTime gap_ns;
  };
  std::vector<ItlSample> itl;
  // Tokens emitted by measured requests (first tokens included), for vLLM's per-second output
  // token counts (max_output_tokens_per_s): counted into whole seconds as they happen
  // (output_token_buckets.hpp), or, with a cool-down, whose measured window the metrics may draw
  // differently (sessions' later arrivals), kept as one entry per step end that emitted any.
  using TokenBurst = llmpo::TokenBurst;
  OutputTokenBuckets measured_token_seconds;
  std::vector<TokenBurst> measured_token_bursts;
  std::vector<TimeseriesPoint> timeseries;
  SimTime end_ns = 0;                  // the last event
  double in_system_area_ns = 0;        // integral over time of admitted, unfinished requests
  int64_t steps = 0;
  int64_t events = 0;
  int64_t batch_sequences_total = 0;   // sum over steps of sequences in the step
  int64_t peak_batch_sequences = 0;
  double kv_utilization_area_ns = 0;   // integral of mean KV use over replicas
  int64_t peak_kv_blocks = 0;          // most KV blocks in use at once on one replica
  int64_t preemptions = 0;
  int64_t unsent_requests = 0;         // closed loop: never sent before stop_sending_ns; sessions:
                                       // later turns of a session whose turn was rejected
  std::vector<PdTiming> pd;            // P/D disaggregation: index = request id; else empty
  // Speculative decoding, measured requests: verifications by how many drafts they accepted
  // (index 0..k; empty without speculation). vLLM's acceptance length is index + 1.
  std::vector<int64_t> spec_accepted_histogram;
};

// A step planned at start_ns whose end has not been recorded (Simulation::try_decode_run).
struct PendingStep {
  const StepPlan* plan = nullptr;
  SimTime start_ns = 0;
};

class Simulation {
 public:
  Simulation(const Workload& workload, std::vector<Replica> replicas, SimulationOptions options);
  RunResult run();

 private:
  // Reserves the time series for the run's expected length.
  void reserve_for_expected_end();
  void on_arrival(const Event& event);
  // After routing: the request enters replica `replica` (or waits for its next step's planning).
  void deliver(int32_t replica, int64_t index, SimTime now);
  // P/D (simulation_pd.cpp): the replica's role; a prefill replica's copy of a request.
  bool is_prefill(std::size_t replica) const {
    return options_.pd && replica < static_cast<std::size_t>(options_.pd->prefill_replicas);
  }
  RequestState& state_at(std::size_t replica, int64_t index) {
    return is_prefill(replica) ? prefill_states_[static_cast<std::size_t>(index)]
                               : result_.requests[static_cast<std::size_t>(index)];
  }
  void setup_pd();
  // The pick of `router` among the replicas [first, first + count).
  int32_t pick_in_pool(Router& router, int32_t first, int32_t count);
  // A prefill replica finished request `index`'s prefill at `now`: on to a decode replica.
  void hand_off(int64_t index, SimTime now);
  // The decode replica's read of request `index` ended: the prefill replica frees its blocks.
  void on_kv_sent(const Event& event);
  // The prefill replica holding request `index`'s KV frees it now (read, or never to be read).
  void release_prefill_kv(int64_t index, SimTime now);
  struct PdKvSource final : RemoteKvSource {
    Simulation* simulation = nullptr;
    SimTime start_read(const RequestState& r, SimTime now) override;
  };
  // Hands request `index` to replica `replica`'s framework (or records its rejection).
  void admit_to(int32_t replica, int64_t index, SimTime now);
  // Admits the arrivals deferred while a step ran; true when there were any.
  bool admit_deferred(int32_t replica, SimTime now);
  void on_step_end(const Event& event);
  // The tokens a step of replica `k` emitted reach the client: first-token times, inter-token
  // gaps, completions.
  void record_client_tokens(std::size_t k, const StepEvents& events, SimTime now);
  // A request of replica k emitted its last token at `now`: it leaves the system, and its client
  // or session sends what comes next.
  void complete_request(std::size_t k, RequestState& r, SimTime now);
  void try_start_step(int32_t replica, SimTime now);
  // Bulk decoding (simulation_decode_run.cpp): advances a DecodeRun of `replica` up to the next
  // event, or through the step in which it falls when may_straddle_next_event; false when none
  // applies.
  // `pending`: the step just planned at pending.start_ns, ending at `now`; the run then starts
  // at its end, and the step's end is recorded with it (false, changing nothing, when that step
  // would not lead into a run: its step_end is then queued as usual).
  bool try_decode_run(int32_t replica, SimTime now, PendingStep pending = {});
  bool may_straddle_next_event(std::size_t k) const;
  // Whether no arrival can fall exactly at `at_ns` while a run goes on (false when unsure).
  bool no_arrival_at(SimTime at_ns) const;
  // Before each event: records what the step_ends of straddled steps ending by its instant would
  // have, in time order.
  void settle_straddled_steps(const Event& event);
  // Replica k is in a straddled step: an arrival is held back as while a step is in flight.
  bool in_straddled_step(std::size_t k, SimTime now) const;
  // Replica k's KV blocks in use at `now` given the framework's count (which already includes
  // every straddled step's).
  int64_t straddled_kv_blocks(std::size_t k, SimTime now, int64_t framework_blocks) const;
  void send_next_for_client(int32_t client, SimTime now);
  // The replica a request goes to (the router's pick, or its session's with session_affinity).
  int32_t route(const Request& request);
  // Open loop: queues the next request with a fixed arrival time (skipping follow-ups).
  void push_next_fixed_arrival();
  // Sessions: `previous` finished at `now`; its session's next turn is sent after its think time.
  void send_next_turn(const RequestState& previous, SimTime now);
  // Inside the warm-up/cool-down window: its inter-token gaps count.
  bool measured(const RequestState& r) const {
    return r.request.arrival_ns >= options_.measure_from_ns && r.request.arrival_ns <= options_.measure_until_ns;
  }
  // Before an event: adds the state held since the last event to the time integrals.
  void integrate_until(SimTime now);
  // After an event: records the new state (one stats() call per replica) for the integrals and
  // the time series.
  void observe(SimTime now);
  // Measured requests emitted `tokens` at the step end `at_ns`.
  void record_measured_tokens(SimTime at_ns, int64_t tokens) {
    if (keep_token_bursts_) result_.measured_token_bursts.push_back({at_ns, tokens});
    else token_counter_.add(at_ns, tokens, result_.requests);
  }
  // Speculative decoding: a measured request's verification accepted `accepted` drafts.
  void record_acceptance(int32_t accepted);
  // Publishes progress to options_.control and throws Interrupted when a stop was requested.
  void report_progress(SimTime now);

  const Workload& workload_;
  std::vector<Replica> replicas_;
  std::vector<Framework*> frameworks_;
  SimulationOptions options_;
  Router router_;
  EventQueue queue_;
  RunResult result_;
  TimeseriesRecorder timeseries_;
  OutputTokenCounter token_counter_;
  bool keep_token_bursts_ = false;  // a cool-down: RunResult::measured_token_bursts instead

  // Per replica, the plans of the steps in flight: a ring of pipeline_depth slots, oldest at
  // flight_head_; stage_free_ns_ is when each pipeline stage finishes its current step.
  std::vector<std::vector<StepPlan>> flight_plans_;
  std::vector<int64_t> flight_head_;
  std::vector<int64_t> flight_count_;
  std::vector<std::vector<SimTime>> stage_free_ns_;
  std::vector<SimTime> stage_times_;  // scratch
  std::vector<StepEvents> step_events_;
  // A new step may start now: a slot is free and the first stage is idle.
  bool can_start(std::size_t k, SimTime now) const {
    return flight_count_[k] < replicas_[k].pipeline_depth && stage_free_ns_[k][0] <= now;
  }
  std::vector<bool> schedule_pending_;
  std::vector<SimTime> pending_wake_ns_;
  std::vector<int64_t> outstanding_;
  // Async scheduling: arrivals routed to a replica while its step ran, admitted once the next
  // step has been planned.
  std::vector<std::vector<int64_t>> deferred_arrivals_;
  std::vector<SimTime> last_step_ns_;  // each replica's latest step duration (a heuristic's input)
  std::vector<int64_t> next_for_client_;
  std::size_t next_fixed_ = 0;  // open loop: the next request push_next_fixed_arrival() considers
  std::unordered_map<int64_t, int32_t> session_replica_;  // session_affinity: session id -> replica
  int64_t in_system_ = 0;
  int64_t arrivals_handled_ = 0;
  int64_t finished_reported_ = 0;  // requests finished, as last added to the control's count
  SimTime last_area_ns_ = 0;
  int64_t observed_in_system_ = 0;
  bool observed_by_handler_ = false;  // a decode run recorded this event's state itself
  DecodeRun decode_run_;
  std::vector<RequestState*> decode_running_;
  std::vector<RequestState*> decode_finished_;  // scratch: those of a run's batch that finished
  struct DecodeStepEnd {
    SimTime end_ns;
    SimTime duration_ns;
    int64_t blocks_after;
  };
  std::vector<DecodeStepEnd> decode_ends_;
  std::vector<double> replica_kv_fractions_;  // scratch: each replica's KV use during a run
  // A decode run's last steps from the one an arrival falls in (with async scheduling also the
  // next): advanced with the run, but what their step_ends record is recorded when they end,
  // after the arrivals they straddle. replica -1: none.
  struct StraddledSteps {
    int32_t replica = -1;
    int64_t tokens = 0;    // per step: the batch, one token per request
    int64_t measured = 0;  // of them, from measured requests
    std::array<SimTime, 2> ends_ns{};
    int32_t count = 0;     // steps in ends_ns
    int32_t settled = 0;   // of them, ended and recorded
    int64_t blocks_during_first = 0;
  };
  StraddledSteps straddled_;
  double observed_kv_utilization_ = 0;
  SimTime last_event_ns_ = 0;
  // P/D disaggregation.
  std::vector<RequestState> prefill_states_;  // each request as its prefill replica sees it
  std::optional<Router> decode_router_;
  PdKvSource kv_source_;
  std::vector<SimTime> link_free_ns_;         // per replica: when its decode-side link is free
  std::vector<Framework*> pool_frameworks_;   // scratch for pick_in_pool
  std::vector<int64_t> pool_outstanding_;
};

}  // namespace llmpo
