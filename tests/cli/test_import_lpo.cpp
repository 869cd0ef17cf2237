// `llmperforacle import-lpo`: configs in the Python LLMPerfOracle's dialect (tests/data/lpo_configs,
// same shapes as its examples) become experiment files that validate and run, with the values
// derived by hand below, and notes for everything without an equivalent.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tests/simulator/experiment_helpers.hpp"
#include "tests/test_paths.hpp"

namespace llmpo::test {

namespace {

using Catch::Matchers::Contains;

std::string lpo_config(const std::string& name) { return data_dir() + "/lpo_configs/" + name; }

struct Imported {
  CliRun run;
  std::string path, text;
  YAML::Node yaml;
};

Imported import_file(const std::string& input, const std::string& tag) {
  Imported out;
  out.path = fresh_dir(tag) + "/" + tag + ".yaml";
  out.run = run_cli_args({"import-lpo", input, "-o", out.path});
  if (out.run.code == 0) {
    out.text = read_file(out.path);
    out.yaml = YAML::Load(out.text);
  }
  return out;
}

Imported import_text(const std::string& text, const std::string& tag) {
  return import_file(write_file(fresh_dir(tag + "-in"), "upstream.yaml", text), tag);
}

// 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

double number(const YAML::Node& node) { return node.as<double>(); }

}  // namespace

TEST_CASE("import-lpo: single GPU, two weighted profiles: arrival mixture, lengths and knobs derived by hand") {
  const Imported imported = import_file(lpo_config("single_gpu_chat.yaml"), "lpo-chat");
  INFO(imported.run.err);
  REQUIRE(imported.run.code == 0);
  CHECK_THAT(imported.run.out, Contains("wrote " + imported.path));
  const YAML::Node& y = imported.yaml;
  // Gaps: 0.75 x Exp(4) + 0.25 x Exp(1): mean 0.75/4 + 0.25/1 = 0.4375 s, so 1/0.4375 req/s;
  // E[gap^2] = 0.75 x 2/16 + 0.25 x 2/1 = 0.59375, variance 0.59375 - 0.4375^2 = 0.40234375,
  // burstiness = 1 / CV^2 = 0.4375^2 / 0.40234375.
  CHECK(y["workload"]["arrival"]["process"].as<std::string>() == "gamma");
  CHECK(number(y["workload"]["arrival"]["rate_per_s"]) == Approx(1 / 0.4375).epsilon(1e-6));
  CHECK(number(y["workload"]["arrival"]["burstiness"]) == Approx(0.19140625 / 0.40234375).epsilon(1e-6));
  CHECK(number(y["workload"]["duration_s"]) == 240);  // total_duration 240 < max_simulation_time 300
  CHECK_FALSE(y["workload"]["num_requests"]);
  CHECK(y["simulation"]["seed"].as<int>() == 11);     // workload.random_seed shapes the requests
  CHECK(y["simulation"]["percentiles"].as<std::vector<double>>() == std::vector<double>{50, 90, 99});
  CHECK(number(y["simulation"]["warmup_s"]) == 30);
  CHECK(y["hardware"]["gpu0"]["preset"].as<std::string>() == "A100-80GB-SXM");
  CHECK(y["hardware"]["gpu0"]["count"].as<int>() == 1);
  CHECK_FALSE(y["hardware"]["gpu0"]["overrides"]);  // 80e9 bytes is the "80 GB" card

  const YAML::Node classes = y["workload"]["classes"];
  REQUIRE(classes.size() == 2);
  CHECK(classes[0]["name"].as<std::string>() == "chat");
  CHECK(number(classes[0]["weight"]) == 0.75);
  // mean 256, sigma 96 cannot be log-space parameters of a token count: read as mean and stdev.
  CHECK(classes[0]["prompt_tokens"]["distribution"].as<std::string>() == "lognormal");
  CHECK(number(classes[0]["prompt_tokens"]["mean"]) == 256);
  CHECK(number(classes[0]["prompt_tokens"]["stdev"]) == 96);
  // mean 5, sigma 0.5 are numpy's lognormal(5, 0.5): E = e^(5 + 0.125), SD = E sqrt(e^0.25 - 1).
  const double mean = std::exp(5.125);
  CHECK(number(classes[0]["output_tokens"]["mean"]) == Approx(mean).epsilon(1e-6));
  CHECK(number(classes[0]["output_tokens"]["stdev"]) == Approx(mean * std::sqrt(std::exp(0.25) - 1)).epsilon(1e-6));
  CHECK(classes[1]["prompt_tokens"]["distribution"].as<std::string>() == "uniform");
  CHECK(classes[1]["prompt_tokens"]["min"].as<int>() == 400);
  CHECK(classes[1]["prompt_tokens"]["max"].as<int>() == 800);
  CHECK(classes[1]["output_tokens"]["value"].as<int>() == 300);

  const YAML::Node entries = y["frameworks_to_test"];
  REQUIRE(entries.size() == 1);
  const YAML::Node config = entries[0]["config"];
  CHECK(entries[0]["name"].as<std::string>() == "vllm_llama3_8b");
  CHECK(config["model_profile_id"].as<std::string>() == "Llama3-8B");
  CHECK(config["gpu_id"].as<std::string>() == "gpu0");
  CHECK(config["max_num_seqs"].as<int>() == 128);
  CHECK(config["max_num_batched_tokens"].as<int>() == 4096);
  CHECK_FALSE(config["num_replicas"]);

  // Notes, at the top of the file with the upstream line. Follow-ups: max_turns 4 gives
  // 1 + 0.7 + 0.49 = 2.19 per conversation, x 0.75 x 0.5 of new requests = 82.1% more.
  const std::string raw = read_file(lpo_config("single_gpu_chat.yaml"));
  CHECK_THAT(imported.text, Contains("about 82.1% more requests"));
  CHECK_THAT(imported.text, Contains(fmt::format("#   {}: frameworks_to_test[0].config.scheduler_iteration_delay_s: no equivalent",
                                                 line_of(raw, "scheduler_iteration_delay_s"))));
  CHECK_THAT(imported.text, Contains(fmt::format("#   {}: hardware_profile.network_links: not converted", line_of(raw, "network_links"))));
  CHECK_THAT(imported.text, Contains("streaming_response_probability: no equivalent"));
  CHECK_THAT(imported.text, Contains("metrics_config.output_summary_json_path: no equivalent"));
  CHECK_THAT(imported.text, Contains("LogNormal mean 256 is read as the mean token count"));

  const CliRun validated = run_cli_args({"validate", imported.path});
  INFO(validated.err);
  CHECK(validated.code == 0);
}

TEST_CASE("import-lpo: parallel entries: TP kept, identical targets become replicas, idle entries commented out") {
  const Imported imported = import_file(lpo_config("parallel_mix.yaml"), "lpo-parallel");
  INFO(imported.run.err);
  REQUIRE(imported.run.code == 0);
  const YAML::Node& y = imported.yaml;
  // A Constant gap of 0.5 s is a constant process at 2 req/s for total_duration 60 s.
  CHECK(y["workload"]["arrival"]["process"].as<std::string>() == "constant");
  CHECK(number(y["workload"]["arrival"]["rate_per_s"]) == 2);
  CHECK(number(y["workload"]["duration_s"]) == 60);
  CHECK(y["workload"]["prompt_tokens"]["value"].as<int>() == 256);
  CHECK(y["workload"]["output_tokens"]["value"].as<int>() == 64);
  CHECK(y["simulation"]["seed"].as<int>() == 3);  // no workload seed: simulation.random_seed
  CHECK(y["hardware"]["gpu0"]["count"].as<int>() == 8);
  CHECK(y["hardware"].size() == 1);  // eight devices of the same figures: one group

  const YAML::Node entries = y["frameworks_to_test"];
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["name"].as<std::string>() == "tp4_llama2_13b");
  CHECK(entries[0]["config"]["model_profile_id"].as<std::string>() == "Llama2-13B");
  CHECK(entries[0]["config"]["tensor_parallel_degree"].as<int>() == 4);
  CHECK(entries[1]["name"].as<std::string>() == "replica");
  CHECK(entries[1]["config"]["model_profile_id"].as<std::string>() == "Llama2-7B");
  CHECK(entries[1]["config"]["num_replicas"].as<int>() == 2);
  CHECK(entries[1]["config"]["router"].as<std::string>() == "least_outstanding");  // from least_loaded
  CHECK_THAT(imported.text, Contains("  # - name: pp2_llama3_70b\n  #   type: VLLM\n"));
  CHECK_THAT(imported.text, Contains("round-robin over all 3 targets at once"));

