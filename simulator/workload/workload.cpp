#include "workload.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "content_builder.hpp"
#include "mooncake_trace.hpp"
#include "simulator/core/distributions.hpp"
#include "simulator/core/huge_pages.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

[[noreturn]] void bad_spec(const std::string& key, const std::string& message) {
  throw InputError(SourcePos{}, "workload." + key, message);
}

struct Arrivals {
  std::vector<double> times_s;             // one per request
  std::vector<const TraceRow*> trace_rows; // trace with arrivals: the row of each request
};

Arrivals trace_arrivals(const WorkloadSpec& spec) {
  const TraceSpec& trace = *spec.trace;
  if (!(trace.rate_scale > 0)) bad_spec("trace.rate_scale", "must be greater than 0");
  // The window [start_s, end_s) is taken in the trace's own time, before scaling, so that it
  // names the same slice of the real trace whatever rate_scale is; the window start becomes
  // t = 0 and times are then divided by rate_scale (rate_scale 2 = twice the request rate).
  Arrivals out;
  for (const TraceRow& row : *trace.rows) {
    if (row.time_s < trace.start_s || (trace.end_s && row.time_s >= *trace.end_s)) continue;
    if (spec.num_requests && static_cast<int64_t>(out.times_s.size()) == *spec.num_requests) break;
    if (static_cast<int64_t>(out.times_s.size()) == kMaxWorkloadRequestIds)
      bad_spec("trace", fmt::format("the window [start_s, end_s) holds more than {} requests, the most one workload "
                                    "may; narrow it or set num_requests", kMaxWorkloadRequestIds));
    out.times_s.push_back((row.time_s - trace.start_s) / trace.rate_scale);
    // A small rate_scale stretches time; past this, nanoseconds would overflow SimTime.
    if (!(out.times_s.back() <= kMaxArrivalS))
      bad_spec("trace.rate_scale", fmt::format("line {} of the trace would arrive at {} s, beyond the latest supported "
                                               "arrival ({} s); raise rate_scale or shorten the window",
                                               row.line, out.times_s.back(), kMaxArrivalS));
    out.trace_rows.push_back(&row);
  }
  if (out.times_s.empty()) bad_spec("trace", "no request of the trace falls in the window [start_s, end_s)");
  if (spec.num_requests && static_cast<int64_t>(out.times_s.size()) < *spec.num_requests)
    bad_spec("num_requests", fmt::format("{} requests asked for, but the trace window holds only {}",
                                         *spec.num_requests, out.times_s.size()));
  return out;
}

Arrivals synthetic_arrivals(const WorkloadSpec& spec, uint64_t seed) {
  if (!spec.arrival) bad_spec("arrival", "missing: an arrival process, or a trace with arrival times");
  const ArrivalSpec& arrival = *spec.arrival;
  Arrivals out;
  if (arrival.process == ArrivalProcess::closed_loop) {
    validate(arrival);
    if (!spec.num_requests || *spec.num_requests < 1) bad_spec("num_requests", "a closed loop needs num_requests >= 1");
    out.times_s.assign(static_cast<std::size_t>(*spec.num_requests), 0.0);
    return out;
  }
  std::optional<double> until_s = spec.duration_s;
  if (!spec.num_requests && !until_s) until_s = schedule_end_s(arrival);
  if (!spec.num_requests && !until_s) bad_spec("num_requests", "missing: give num_requests or duration_s");
  if (spec.num_requests && *spec.num_requests < 1) bad_spec("num_requests", "must be at least 1");
  Rng rng = stream(seed, kArrivalStream);
  out.times_s = generate_arrival_times_s(arrival, spec.num_requests, until_s, rng);
  if (out.times_s.empty())
    bad_spec("duration_s", fmt::format("no request arrives before {} s; lengthen duration_s or raise the rate", *until_s));
  return out;
}

