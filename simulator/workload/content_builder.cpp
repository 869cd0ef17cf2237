#include "content_builder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

PrefixPools::PrefixPools(const WorkloadSpec& spec, std::size_t class_count, uint64_t seed, PromptTree& tree)
    : pool_of_class_(class_count, -1), choice_rng_(stream(seed, kPrefixChoiceStream)) {
  Rng length_rng = stream(seed, kPrefixTokensStream);
  const auto add_pool = [&](const SharedPrefixSpec& prefixes) {
    Pool pool;
    const LengthSampler tokens(prefixes.tokens);
    for (int64_t k = 0; k < prefixes.count; ++k) pool.nodes.push_back(tree.add(kNoPromptNode, tokens.sample(length_rng)));
    if (prefixes.popularity == PrefixPopularity::zipf) pool.zipf.emplace(1, prefixes.count, prefixes.exponent);
    pools_.push_back(std::move(pool));
    return static_cast<int32_t>(pools_.size()) - 1;
  };
  const int32_t shared = spec.shared_prefixes ? add_pool(*spec.shared_prefixes) : -1;
  for (std::size_t c = 0; c < class_count; ++c) {
    const bool own = c < spec.classes.size() && spec.classes[c].shared_prefixes;
    pool_of_class_[c] = own ? add_pool(*spec.classes[c].shared_prefixes) : shared;
  }
}

int32_t PrefixPools::choose(int32_t class_id) {
  const int32_t index = pool_of_class_[static_cast<std::size_t>(class_id)];
  if (index < 0) return kNoPromptNode;
  const Pool& pool = pools_[static_cast<std::size_t>(index)];
  const int64_t k = pool.zipf ? pool.zipf->sample(choice_rng_) - 1
                              : sample_uniform_int(choice_rng_, 0, static_cast<int64_t>(pool.nodes.size()) - 1);
  return pool.nodes[static_cast<std::size_t>(k)];
}

int32_t add_request_content(PromptTree& tree, int32_t base, int32_t prompt_tokens, int32_t output_tokens) {
  int64_t base_tokens = base == kNoPromptNode ? 0 : tree.end_tokens(base);
  int32_t node = base;
  if (prompt_tokens < base_tokens) {
    node = kNoPromptNode;
    base_tokens = 0;
  }
  if (prompt_tokens > base_tokens) node = tree.add(node, prompt_tokens - base_tokens);
  return tree.add(node, output_tokens);
}

namespace {

// One session's draws, all made before its requests are laid out so that the streams advance
// by the same amount whatever max_model_len cuts off.
struct TurnDraws {
  std::vector<int32_t> message_tokens, output_tokens;
  std::vector<double> think_s;  // [0] unused: the first turn arrives by the arrival process
};

}  // namespace

