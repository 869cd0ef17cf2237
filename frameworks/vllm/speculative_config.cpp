#include "speculative_config.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "simulator/core/rng.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// vLLM accepts any k, but past ~10 drafts the chance that all are accepted is negligible and the
// verify rows only cost; 16 bounds the per-step arrays and the histogram.
constexpr NumberRange kSpeculativeTokensRange{1, 16, false};
constexpr NumberRange kProbabilityRange{0, 1, false};
// Sums of probabilities read from YAML: 1 within this (three decimals as published tables give them).
constexpr double kProbabilitySumTolerance = 1e-3;

std::vector<double> read_probability_list(StrictMap& config, const std::string& key) {
  const YAML::Node node = config.get_node(key);
  std::vector<double> out;
  if (node.IsScalar()) {
    out.push_back(scalar_to_double(node, config.file(), config.path_of(key), kProbabilityRange));
    return out;
  }
  if (!node.IsSequence() || node.size() == 0)
    config.fail(key, "expected a probability in [0, 1] or a non-empty list of them");
  for (std::size_t i = 0; i < node.size(); ++i)
    out.push_back(scalar_to_double(node[i], config.file(), config.path_of(key) + fmt::format("[{}]", i), kProbabilityRange));
  return out;
}

// Mixes one more value into a 64-bit state (splitmix64's finaliser applied to state + value).
uint64_t mix(uint64_t state, uint64_t value) {
  uint64_t s = state ^ (value + 0x9e3779b97f4a7c15ULL + (state << 6) + (state >> 2));
  return splitmix64_next(s);
}

}  // namespace

const std::vector<std::string>& speculative_method_names() {
  static const std::vector<std::string> names = {"none", "eagle", "eagle3", "mtp", "ngram", "draft_model"};
  return names;
}

double SpeculativeSettings::expected_accepted_tokens() const {
  double expected = 0, reach = 1;
  for (int64_t i = 0; i < num_speculative_tokens && i < static_cast<int64_t>(acceptance_rates.size()); ++i) {
    reach *= acceptance_rates[static_cast<std::size_t>(i)];
    expected += reach;
  }
  return expected;
}

std::vector<double> rates_from_length_distribution(const std::vector<double>& p) {
  std::vector<double> rates;
  double at_least = 1;  // P(L >= i - 1)
  for (std::size_t i = 1; i < p.size(); ++i) {
    const double next = std::max(0.0, at_least - p[i - 1]);  // P(L >= i)
    rates.push_back(at_least > 0 ? std::min(1.0, next / at_least) : 1.0);
    at_least = next;
  }
  return rates;
}