// Picks each request's class by weight from its own stream (no draws for a single class).
std::vector<int32_t> choose_classes(const std::vector<ClientClass>& classes, std::size_t count, uint64_t seed) {
  std::vector<int32_t> ids = huge_vector<int32_t>(count, 0);
  if (classes.size() < 2) return ids;
  std::vector<double> cumulative;
  double total = 0.0;
  for (const ClientClass& c : classes) cumulative.push_back(total += c.weight);
  Rng rng = stream(seed, kClassStream);
  for (auto& id : ids) {
    const double u = rng.uniform01() * total;
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    id = static_cast<int32_t>(std::min<std::ptrdiff_t>(it - cumulative.begin(), static_cast<std::ptrdiff_t>(classes.size()) - 1));
  }
  return ids;
}

// Each class's prompt and output samplers (its own distributions, or the top-level ones).
void make_samplers(const WorkloadSpec& spec, std::size_t class_count, std::vector<LengthSampler>& prompt_samplers,
                   std::vector<LengthSampler>& output_samplers) {
  for (std::size_t c = 0; c < class_count; ++c) {
    const ClassSpec* cls = spec.classes.empty() ? nullptr : &spec.classes[c];
    const auto& p = cls && cls->prompt_tokens ? cls->prompt_tokens : spec.prompt_tokens;
    const auto& o = cls && cls->output_tokens ? cls->output_tokens : spec.output_tokens;
    if (!p) bad_spec("prompt_tokens", "missing: a token-length distribution, or a trace");
    if (!o) bad_spec("output_tokens", "missing: a token-length distribution, or a trace");
    prompt_samplers.emplace_back(*p);
    output_samplers.emplace_back(*o);
  }
}

// Content of a trace's rows that name a session or prefix (TraceRow): a prefix is one root
// segment shared by its rows; a session's row continues its previous row's tokens.
class TraceContent {
 public:
  explicit TraceContent(PromptTree& tree) : tree_(tree) {}
  int32_t add(const TraceRow& row, const Request& r) {
    int32_t base = kNoPromptNode;
    if (!row.block_hashes.empty()) {
      // Mooncake: a chain of 512-token blocks, shared while the ids agree; only the prompt's
      // full blocks (of the request as clipped) are shared, the partial last one is its own.
      const int64_t full_blocks =
          std::min<int64_t>(r.prompt_tokens / kMooncakeBlockTokens, static_cast<int64_t>(row.block_hashes.size()));
      for (int64_t b = 0; b < full_blocks; ++b) {
        const auto [it, added] = block_node_.try_emplace({base, row.block_hashes[static_cast<std::size_t>(b)]}, 0);
        if (added) it->second = tree_.add(base, kMooncakeBlockTokens);
        base = it->second;
      }
    } else if (row.session >= 0 && static_cast<std::size_t>(row.session) < session_last_.size() &&
        session_last_[static_cast<std::size_t>(row.session)] != kNoPromptNode) {
      base = session_last_[static_cast<std::size_t>(row.session)];
    } else if (row.prefix >= 0) {
      if (static_cast<std::size_t>(row.prefix) >= prefix_node_.size())
        prefix_node_.resize(static_cast<std::size_t>(row.prefix) + 1, kNoPromptNode);
      int32_t& node = prefix_node_[static_cast<std::size_t>(row.prefix)];
      if (node == kNoPromptNode) node = tree_.add(kNoPromptNode, row.prefix_tokens);
      base = node;
    }
    const int32_t content = add_request_content(tree_, base, r.prompt_tokens, r.output_tokens);
    if (row.session >= 0) {
      if (static_cast<std::size_t>(row.session) >= session_last_.size())
        session_last_.resize(static_cast<std::size_t>(row.session) + 1, kNoPromptNode);
      session_last_[static_cast<std::size_t>(row.session)] = content;
    }
    return content;
  }

 private:
  PromptTree& tree_;
  std::vector<int32_t> prefix_node_;   // by TraceRow::prefix
  std::vector<int32_t> session_last_;  // by TraceRow::session: its latest request's content node
  std::map<std::pair<int32_t, int64_t>, int32_t> block_node_;  // (parent node, block hash id) -> node
};

std::string format_mean(double value) { return fmt::format("{:.2f}", value); }