SessionClipping build_sessions(const WorkloadSpec& spec, uint64_t seed, int64_t max_model_len,
                               const SessionStarts& starts, const std::vector<LengthSampler>& prompt_samplers,
                               const std::vector<LengthSampler>& output_samplers, PrefixPools& prefixes,
                               PromptTree& tree, Workload& w) {
  const SessionSpec& sessions = *spec.sessions;
  const LengthSampler turns_sampler(sessions.turns);
  std::optional<LengthSampler> tool_result, tool_call;
  if (sessions.kind == SessionKind::agent) {
    tool_result.emplace(*sessions.tool_result_tokens);
    tool_call.emplace(*sessions.tool_call_tokens);
  }
  Rng turns_rng = stream(seed, kSessionTurnsStream);
  Rng think_rng = stream(seed, kThinkTimeStream);
  Rng prompt_rng = stream(seed, kPromptStream);
  Rng output_rng = stream(seed, kOutputStream);
  SessionClipping clipping;
  TurnDraws draws;
  for (std::size_t s = 0; s < starts.times_s.size(); ++s) {
    const auto c = static_cast<std::size_t>(starts.class_ids[s]);
    const int32_t turns = turns_sampler.sample(turns_rng);
    draws.message_tokens.assign(static_cast<std::size_t>(turns), 0);
    draws.output_tokens.assign(static_cast<std::size_t>(turns), 0);
    draws.think_s.assign(static_cast<std::size_t>(turns), 0.0);
    for (int32_t t = 0; t < turns; ++t) {
      const bool tool_turn = t > 0 && tool_result;
      draws.message_tokens[static_cast<std::size_t>(t)] = (tool_turn ? *tool_result : prompt_samplers[c]).sample(prompt_rng);
      draws.output_tokens[static_cast<std::size_t>(t)] = (tool_turn ? *tool_call : output_samplers[c]).sample(output_rng);
      if (t > 0) draws.think_s[static_cast<std::size_t>(t)] = sample_seconds(sessions.think_time, think_rng);
    }
    const int32_t prefix = prefixes.choose(starts.class_ids[s]);

    int32_t history = prefix;  // the node ending everything sent and received so far
    for (int32_t t = 0; t < turns; ++t) {
      const int64_t history_tokens = history == kNoPromptNode ? 0 : tree.end_tokens(history);
      int64_t prompt = history_tokens + draws.message_tokens[static_cast<std::size_t>(t)];
      int64_t output = draws.output_tokens[static_cast<std::size_t>(t)];
      bool last = t + 1 == turns;
      if (max_model_len > 0 && prompt + output > max_model_len) {
        if (t > 0) {  // the conversation is full: it ends before this turn
          ++clipping.sessions_ended;
          clipping.turns_dropped += turns - t;
          break;
        }
        // A first turn alone too long is shortened as any request is (output first, down to
        // 1 token, then prompt); any later turn would exceed the limit, so the session ends.
        ++clipping.first_turns_clipped;
        if (!last) {
          ++clipping.sessions_ended;
          clipping.turns_dropped += turns - 1;
        }
        output = std::max<int64_t>(1, max_model_len - prompt);
        prompt = std::min<int64_t>(prompt, max_model_len - output);
        last = true;
      }
      if (prompt + output > kMaxLengthTokens)
        throw InputError(SourcePos{}, "workload.sessions",
                         fmt::format("session {} would reach {} tokens at turn {}, more than the {} one request may "
                                     "hold; lower turns or token lengths, or set over_max_model_len: clip",
                                     s, prompt + output, t + 1, kMaxLengthTokens));
      if (static_cast<int64_t>(w.requests.size()) == kMaxWorkloadRequestIds)
        throw InputError(SourcePos{}, "workload.sessions",
                         fmt::format("the sessions' turns come to more than {} requests, the most one workload may "
                                     "hold; lower num_requests or turns", kMaxWorkloadRequestIds));
      Request r;
      r.id = static_cast<int32_t>(w.requests.size());
      r.prompt_tokens = static_cast<int32_t>(prompt);
      r.output_tokens = static_cast<int32_t>(output);
      r.class_id = static_cast<int16_t>(starts.class_ids[s]);  // classes <= kMaxClientClasses
      r.arrival_ns = t == 0 ? instant_to_ns(starts.times_s[s]) : kNeverNs;
      r.content_node = add_request_content(tree, history, r.prompt_tokens, r.output_tokens);
      history = r.content_node;
      w.requests.push_back(r);
      w.set_session(r.id, static_cast<int64_t>(s));
      if (t > 0) w.link_turns(r.id - 1, r.id, duration_to_ns(draws.think_s[static_cast<std::size_t>(t)]));
      if (last) break;
    }
  }
  return clipping;
}

int64_t reusable_prompt_tokens(const Workload& w) {
  if (!w.prompts) return 0;
  const PromptTree& tree = *w.prompts;
  // Which nodes some earlier request's tokens covered. Coverage always runs from a root, so
  // walking up from a request's last node, the first covered node ends its reusable prefix.
  std::vector<char> covered(static_cast<std::size_t>(tree.size()), 0);
  int64_t reusable = 0;
  for (const Request& r : w.requests) {
    if (r.content_node == kNoPromptNode) continue;
    int32_t node = r.content_node;
    while (node != kNoPromptNode && !covered[static_cast<std::size_t>(node)]) {
      covered[static_cast<std::size_t>(node)] = 1;
      node = tree.parent(node);
    }
    if (node != kNoPromptNode) reusable += std::min<int64_t>(tree.end_tokens(node), r.prompt_tokens);
  }
  return reusable;
}

}  // namespace llmpo