  const CliRun validated = run_cli_args({"validate", imported.path});
  INFO(validated.err);
  CHECK(validated.code == 0);
  CHECK_THAT(validated.out, Contains("2 run(s)"));

  // Upstream's session_affinity keeps its meaning: a session's requests on one replica.
  const Imported sticky = import_text(with_edits(read_file(lpo_config("parallel_mix.yaml")),
                                                 {{"\"least_loaded\"", "\"session_affinity\""}}),
                                      "lpo-sticky");
  REQUIRE(sticky.run.code == 0);
  CHECK(sticky.yaml["frameworks_to_test"][1]["config"]["router"].as<std::string>() == "session_affinity");
}

TEST_CASE("import-lpo: GH200 devices map to H200 with their memory, data-parallel targets become num_replicas") {
  const Imported imported = import_file(lpo_config("gh200_dp.yaml"), "lpo-gh200");
  INFO(imported.run.err);
  REQUIRE(imported.run.code == 0);
  const YAML::Node& y = imported.yaml;
  const YAML::Node group = y["hardware"]["gh200_0"];
  CHECK(group["preset"].as<std::string>() == "H200");  // 4.8 TB/s, 132 SMs, 1979 = 2 x 989.4 (sparse)
  CHECK(group["count"].as<int>() == 4);                // the CPU client node is not a GPU
  CHECK(number(group["overrides"]["memory_gib"]) == Approx(576e9 / (1024.0 * 1024 * 1024)).epsilon(1e-6));
  CHECK_FALSE(group["overrides"]["peak_dense_tflops"]);
  CHECK_FALSE(group["overrides"]["memory_bandwidth_tb_per_s"]);
  // Gaps 0.2 x Exp(2) + 0.8 x Exp(8): mean 0.1 + 0.1 = 0.2 s (5 req/s); E[gap^2] = 0.2 x 2/4 +
  // 0.8 x 2/64 = 0.125, variance 0.085, CV^2 = 2.125.
  CHECK(y["workload"]["arrival"]["process"].as<std::string>() == "gamma");
  CHECK(number(y["workload"]["arrival"]["rate_per_s"]) == Approx(5).epsilon(1e-6));
  CHECK(number(y["workload"]["arrival"]["burstiness"]) == Approx(1 / 2.125).epsilon(1e-6));
  const YAML::Node classes = y["workload"]["classes"];
  REQUIRE(classes.size() == 2);
  CHECK(number(classes[0]["prompt_tokens"]["mean"]) == Approx(std::exp(7.6 + 0.02)).epsilon(1e-6));
  // Exponential lengths (rate 0.002): a lognormal with mean = stdev = 500.
  CHECK(number(classes[1]["prompt_tokens"]["mean"]) == Approx(500).epsilon(1e-6));
  CHECK(number(classes[1]["prompt_tokens"]["stdev"]) == Approx(500).epsilon(1e-6));
  CHECK(number(classes[1]["output_tokens"]["mean"]) == Approx(200).epsilon(1e-6));

  const YAML::Node entries = y["frameworks_to_test"];
  REQUIRE(entries.size() == 1);
  CHECK(entries[0]["name"].as<std::string>() == "vllm_dp");
  CHECK(entries[0]["config"]["num_replicas"].as<int>() == 4);
  CHECK(entries[0]["config"]["router"].as<std::string>() == "round_robin");
  CHECK(entries[0]["config"]["gpu_id"].as<std::string>() == "gh200_0");
  CHECK(y["simulation"]["percentiles"].as<std::vector<double>>() == std::vector<double>{50, 90, 95, 99});
  CHECK_THAT(imported.text, Contains("H200's figure with sparsity"));
  CHECK_THAT(imported.text, Contains("a CPU device ('client_node_0'): not converted"));
  CHECK_THAT(imported.text, Contains("simulation.lod: no equivalent"));
  CHECK_THAT(imported.text, Contains("data_parallel_size: not read by LLMPerfOracle"));
  CHECK(run_cli_args({"validate", imported.path}).code == 0);
}