std::string describe_lengths(const WorkloadSpec& spec, const std::optional<LengthSpec> WorkloadSpec::*top,
                             const std::optional<LengthSpec> ClassSpec::*own) {
  if (spec.trace) return "trace";
  bool any_own = false;
  for (const ClassSpec& c : spec.classes) any_own = any_own || (c.*own).has_value();
  if (!any_own) return describe(*(spec.*top));
  std::vector<std::string> parts;
  for (const ClassSpec& c : spec.classes) parts.push_back(c.name + "=" + describe((c.*own) ? *(c.*own) : *(spec.*top)));
  return join(parts, "; ");
}

// Requests that are not part of generated sessions, one per arrival. Lengths: straight from a
// trace with arrivals; from a lengths trace in a seeded shuffled order (without replacement,
// wrapping around when more requests are needed than rows); or drawn from each request's class
// distribution, one stream for prompts and one for outputs. A shared prefix, when the class has
// a pool, comes before the drawn prompt; a trace's rows bring their own sessions and prefixes.
void generate_requests(const WorkloadSpec& spec, uint64_t seed, int64_t max_model_len, const Arrivals& arrivals,
                       const std::vector<int32_t>& class_ids, PrefixPools& prefixes, PromptTree& tree, Workload& w) {
  const std::size_t n = arrivals.times_s.size();
  const bool trace_times = spec.trace && spec.trace->has_arrivals();
  std::vector<int32_t> prompt = huge_vector<int32_t>(n), output = huge_vector<int32_t>(n);
  if (trace_times) {
    for (std::size_t i = 0; i < n; ++i) {
      prompt[i] = arrivals.trace_rows[i]->prompt_tokens;
      output[i] = arrivals.trace_rows[i]->output_tokens;
    }
  } else if (spec.trace) {
    const std::vector<TraceRow>& rows = *spec.trace->rows;
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    Rng rng = stream(seed, kTraceOrderStream);
    shuffle_in_place(rng, order);
    for (std::size_t i = 0; i < n; ++i) {
      prompt[i] = rows[order[i % order.size()]].prompt_tokens;
      output[i] = rows[order[i % order.size()]].output_tokens;
    }
  } else {
    std::vector<LengthSampler> prompt_samplers, output_samplers;
    make_samplers(spec, w.classes.size(), prompt_samplers, output_samplers);
    Rng prompt_rng = stream(seed, kPromptStream);
    Rng output_rng = stream(seed, kOutputStream);
    for (std::size_t i = 0; i < n; ++i) prompt[i] = prompt_samplers[static_cast<std::size_t>(class_ids[i])].sample(prompt_rng);
    for (std::size_t i = 0; i < n; ++i) output[i] = output_samplers[static_cast<std::size_t>(class_ids[i])].sample(output_rng);
  }
  bool trace_identity = false;
  if (trace_times)
    for (const TraceRow* row : arrivals.trace_rows)
      trace_identity = trace_identity || row->session >= 0 || row->prefix >= 0 || !row->block_hashes.empty();
  TraceContent trace_content(tree);

  reserve_huge(w.requests, n);
  w.requests.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    Request& r = w.requests[i];
    r.id = static_cast<int32_t>(i);  // n <= kMaxWorkloadRequestIds (arrivals)
    r.arrival_ns = w.closed_loop ? 0 : instant_to_ns(arrivals.times_s[i]);
    const int32_t prefix = prefixes.choose(class_ids[i]);
    const int64_t prefix_tokens = prefix == kNoPromptNode ? 0 : tree.end_tokens(prefix);
    const int64_t drawn_prompt = prefix_tokens + std::max<int32_t>(1, prompt[i]);
    r.output_tokens = std::max<int32_t>(1, output[i]);
    r.class_id = static_cast<int16_t>(class_ids[i]);  // classes <= kMaxClientClasses
    r.client_id = w.closed_loop ? static_cast<int32_t>(static_cast<int64_t>(i) % w.clients) : -1;
    int64_t total = drawn_prompt + r.output_tokens;
    if (max_model_len > 0 && total > max_model_len) {
      ++w.clipped_requests;
      r.output_tokens = static_cast<int32_t>(std::max<int64_t>(1, max_model_len - drawn_prompt));
      total = std::min<int64_t>(drawn_prompt, max_model_len - r.output_tokens) + r.output_tokens;
    }
    // A prefix plus the largest drawn prompt and output could pass what one request may hold
    // (Request's int32 lengths; the PromptTree's 31-bit offsets).
    if (prefix != kNoPromptNode && total > 2 * kMaxLengthTokens)
      bad_spec("shared_prefixes", fmt::format("request {} would hold {} tokens (prefix {} + prompt + output), more "
                                              "than the {} one request may; shorten the prefixes or lengths",
                                              i, total, prefix_tokens, 2 * kMaxLengthTokens));
    r.prompt_tokens = static_cast<int32_t>(total - r.output_tokens);
    if (prefix != kNoPromptNode) r.content_node = add_request_content(tree, prefix, r.prompt_tokens, r.output_tokens);
    if (trace_identity) {
      const TraceRow& row = *arrivals.trace_rows[i];
      r.content_node = trace_content.add(row, r);
      if (row.session >= 0) w.set_session(r.id, row.session);
    }
  }
}

}  // namespace

