#pragma once
// Speculative decoding in vLLM V1 (`--speculative-config '{"method": ..., "num_speculative_tokens": k}'`,
// vllm/config/speculative.py): which proposer drafts tokens, how many per step, and how often the
// target model accepts them.
//
// What vLLM 0.19 does, and what is modelled here:
//   - The scheduler (vllm/v1/core/sched/scheduler.py) gives a running decode request
//     1 + len(spec_token_ids) new tokens; they count against max_num_batched_tokens and are capped
//     so that no position passes max_model_len - 1. KV slots are allocated for them (plus
//     num_lookahead_tokens = k for the model-based drafters, whose own KV runs k ahead).
//   - The target verifies the k + 1 positions of each sequence in one forward: a small prefill of
//     k + 1 tokens over the cached context, logits at every position.
//   - The rejection sampler (vllm/v1/sample/rejection_sampler.py) accepts a prefix of the drafts
//     and adds one token of its own (the correction, or the bonus token when all were accepted):
//     the request gains accepted + 1 tokens; the KV of rejected positions is discarded
//     (num_computed_tokens rolled back) while the blocks stay allocated.
//   - Async scheduling works with speculation (vllm/v1/core/sched/async_scheduler.py schedules
//     k placeholder drafts per decode request), so it stays as configured.
// Not modelled: a draft shorter than k because the n-gram proposer found no match (the acceptance
// rates stand for that), tree drafts, disable_by_batch_size.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "models/model_spec.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo {

// vLLM's method names (SpeculativeConfig.method) that are modelled; "none" = no speculation.
const std::vector<std::string>& speculative_method_names();  // none, eagle, eagle3, mtp, ngram, draft_model

struct SpeculativeSettings {
  std::string method = "none";
  int64_t num_speculative_tokens = 0;  // k drafts per step
  std::string model;                   // draft model: a library model id (draft_model), or the
                                       // EAGLE head's name (informational)
  // Conditional acceptance rate of each draft position given the ones before it were accepted
  // (a_1 .. a_k); the input may give one rate for all positions or a measured
  // acceptance-length distribution, both stored as these rates.
  std::vector<double> acceptance_rates;
  int64_t draft_layers = 1;       // decoder layers of the EAGLE / MTP head (DeepSeek-V3: num_nextn_predict_layers 1)
  bool draft_layers_given = false; // draft_layers set in the input; else MTP takes the model's mtp_layers
  int64_t draft_vocab_size = 0;   // EAGLE-3's own LM head vocabulary; 0 = the target's
  int64_t prompt_lookup_min = 0;  // n-gram matching window (vLLM's keys; only recorded)
  int64_t prompt_lookup_max = 0;

  bool enabled() const { return method != "none" && num_speculative_tokens > 0; }
  // EAGLE, EAGLE-3, MTP and a draft model run a GPU drafter and allocate k lookahead KV slots.
  bool model_based() const { return enabled() && method != "ngram"; }
  // Expected accepted drafts per verification: sum over i of a_1 x ... x a_i.
  double expected_accepted_tokens() const;
};

// Reads `speculative_config:` (a mapping) with strict validation: method (required),
// num_speculative_tokens (required, 1..16), acceptance_rate (a number or a list of k numbers in
// [0, 1]) or acceptance_length_distribution (k + 1 probabilities of accepting exactly 0..k
// drafts, summing to 1), model (required for draft_model), draft_layers, draft_vocab_size,
// prompt_lookup_min/max (ngram).
SpeculativeSettings read_speculative_config(StrictMap& config);

// Conditional rates a_1..a_k from P(exactly j drafts accepted), j = 0..k: a_i = P(L >= i) / P(L >= i - 1)
// (1 where nothing reaches position i - 1, which then never matters).
std::vector<double> rates_from_length_distribution(const std::vector<double>& probability_of_length);

nlohmann::json speculative_to_json(const SpeculativeSettings& settings);

// The model the GPU drafter runs, for its CostModel: for EAGLE, EAGLE-3 and MTP a copy of the
// target with draft_layers decoder layers (MTP without draft_layers: the target's own mtp_layers,
// HF num_nextn_predict_layers, each an MoE layer for DeepSeek-V3) at the target's width, full attention, and the target's
// LM head (EAGLE-3: its own draft_vocab_size head); MoE targets keep MoE layers (DeepSeek-V3's MTP
// layer is one). Not priced: the head's input projection (fc / eh_proj, 2-3 x hidden -> hidden)
// and EAGLE-3's wider first attention input. For draft_model, `draft` itself.
ModelSpec drafter_model_spec(const ModelSpec& target, const SpeculativeSettings& settings,
                             const ModelSpec* draft = nullptr);

// The n-gram proposer's CPU time per sequence and step (vllm/v1/spec_decode/ngram_proposer.py:
// numba-compiled KMP matching of the last prompt_lookup_max tokens over the request's tokens,
// batched over requests in the worker after sampling). Assumed, not measured: a few microseconds
// per request for contexts of a few thousand tokens.
inline constexpr double kNgramProposerCpuPerSeqS = 3e-6;

// The acceptance draws: deterministic, a pure function of (seed, request id, output position,
// draft position), so runs are byte-identical and two configurations compared on one workload
// see the same draws for the same request and position.
class AcceptanceModel {
 public:
  AcceptanceModel(std::vector<double> rates, uint64_t seed) : rates_(std::move(rates)), seed_(seed) {}
  // Drafts accepted out of `drafted` (<= the rates given) for a request whose verified tokens
  // follow its `output_position`-th output token: a prefix, each position accepted with its
  // conditional rate.
  int32_t draw(int64_t request_id, int64_t output_position, int32_t drafted) const;
  const std::vector<double>& rates() const { return rates_; }

 private:
  std::vector<double> rates_;
  uint64_t seed_;
};

}  // namespace llmpo
