#include "lpo_workload.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "lpo_import.hpp"

namespace llmpo {

namespace {

struct Profile {
  std::string name;
  double weight = 1;
  LpoMoments gap;
  std::string prompt_tokens, output_tokens;  // our flow mappings
  double conversational_probability = 0;
};

Profile read_profile(LpoReader& reader, const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) reader.fail(node, path, "expected a client profile mapping (profile_name, weight, ...)");
  reader.check_keys(
      node, path,
      {"profile_name", "weight", "inter_arrival_time_dist_config", "prompt_tokens_dist_config",
       "max_output_tokens_dist_config", "conversational_probability", "follow_up_inter_arrival_time_dist_config"},
      {{"streaming_response_probability", "no equivalent: every request's tokens are timed as if streamed"},
       {"user_priority_dist_config", "no equivalent: requests are served first come, first served"}});
  Profile profile;
  profile.name = reader.text(node, "profile_name", path + ".profile_name").value_or("");
  if (profile.name.empty()) reader.fail(node, path + ".profile_name", "required (LLMPerfOracle requires it too)");
  profile.weight = reader.number(node, "weight", path + ".weight", 0, 1e9).value_or(1.0);
  const auto required = [&](const std::string& key) {
    const auto dist = reader.map(node, key, path + "." + key);
    if (!dist) reader.fail(node, path + "." + key, "required (LLMPerfOracle requires it too), e.g. {type: Exponential, rate: 5}");
    return *dist;
  };
  profile.gap = lpo_moments(reader, required("inter_arrival_time_dist_config"), path + ".inter_arrival_time_dist_config");
  profile.prompt_tokens = lpo_length_spec(reader, required("prompt_tokens_dist_config"), path + ".prompt_tokens_dist_config");
  profile.output_tokens =
      lpo_length_spec(reader, required("max_output_tokens_dist_config"), path + ".max_output_tokens_dist_config");
  profile.conversational_probability =
      reader.number(node, "conversational_probability", path + ".conversational_probability", 0, 1).value_or(0.0);
  if (const auto follow_up = reader.map(node, "follow_up_inter_arrival_time_dist_config",
                                        path + ".follow_up_inter_arrival_time_dist_config"))
    lpo_moments(reader, *follow_up, path + ".follow_up_inter_arrival_time_dist_config");  // checked, not used
  return profile;
}

// Follow-up turns per conversation upstream (workload_generator.py _update_session_state): the
// first is certain, each further one follows with probability 0.7 until max_turns turns.
double follow_ups_per_conversation(int64_t max_turns) {
  double total = 0;
  for (int64_t k = 0; k <= std::max<int64_t>(max_turns - 2, 0); ++k) total += std::pow(0.7, static_cast<double>(k));
  return total;
}

}  // namespace