Workload generate_workload(const WorkloadSpec& spec, uint64_t seed, int64_t max_model_len) {
  if (max_model_len < 0 || max_model_len == 1)
    throw InternalError("generate_workload: max_model_len must be 0 (no limit) or at least 2");
  Workload w;
  if (static_cast<int64_t>(spec.classes.size()) > kMaxClientClasses)
    bad_spec("classes", fmt::format("{} classes; at most {} are supported", spec.classes.size(), kMaxClientClasses));
  for (const ClassSpec& c : spec.classes) {
    if (!(c.weight > 0)) bad_spec("classes", fmt::format("class '{}' needs a weight greater than 0", c.name));
    w.classes.push_back({c.name, c.weight, c.slo});
  }
  if (w.classes.empty()) w.classes.push_back({"default", 1.0, {}});

  const bool trace_times = spec.trace && spec.trace->has_arrivals();
  if (spec.trace && (!spec.trace->rows || spec.trace->rows->empty())) bad_spec("trace", "the trace has no rows");
  const Arrivals arrivals = trace_times ? trace_arrivals(spec) : synthetic_arrivals(spec, seed);
  const std::size_t n = arrivals.times_s.size();
  w.closed_loop = !trace_times && spec.arrival->process == ArrivalProcess::closed_loop;
  if (w.closed_loop) {
    w.clients = spec.arrival->clients;
    w.think_time_ns = duration_to_ns(spec.arrival->think_time_s);
  }
  const std::vector<int32_t> class_ids = choose_classes(w.classes, n, seed);

  auto tree = std::make_shared<PromptTree>();
  PrefixPools prefixes(spec, w.classes.size(), seed, *tree);  // no draws without shared_prefixes
  SessionClipping session_clipping;
  if (spec.sessions) {
    if (spec.trace) bad_spec("sessions", "sessions draw each turn from prompt_tokens and output_tokens, not a trace");
    std::vector<LengthSampler> prompt_samplers, output_samplers;
    make_samplers(spec, w.classes.size(), prompt_samplers, output_samplers);
    const SessionStarts starts{arrivals.times_s, class_ids};
    session_clipping = build_sessions(spec, seed, max_model_len, starts, prompt_samplers, output_samplers, prefixes,
                                      *tree, w);
    w.sessions = static_cast<int64_t>(n);
    w.clipped_requests = session_clipping.first_turns_clipped;
    w.sessions_ended_at_max_model_len = session_clipping.sessions_ended;
    w.turns_dropped_at_max_model_len = session_clipping.turns_dropped;
  } else {
    generate_requests(spec, seed, max_model_len, arrivals, class_ids, prefixes, *tree, w);
  }
  if (tree->size() > 0) w.prompts = tree;
  const std::size_t requests = w.requests.size();
  double prompt_sum = 0.0, output_sum = 0.0;
  for (const Request& r : w.requests) {
    prompt_sum += r.prompt_tokens;
    output_sum += r.output_tokens;
  }

  // Summary line and CSV columns (always the same keys, empty where they do not apply;
  // clipped_requests is a field of its own, not repeated here).
  const double count = static_cast<double>(requests);
  const double span_s = w.closed_loop ? 0.0 : arrivals.times_s.back();
  std::string arrival_text;
  std::string process;
  if (trace_times) {
    process = "trace";
    arrival_text = fmt::format("trace {} ({}, rate x{}) over {:.1f} s",
                               std::filesystem::path(spec.trace->file).filename().string(),
                               to_string(spec.trace->format), spec.trace->rate_scale, span_s);
  } else {
    process = to_string(spec.arrival->process);
    arrival_text = describe(*spec.arrival) + (w.closed_loop ? "" : fmt::format(" over {:.1f} s", span_s));
  }
  const std::string prompt_text = describe_lengths(spec, &WorkloadSpec::prompt_tokens, &ClassSpec::prompt_tokens);
  const std::string output_text = describe_lengths(spec, &WorkloadSpec::output_tokens, &ClassSpec::output_tokens);
  if (spec.trace && !trace_times)
    arrival_text += fmt::format("; lengths from {} (rows shuffled)",
                                std::filesystem::path(spec.trace->file).filename().string());
  // What a cache that kept everything could reuse: the ceiling any prefix cache can reach.
  const double reusable_share = w.prompts ? static_cast<double>(reusable_prompt_tokens(w)) / prompt_sum : 0.0;
  const double mean_turns = w.sessions > 0 ? count / static_cast<double>(w.sessions) : 0.0;
  if (spec.sessions) {
    // The arrival process gives session starts, and the prompt distribution each new message;
    // the prompt mean includes the resent history.
    w.summary = fmt::format("{} requests in {} sessions, mean {:.2f} turns ({}); session starts {}; new message {}, "
                            "prompt mean {:.1f} with history; output {} mean {:.1f}",
                            requests, w.sessions, mean_turns, describe(*spec.sessions), arrival_text, prompt_text,
                            prompt_sum / count, output_text, output_sum / count);
    if (w.sessions_ended_at_max_model_len > 0)
      w.summary += fmt::format("; {} sessions ended at max_model_len {} ({} turns not sent)",
                               w.sessions_ended_at_max_model_len, max_model_len, w.turns_dropped_at_max_model_len);
  } else {
    w.summary = spec.trace ? fmt::format("{} requests, {}; prompt mean {:.1f}; output mean {:.1f}", requests,
                                         arrival_text, prompt_sum / count, output_sum / count)
                           : fmt::format("{} requests, {}; prompt {} mean {:.1f}; output {} mean {:.1f}", requests,
                                         arrival_text, prompt_text, prompt_sum / count, output_text,
                                         output_sum / count);
  }
  std::vector<std::string> prefix_parts;
  if (spec.shared_prefixes) prefix_parts.push_back(describe(*spec.shared_prefixes));
  for (const ClassSpec& c : spec.classes)
    if (c.shared_prefixes) prefix_parts.push_back(c.name + "=" + describe(*c.shared_prefixes));
  if (!prefix_parts.empty()) w.summary += "; shared prefixes " + join(prefix_parts, "; ");
  if (w.prompts) w.summary += fmt::format("; reusable prompt share {:.1f}%", 100.0 * reusable_share);
  double total_weight = 0.0;
  for (const ClientClass& c : w.classes) total_weight += c.weight;
  std::vector<std::string> class_parts;
  for (const ClientClass& c : w.classes) class_parts.push_back(fmt::format("{}:{}", c.name, c.weight));
  if (w.classes.size() > 1) {
    std::vector<std::string> shares;
    for (const ClientClass& c : w.classes) shares.push_back(fmt::format("{} {:.0f}%", c.name, 100.0 * c.weight / total_weight));
    w.summary += "; classes " + join(shares, " / ");
  }
  if (w.clipped_requests > 0)
    w.summary += fmt::format("; {} clipped to max_model_len {}", w.clipped_requests, max_model_len);

  const bool single_rate = !trace_times && (spec.arrival->process == ArrivalProcess::poisson ||
                                            spec.arrival->process == ArrivalProcess::gamma ||
                                            spec.arrival->process == ArrivalProcess::constant);
  const bool gamma = !trace_times && spec.arrival->process == ArrivalProcess::gamma;
  w.columns = {
      {"arrival_process", process},
      {"request_rate_per_s", single_rate ? fmt::format("{}", spec.arrival->rate_per_s) : ""},
      {"burstiness", gamma ? fmt::format("{}", spec.arrival->burstiness) : ""},
      // With sessions, follow-ups arrive after the first turns' span: no request rate is offered
      // up front, only the session start rate.
      {"offered_rate_per_s", !w.closed_loop && !spec.sessions && span_s > 0 ? format_mean(count / span_s) : ""},
      {"arrival_span_s", w.closed_loop ? "" : fmt::format("{:.3f}", span_s)},
      {"clients", w.closed_loop ? fmt::format("{}", w.clients) : ""},
      {"think_time_s", w.closed_loop ? fmt::format("{}", spec.arrival->think_time_s) : ""},
      {"num_requests", fmt::format("{}", requests)},
      {"prompt_tokens_distribution", prompt_text},
      {"output_tokens_distribution", output_text},
      {"mean_prompt_tokens", format_mean(prompt_sum / count)},
      {"mean_output_tokens", format_mean(output_sum / count)},
      {"trace_file", spec.trace ? std::filesystem::path(spec.trace->file).filename().string() : ""},
      {"trace_format", spec.trace ? to_string(spec.trace->format) : ""},
      {"trace_rate_scale", trace_times ? fmt::format("{}", spec.trace->rate_scale) : ""},
      {"classes", join(class_parts, ";")},
      {"sessions", spec.sessions ? fmt::format("{}", w.sessions) : ""},
      {"session_rate_per_s", spec.sessions && span_s > 0 ? format_mean(static_cast<double>(w.sessions) / span_s) : ""},
      {"session_kind", spec.sessions ? (spec.sessions->kind == SessionKind::agent ? "agent" : "chat") : ""},
      {"mean_turns_per_session", spec.sessions ? format_mean(mean_turns) : ""},
      {"session_think_time_s", spec.sessions ? describe(spec.sessions->think_time) : ""},
      {"sessions_ended_at_max_model_len", spec.sessions ? fmt::format("{}", w.sessions_ended_at_max_model_len) : ""},
      {"shared_prefixes", join(prefix_parts, ";")},
      {"reusable_prompt_share", w.prompts ? fmt::format("{:.4f}", reusable_share) : ""},
  };
  return w;
}

}  // namespace llmpo

