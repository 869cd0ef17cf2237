// Prefill/decode disaggregation in the simulation: the hand-off of a request from its prefill
// replica to a decode replica, and the KV read between them (PdOptions, kv_transfer.hpp).
//
// As vLLM's disaggregated proxy (examples/online_serving/disaggregated_serving*/toy_proxy_server.py)
// runs a request: the prefill instance gets it with max_tokens = 1 and keeps its blocks once done
// (NixlConnector.request_finished delays the free); the proxy then sends it to a decode instance,
// whose scheduler allocates blocks for the prompt, reads the KV (WAITING_FOR_REMOTE_KVS) and
// recomputes the last prompt token, whose step streams the first token to the client; the prefill
// instance frees its blocks when the read is done. The prefill's own token never reaches the client.
#include <fmt/format.h>

#include "simulation.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

void Simulation::setup_pd() {
  const PdOptions& pd = *options_.pd;
  const auto count = static_cast<int32_t>(replicas_.size());
  if (pd.prefill_replicas < 1 || pd.prefill_replicas >= count)
    throw InternalError(fmt::format("P/D: {} prefill replicas of {} leave no prefill or no decode pool",
                                    pd.prefill_replicas, count));
  if (!(pd.link.bandwidth_bytes_per_s > 0) || !(pd.link.kv_bytes_per_token > 0))
    throw InternalError("P/D: the KV link needs a positive bandwidth and KV bytes per token");
  kv_source_.simulation = this;
  for (int32_t k = 0; k < count; ++k) {
    const bool prefill = k < pd.prefill_replicas;
    if (!frameworks_[static_cast<std::size_t>(k)]->set_pd_role(prefill ? PdRole::prefill : PdRole::decode,
                                                               prefill ? nullptr : &kv_source_))
      throw InternalError(fmt::format("P/D: replica {}'s framework has no model of disaggregated serving", k));
  }
  decode_router_.emplace(pd.decode_router);
  link_free_ns_.assign(replicas_.size(), 0);
}

int32_t Simulation::pick_in_pool(Router& router, int32_t first, int32_t count) {
  pool_frameworks_.assign(frameworks_.begin() + first, frameworks_.begin() + first + count);
  pool_outstanding_.assign(outstanding_.begin() + first, outstanding_.begin() + first + count);
  return first + router.pick(pool_frameworks_, pool_outstanding_);
}

void Simulation::hand_off(int64_t index, SimTime now) {
  const auto i = static_cast<std::size_t>(index);
  const RequestState& prefilled = prefill_states_[i];
  RequestState& r = result_.requests[i];
  PdTiming& timing = result_.pd[i];
  timing.prefill_replica = prefilled.instance;
  timing.prefill_start_ns = prefilled.first_scheduled_ns;
  timing.prefill_end_ns = now;
  // The client's request was first computed on at its prefill; its prefix hits are the prefill's.
  r.first_scheduled_ns = prefilled.first_scheduled_ns;
  r.cached_prompt_tokens = prefilled.cached_prompt_tokens;
  r.host_loaded_tokens = prefilled.host_loaded_tokens;
  const int32_t decode_first = options_.pd->prefill_replicas;
  const int32_t replica =
      pick_in_pool(*decode_router_, decode_first, static_cast<int32_t>(replicas_.size()) - decode_first);
  // A one-token prompt has no KV to read (its only token is recomputed): nothing stays held.
  if (r.request.prompt_tokens < 2) release_prefill_kv(index, now);
  deliver(replica, index, now);
}

SimTime Simulation::PdKvSource::start_read(const RequestState& r, SimTime now) {
  Simulation& s = *simulation;
  const auto i = static_cast<std::size_t>(r.request.id);
  const auto k = static_cast<std::size_t>(r.instance);
  const KvTransferLink& link = s.options_.pd->link;
  // FIFO on the decode replica's link: a read starts when the one before it ends.
  const SimTime ends = std::max(now, s.link_free_ns_[k]) + link.transfer_ns(r.request.prompt_tokens);
  if (ends > kMaxSimTimeNs) throw InputError("a KV transfer ends past the simulator's clock limit: lower the load");
  s.link_free_ns_[k] = ends;
  PdTiming& timing = s.result_.pd[i];
  timing.transfer_start_ns = now;
  timing.transfer_end_ns = ends;
  timing.transfer_bytes = static_cast<int64_t>(static_cast<double>(r.request.prompt_tokens) * link.kv_bytes_per_token);
  s.queue_.push(ends, EventPhase::kv_sent, timing.prefill_replica, r.request.id);
  return ends;
}

void Simulation::on_kv_sent(const Event& event) { release_prefill_kv(event.payload, event.time_ns); }

void Simulation::release_prefill_kv(int64_t index, SimTime now) {
  const int32_t replica = result_.pd[static_cast<std::size_t>(index)].prefill_replica;
  const auto k = static_cast<std::size_t>(replica);
  frameworks_[k]->release_sent_kv(prefill_states_[static_cast<std::size_t>(index)]);
  // Freed blocks may let a waiting prefill start.
  if (can_start(k, now) && !schedule_pending_[k]) {
    schedule_pending_[k] = true;
    queue_.push(now, EventPhase::schedule, replica);
  }
}

}  // namespace llmpo