TEST_CASE("import-lpo: equal profiles give Poisson arrivals, max_simulation_time cuts the duration, the result runs") {
  const Imported imported = import_file(lpo_config("prefix_caching.yaml"), "lpo-prefix");
  INFO(imported.run.err);
  REQUIRE(imported.run.code == 0);
  const YAML::Node& y = imported.yaml;
  // Two profiles with the same Exp(2) gaps: the mixture is Exp(2), a Poisson process.
  CHECK(y["workload"]["arrival"]["process"].as<std::string>() == "poisson");
  CHECK(number(y["workload"]["arrival"]["rate_per_s"]) == 2);
  CHECK(number(y["workload"]["duration_s"]) == 20);  // max_simulation_time 20 < total_duration 30
  CHECK(y["simulation"]["seed"].as<int>() == 42);
  CHECK_THAT(imported.text, Contains("turn_type_dist_config: unknown key 'turn_type_dist_config'"));
  CHECK_THAT(imported.text, Contains("workload.prefix_patterns: not converted"));
  CHECK_THAT(imported.text, Contains("add workload.shared_prefixes"));
  CHECK_THAT(imported.text, Contains("enable_cross_request_caching: no equivalent"));

  const std::string out = fresh_dir("lpo-prefix-run");
  const CliRun ran = run_cli_args({"run", imported.path, "--out", out, "--quiet"});
  INFO(ran.err);
  REQUIRE(ran.code == 0);
  const auto summary = read_csv(out + "/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "framework")] == "vllm_cross_request");
  CHECK(summary[1][column(summary, "arrival_process")] == "poisson");
  CHECK(std::stod(summary[1][column(summary, "request_rate_per_s")]) == 2);
}

TEST_CASE("import-lpo: keys LLMPerfOracle does not read are reported with a did-you-mean, also as warnings") {
  const std::string text = with_edits(read_file(lpo_config("single_gpu_chat.yaml")), {{"      max_num_seqs: 128", "      max_num_seq: 128"}});
  const Imported imported = import_text(text, "lpo-unknown");
  REQUIRE(imported.run.code == 0);
  CHECK_THAT(imported.text, Contains(fmt::format("#   {}: frameworks_to_test[0].config.max_num_seq: unknown key 'max_num_seq'",
                                                 line_of(text, "max_num_seq:"))));
  CHECK_THAT(imported.text, Contains("did you mean 'max_num_seqs'?"));
  // Upstream's default 256 then applies, and is written with a comment.
  CHECK(imported.yaml["frameworks_to_test"][0]["config"]["max_num_seqs"].as<int>() == 256);
  CHECK_THAT(imported.text, Contains("max_num_seqs: 256   # LLMPerfOracle's default"));

  // The same notes go to stderr as spdlog warnings naming file:line.
  const std::string dir = fresh_dir("lpo-warn");
  const std::string input = write_file(dir, "upstream.yaml", text);
  const CommandResult shell = run_command(binary_path() + " import-lpo " + input + " -o " + dir + "/out.yaml");
  CHECK(shell.exit_code == 0);
  CHECK_THAT(shell.output, Contains(fmt::format("warning: {}:{}:", input, line_of(text, "max_num_seq:"))));
}

TEST_CASE("import-lpo: malformed input is an error at path:line with the key path, and nothing is written") {
  const std::string raw = read_file(lpo_config("single_gpu_chat.yaml"));
  const auto failing = [&](const std::string& text, const std::string& tag) {
    const std::string dir = fresh_dir(tag);
    const std::string input = write_file(dir, "upstream.yaml", text);
    const std::string target = write_file(dir, "out.yaml", "previous content\n");
    const CliRun run = run_cli_args({"import-lpo", input, "-o", target});
    CHECK(run.code == 2);
    CHECK(read_file(target) == "previous content\n");  // never half-written, never replaced
    return std::make_pair(run, input);
  };
  {
    const std::string text = with_edits(raw, {{"memory_gbps: 2039", "memory_gbps: fast"}});
    const auto [run, input] = failing(text, "lpo-bad-number");
    CHECK_THAT(run.err, Contains(fmt::format("{}:{}:", input, line_of(text, "memory_gbps: fast"))) &&
                            Contains("hardware_profile.compute_devices[0].memory_gbps: expected a number, got 'fast'"));
  }
  {
    const std::string text = with_edits(raw, {{"\"Llama3-8B\"", "\"Lama3-8B\""}});
    const auto [run, input] = failing(text, "lpo-bad-model");
    CHECK_THAT(run.err, Contains("frameworks_to_test[0].config.model_profile_id: unknown model 'Lama3-8B'") &&
                            Contains("Llama3-8B"));
  }
  {
    const std::string text = with_edits(raw, {{"type: \"Exponential\"\n        rate: 1.0", "type: \"exponential\"\n        rate: 1.0"}});
    const auto [run, input] = failing(text, "lpo-bad-type");
    CHECK_THAT(run.err, Contains(fmt::format("{}:{}:", input, line_of(text, "type: \"exponential\""))) &&
                            Contains("workload.client_profiles[1].inter_arrival_time_dist_config.type: unknown distribution "
                                     "type 'exponential'") &&
                            Contains("did you mean 'Exponential'?"));
  }
  {
    const std::string text = with_edits(raw, {{"  random_seed: 11\n", "  random_seed: [11\n"}});
    const auto [run, input] = failing(text, "lpo-bad-yaml");
    CHECK_THAT(run.err, Contains(input + ":"));
  }
  {
    // Converts, but Llama-3-70B in bf16 (about 141 GB) does not fit one A100 80GB: planned as
    // `validate` would, refused, nothing written.
    const std::string text = with_edits(raw, {{"\"Llama3-8B\"", "\"Llama3-70B\""}});
    const auto [run, input] = failing(text, "lpo-no-fit");
    CHECK_THAT(run.err, Contains("the converted experiment does not validate, so nothing was written") &&
                            Contains("model_profile_id"));
  }
  {
    const auto [run, input] = failing("compute_devices:\n  - device_id: gh200_0\n", "lpo-hardware-file");
    CHECK_THAT(run.err, Contains("this is an LLMPerfOracle hardware file"));
  }
  CHECK(run_cli_args({"import-lpo", fresh_dir("lpo-missing") + "/nope.yaml"}).code == 2);
}

}  // namespace llmpo::test