namespace llmpo {

namespace {

SessionTurn& turn_slot(Workload& w, int64_t id) {
  if (id < 0 || static_cast<std::size_t>(id) >= w.requests.size())
    throw InternalError(fmt::format("workload: request {} of {} cannot join a session", id, w.requests.size()));
  if (w.turns.size() <= static_cast<std::size_t>(id)) w.turns.resize(w.requests.size());
  return w.turns[static_cast<std::size_t>(id)];
}

}  // namespace

void Workload::set_session(int64_t id, int64_t session_id) { turn_slot(*this, id).session_id = session_id; }

void Workload::link_turns(int64_t previous, int64_t next, SimTime think_ns) {
  turn_slot(*this, previous).next_turn = next;
  SessionTurn& turn = turn_slot(*this, next);
  turn.previous_turn = previous;
  turn.think_ns = think_ns;
  requests[static_cast<std::size_t>(next)].sent_by_previous_turn = true;
}

void Workload::release_requests() {
  if (requests_released_) return;
  released_last_fixed_arrival_ns_ = last_fixed_arrival_ns();
  released_count_ = requests.size();
  requests_released_ = true;
  std::vector<Request>().swap(requests);
}

SimTime Workload::last_fixed_arrival_ns() const {
  if (requests_released_) return released_last_fixed_arrival_ns_;
  if (closed_loop) return 0;
  // Fixed arrivals are sorted, so the last one is the last request that is not a follow-up.
  for (auto it = requests.rbegin(); it != requests.rend(); ++it)
    if (!it->follow_up()) return it->arrival_ns;
  return 0;
}

}  // namespace llmpo