LpoWorkload lpo_workload(LpoReader& reader, const YAML::Node& root) {
  const auto workload = reader.map(root, "workload", "workload");
  if (!workload) reader.fail(root, "workload", "required: the client_profiles that generate requests");
  const YAML::Node& w = *workload;
  reader.check_keys(
      w, "workload",
      {"client_profiles", "total_duration", "total_requests_to_generate", "random_seed", "load_balancing_strategy",
       "max_turns_per_session", "accumulate_conversational_tokens", "prefix_patterns", "generate_prompt_tokens"},
      {{"bytes_per_token_estimate_for_network", "no equivalent: client network transfers are not modelled"},
       {"framework_weights", "no equivalent: replicas of one deployment are routed by its router"}});
  LpoWorkload out;
  out.seed = reader.integer(w, "random_seed", "workload.random_seed", 0, 9'000'000'000'000'000);
  out.load_balancing_strategy = reader.text(w, "load_balancing_strategy", "workload.load_balancing_strategy").value_or("round_robin");

  const auto list = reader.list(w, "client_profiles", "workload.client_profiles");
  if (!list || list->size() == 0) reader.fail(w, "workload.client_profiles", "required: a non-empty list of client profiles");
  std::vector<Profile> profiles;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("workload.client_profiles[{}]", i);
    Profile profile = read_profile(reader, (*list)[i], path);
    if (!names.insert(profile.name).second)
      reader.fail((*list)[i], path + ".profile_name", "profile '" + profile.name + "' is named twice");
    if (profile.weight == 0) {
      reader.note((*list)[i], path + ".weight", "weight 0: LLMPerfOracle never picks it; left out");
      continue;
    }
    profiles.push_back(profile);
  }
  if (profiles.empty()) reader.fail(*list, "workload.client_profiles", "every profile has weight 0");

  std::vector<LpoWeightedGap> gaps;
  for (const auto& p : profiles) gaps.push_back({p.weight, p.gap});
  out.arrival = lpo_arrival(gaps);
  if (!(out.arrival.mean_gap_s > 0) || !std::isfinite(out.arrival.mean_gap_s))
    reader.fail(*list, "workload.client_profiles", "the inter-arrival times average to 0 s: requests would never stop arriving");

  // How long requests arrive: total_duration, cut short by max_simulation_time (upstream stops
  // the whole simulation there), or total_requests_to_generate, whichever ends first.
  const double inf = std::numeric_limits<double>::infinity();
  double duration_s = reader.number(w, "total_duration", "workload.total_duration", 0).value_or(inf);
  std::string duration_from = "workload.total_duration";
  if (const auto simulation = reader.map(root, "simulation", "simulation"))
    if (const auto limit = reader.number(*simulation, "max_simulation_time", "simulation.max_simulation_time", 0);
        limit && *limit < duration_s) {
      duration_s = *limit;
      duration_from = "simulation.max_simulation_time";
    }
  const auto total_requests =
      reader.integer(w, "total_requests_to_generate", "workload.total_requests_to_generate", 1, 50'000'000);
  std::string count_line;
  if (total_requests && (!std::isfinite(duration_s) || static_cast<double>(*total_requests) < duration_s * out.arrival.rate_per_s)) {
    count_line = fmt::format("  num_requests: {}   # workload.total_requests_to_generate\n", *total_requests);
  } else if (std::isfinite(duration_s)) {
    count_line = fmt::format("  duration_s: {}   # {}: arrivals stop there (about {:.0f} requests)\n", lpo_number(duration_s),
                             duration_from, duration_s * out.arrival.rate_per_s);
  } else {
    reader.fail(w, "workload.total_duration",
                "requests would never stop arriving: give workload.total_duration, simulation.max_simulation_time or "
                "workload.total_requests_to_generate");
  }

  // Conversations: extra requests upstream that we do not generate.
  const int64_t max_turns = reader.integer(w, "max_turns_per_session", "workload.max_turns_per_session", 1, 1'000'000).value_or(10);
  double total_weight = 0, follow_up_share = 0;
  for (const auto& p : profiles) total_weight += p.weight;
  for (const auto& p : profiles) follow_up_share += p.weight / total_weight * p.conversational_probability;
  follow_up_share *= follow_ups_per_conversation(max_turns);
  if (follow_up_share > 0) {
    out.prompts_share_prefixes = true;
    reader.note(w, "workload.client_profiles",
                fmt::format("conversational_probability: LLMPerfOracle adds follow-up turns (about {:.1f}% more requests, "
                            "each prompt holding the previous turn's prompt and output); they are not converted, so only "
                            "first turns are generated: add workload.sessions (turns, think_time_s) for multi-turn "
                            "conversations whose history the prefix cache reuses, or raise workload.arrival.rate_per_s "
                            "by that share to offer the same request rate",
                            100 * follow_up_share));
  }
  if (reader.map(w, "prefix_patterns", "workload.prefix_patterns") || reader.flag(w, "generate_prompt_tokens", "workload.generate_prompt_tokens").value_or(false)) {
    out.prompts_share_prefixes = true;
    reader.note(w, "workload.prefix_patterns",
                "not converted (upstream matches token strings): add workload.shared_prefixes (count, tokens, popularity) "
                "for requests that share system-prompt or few-shot prefixes");
  }

  std::string s = "workload:\n";
  const LpoArrival& a = out.arrival;
  std::string arrival = fmt::format("{{process: {}, rate_per_s: {}", a.process, lpo_number(a.rate_per_s));
  if (a.process == "gamma") arrival += ", burstiness: " + lpo_number(a.burstiness);
  s += "  arrival: " + arrival + "}\n";
  s += fmt::format("  # from {} client profile(s): mean gap {} s", profiles.size(), lpo_number(a.mean_gap_s));
  s += a.process == "constant" ? " (constant)\n"
                               : fmt::format(", squared coefficient of variation {} of the gaps\n", lpo_number(a.gap_cv2));
  s += count_line;
  s += "  over_max_model_len: clip   # LLMPerfOracle has no context limit: longer requests are clipped\n";
  if (profiles.size() == 1) {
    s += "  prompt_tokens: " + profiles.front().prompt_tokens + "\n";
    s += "  output_tokens: " + profiles.front().output_tokens + "   # max_output_tokens_dist_config: each request generates this many\n";
  } else {
    s += "  classes:   # client_profiles: picked by weight, independently of the gap before each request\n";
    for (const auto& p : profiles) {
      s += "    - name: " + lpo_yaml_string(p.name) + "\n";
      s += "      weight: " + lpo_number(p.weight) + "\n";
      s += "      prompt_tokens: " + p.prompt_tokens + "\n";
      s += "      output_tokens: " + p.output_tokens + "\n";
    }
  }
  out.section = s;
  return out;
}

}  // namespace llmpo