SpeculativeSettings read_speculative_config(StrictMap& config) {
  SpeculativeSettings s;
  s.method = to_lower(config.get_choice("method", speculative_method_names()));
  if (s.method == "none") {
    config.reject_unknown_keys({"method"});
    return s;
  }
  s.num_speculative_tokens = config.get_int("num_speculative_tokens", kSpeculativeTokensRange);
  const auto k = static_cast<std::size_t>(s.num_speculative_tokens);
  const bool has_rate = config.has("acceptance_rate");
  const bool has_lengths = config.has("acceptance_length_distribution");
  if (has_rate == has_lengths)
    config.fail(has_rate ? "acceptance_length_distribution" : "method",
                "give exactly one of acceptance_rate (one probability for every draft position, or a list of k "
                "conditional per-position rates) and acceptance_length_distribution (k + 1 probabilities of "
                "accepting exactly 0..k drafts); the simulator has no tokens to verify, so it cannot infer them");
  if (has_rate) {
    s.acceptance_rates = read_probability_list(config, "acceptance_rate");
    if (s.acceptance_rates.size() == 1) s.acceptance_rates.assign(k, s.acceptance_rates.front());
    if (s.acceptance_rates.size() != k)
      config.fail("acceptance_rate", fmt::format("{} rates for num_speculative_tokens {}: give one rate, or one per "
                                                 "draft position",
                                                 s.acceptance_rates.size(), k));
  } else {
    const std::vector<double> lengths = read_probability_list(config, "acceptance_length_distribution");
    if (lengths.size() != k + 1)
      config.fail("acceptance_length_distribution",
                  fmt::format("{} probabilities for num_speculative_tokens {}: give k + 1 = {} (accepting exactly 0, "
                              "1, ..., k drafts)",
                              lengths.size(), k, k + 1));
    double sum = 0;
    for (double p : lengths) sum += p;
    if (std::abs(sum - 1) > kProbabilitySumTolerance)
      config.fail("acceptance_length_distribution", fmt::format("the probabilities sum to {:.4f}, not 1", sum));
    s.acceptance_rates = rates_from_length_distribution(lengths);
  }
  s.model = config.opt_string("model").value_or("");
  if (s.method == "draft_model" && s.model.empty())
    config.fail("method", "method draft_model needs `model:`, the draft model's id in the model library "
                          "(`llmperforacle list models`)");
  const bool head = s.method == "eagle" || s.method == "eagle3" || s.method == "mtp";
  if (config.has("draft_layers") && !head)
    config.fail("draft_layers", fmt::format("draft_layers is the layer count of an EAGLE or MTP head; method {} has none",
                                            s.method));
  s.draft_layers = config.opt_int("draft_layers", {1, 64, false}).value_or(1);
  s.draft_layers_given = config.has("draft_layers");
  if (config.has("draft_vocab_size") && s.method != "eagle3")
    config.fail("draft_vocab_size", "draft_vocab_size is EAGLE-3's own LM-head vocabulary; only method eagle3 takes it");
  // EAGLE-3 heads ship a 32k draft vocabulary (yuhuili/EAGLE3-LLaMA3.1-Instruct-8B config.json draft_vocab_size).
  s.draft_vocab_size = config.opt_int("draft_vocab_size", {1, 0x1p24, false}).value_or(s.method == "eagle3" ? 32000 : 0);
  if ((config.has("prompt_lookup_min") || config.has("prompt_lookup_max")) && s.method != "ngram")
    config.fail(config.has("prompt_lookup_min") ? "prompt_lookup_min" : "prompt_lookup_max",
                "prompt_lookup_min/max are the n-gram proposer's window; only method ngram takes them");
  s.prompt_lookup_max = config.opt_int("prompt_lookup_max", {1, 1024, false}).value_or(s.method == "ngram" ? 5 : 0);
  s.prompt_lookup_min = config.opt_int("prompt_lookup_min", {1, 1024, false}).value_or(s.method == "ngram" ? 5 : 0);
  if (s.prompt_lookup_min > s.prompt_lookup_max)
    config.fail("prompt_lookup_min", fmt::format("prompt_lookup_min {} exceeds prompt_lookup_max {}", s.prompt_lookup_min,
                                                 s.prompt_lookup_max));
  config.reject_unknown_keys({"method", "num_speculative_tokens", "acceptance_rate", "acceptance_length_distribution",
                              "model", "draft_layers", "draft_vocab_size", "prompt_lookup_min", "prompt_lookup_max"});
  return s;
}

nlohmann::json speculative_to_json(const SpeculativeSettings& s) {
  nlohmann::json out;
  out["method"] = s.method;
  if (!s.enabled()) return out;
  out["num_speculative_tokens"] = s.num_speculative_tokens;
  out["acceptance_rate"] = s.acceptance_rates;
  out["expected_accepted_tokens"] = s.expected_accepted_tokens();
  out["model"] = s.model;
  out["draft_layers"] = s.draft_layers;
  out["draft_vocab_size"] = s.draft_vocab_size;
  if (s.method == "ngram") {
    out["prompt_lookup_min"] = s.prompt_lookup_min;
    out["prompt_lookup_max"] = s.prompt_lookup_max;
  }
  return out;
}

ModelSpec drafter_model_spec(const ModelSpec& target, const SpeculativeSettings& settings, const ModelSpec* draft) {
  if (settings.method == "draft_model") {
    if (draft == nullptr) throw InternalError("drafter_model_spec: method draft_model without its model");
    return *draft;
  }
  ModelSpec head = target;
  head.id = target.id + " " + settings.method + " head";
  head.num_layers = settings.draft_layers;
  if (settings.method == "mtp") {
    // vLLM's MTP drafter runs the checkpoint's own next-token layers (DeepSeek-V3's
    // num_nextn_predict_layers: one full MoE decoder layer), never a dense first layer.
    if (!settings.draft_layers_given && target.mtp_layers > 0) head.num_layers = target.mtp_layers;
    head.moe.first_dense_layers = 0;
  }
  head.sliding_window = {};
  head.moe.moe_layer_interval = 1;
  if (settings.draft_vocab_size > 0) {
    head.vocab_size = settings.draft_vocab_size;
    head.tie_word_embeddings = false;
  }
  return head;
}

int32_t AcceptanceModel::draw(int64_t request_id, int64_t output_position, int32_t drafted) const {
  const uint64_t base = mix(mix(seed_, static_cast<uint64_t>(request_id)), static_cast<uint64_t>(output_position));
  int32_t accepted = 0;
  for (int32_t i = 0; i < drafted && i < static_cast<int32_t>(rates_.size()); ++i) {
    // 53 random bits -> a uniform double in [0, 1).
    const double u = static_cast<double>(mix(base, static_cast<uint64_t>(i)) >> 11) * 0x1p-53;
    if (u >= rates_[static_cast<std::size_t>(i)]) break;
    ++accepted;
  }
  return accepted;
}

}  // namespace llmpo
