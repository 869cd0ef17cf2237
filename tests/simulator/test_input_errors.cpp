// Input errors of experiment files, one class at a time, as the user sees them: the exit code,
// file:line:col, the key path, what is wrong and what would be valid; and that all errors of a
// file are reported together before anything runs.
#include <catch2/catch.hpp>

#include <filesystem>

#include "experiment_helpers.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// kTwoFrameworks with `from` replaced by `to` (each must occur).
std::string edited(const std::vector<std::pair<std::string, std::string>>& edits) {
  return with_edits(kTwoFrameworks, edits);
}

Checked validate(const std::string& text, const std::vector<std::string>& extra = {}) {
  return validate_text(text, "input-errors", extra);
}

// The one error line of a bad file (exit 2 asserted).
std::string error_of(const std::vector<std::pair<std::string, std::string>>& edits) {
  const Checked c = validate(edited(edits));
  CHECK(c.run.code == 2);
  return c.run.err;
}

}  // namespace

TEST_CASE("input errors: every error of a file is reported in one pass and nothing runs") {
  const std::string dir = fresh_dir("all-errors");
  const std::string file = write_file(dir, "exp.yaml",
                                      edited({{"  seed: 5", "  seed: five"},
                                              {"rate_per_s: 20", "rate_per_s: .nan"},
                                              {"      max_num_seqs: 64", "      max_num_seqs: -64\n      max_num_seq: 2"},
                                              {"      batch_size: 8", "      batch_size: 0"}}));
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains(file + ":2:9: simulation.seed: expected an integer, got 'five'"));
  CHECK_THAT(run.err, Contains(file + ":7:43: workload.arrival.rate_per_s: '.nan' is not a finite number (must be at least 1e-09)"));
  CHECK_THAT(run.err, Contains(file + ":17:21: frameworks_to_test[0].config.max_num_seqs: -64 is out of range (must be at least 1 and at most 1048576)"));
  CHECK_THAT(run.err, Contains(file + ":18:7: frameworks_to_test[0].config.max_num_seq: unknown key 'max_num_seq'; did you mean 'max_num_seqs'?"));
  CHECK_THAT(run.err, Contains(file + ":24:19: frameworks_to_test[1].config.batch_size: 0 is out of range (must be at least 1 and at most 1048576)"));
  CHECK_THAT(run.err, Contains("5 errors; nothing was run"));
  CHECK_FALSE(std::filesystem::exists(dir + "/out"));
}

TEST_CASE("input errors: wrong types name what was expected") {
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: [1, 2]"}}),
             Contains(":17:21: frameworks_to_test[0].config.max_num_seqs: expected an integer, found a list or mapping"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 64\n      enable_chunked_prefill: maybe"}}),
             Contains(":18:7: frameworks_to_test[0].config.enable_chunked_prefill: expected true or false, got 'maybe'"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 6.5"}}),
             Contains("frameworks_to_test[0].config.max_num_seqs: expected an integer, got '6.5'"));
  CHECK_THAT(error_of({{"hardware:\n  gpu0: {preset: H100-SXM, count: 2}", "hardware: [H100-SXM]"}}),
             Contains(":4:11: hardware: expected a mapping of key: value pairs"));
}

TEST_CASE("input errors: negative, zero, NaN and absurd values are refused with the valid range") {
  CHECK_THAT(error_of({{"num_requests: 400", "num_requests: 0"}}),
             Contains(":8:17: workload.num_requests: 0 is out of range (must be at least 1 and at most 50000000)"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 64\n      tensor_parallel_degree: 100000"}}),
             Contains("frameworks_to_test[0].config.tensor_parallel_degree: 100000 is out of range (must be at least 1 and at most 4096)"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 64\n      gpu_memory_utilization: 1.5"}}),
             Contains("frameworks_to_test[0].config.gpu_memory_utilization: 1.5 is out of range (must be greater than 0 and at most 1)"));
  CHECK_THAT(error_of({{"count: 2", "count: -2"}}), Contains(":5:35: hardware.gpu0.count: -2 is out of range"));
  CHECK_THAT(error_of({{"slo: {ttft_ms: 500}", "slo: {ttft_ms: .inf}"}}),
             Contains(":3:18: simulation.slo.ttft_ms: '.inf' is not a finite number"));
}

TEST_CASE("input errors: a missing required key names the mapping it belongs in") {
  CHECK_THAT(error_of({{"      model_profile_id: \"Llama3-8B\"\n      gpu_id: \"gpu0\"\n      max_num_seqs",
                        "      gpu_id: \"gpu0\"\n      max_num_seqs"}}),
             Contains(":15:7: frameworks_to_test[0].config.model_profile_id: missing required key 'model_profile_id'"));
  CHECK_THAT(error_of({{"      batch_size: 8", "      batch_timeout_s: 1"}}),
             Contains("frameworks_to_test[1].config.batch_size: missing required key 'batch_size' for a STATIC framework"));
}

TEST_CASE("input errors: a YAML syntax error gives its line and column") {
  const Checked c = validate(edited({{"  num_requests: 400", "  num_requests: [400"}}));
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains(c.file + ":9:") && Contains("YAML syntax error"));
}

TEST_CASE("input errors: the parallel layout must fit the GPUs and divide the heads") {
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 64\n      tensor_parallel_degree: 2\n      pipeline_parallel_degree: 2"}}),
             Contains("frameworks_to_test[0].config.tensor_parallel_degree: TP 2 x PP 2 x 1 replica(s) = 4 GPUs, but hardware 'gpu0' has 2"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 64\n      tensor_parallel_degree: 6"}}),
             Contains(":18:7: frameworks_to_test[0].config.tensor_parallel_degree: TP 6 does not divide Llama3-8B's 32 attention heads / 8 KV heads"));
}

TEST_CASE("input errors: a model that does not fit says by how much and what would fit") {
  // Llama-3-70B in bf16 is 131 GiB of weights; one H100 gives vLLM 90% of 79.2 GiB. TP 2 halves
  // the weights to 66 GiB per GPU, which leaves room for the KV cache; a B200 (178 GiB) fits it whole.
  const std::string err = error_of({{"\"Llama3-8B\"\n      gpu_id: \"gpu0\"\n      max", "\"Llama3-70B\"\n      gpu_id: \"gpu0\"\n      max"}});
  CHECK_THAT(err, Contains(":15:7: frameworks_to_test[0].config.model_profile_id: Llama3-70B on 1 x H100-SXM: does not fit"));
  CHECK_THAT(err, Contains("exceed the 71.27 GiB budget (90% of 79.19 GiB) by 61.81 GiB"));
  CHECK_THAT(err, Contains("would fit: tensor_parallel_degree: 2 (2 x H100-SXM), or preset: B200 (178 GiB) at "
                           "tensor_parallel_degree 1"));
}

TEST_CASE("input errors: requests longer than max_model_len need an explicit policy") {
  // prompt <= 1024 and output <= 256 tokens, uniform: with max_model_len 1100 some of the 400
  // requests (about P(prompt + output > 1100) = 11% by the two uniform laws) are too long.
  const auto limited = {std::pair<std::string, std::string>{"max_num_seqs: 64", "max_num_seqs: 64\n      max_model_len: 1100"}};
  const std::string err = error_of(limited);
  CHECK_THAT(err, Contains(":6:1: workload: ") && Contains("of 400 requests have prompt + output above max_model_len 1100 of 'alpha'"));
  CHECK_THAT(err, Contains("over_max_model_len: clip") && Contains("over_max_model_len: reject"));
  std::vector<std::pair<std::string, std::string>> clip(limited);
  clip.emplace_back("  num_requests: 400", "  num_requests: 400\n  over_max_model_len: clip");
  CHECK(validate(edited(clip)).run.code == 0);
  std::vector<std::pair<std::string, std::string>> wrong(limited);
  wrong.emplace_back("  num_requests: 400", "  num_requests: 400\n  over_max_model_len: shorten");
  CHECK_THAT(error_of(wrong), Contains(":9:3: workload.over_max_model_len: 'shorten' is not valid (valid: clip, reject)"));
}

TEST_CASE("input errors: a workload of more than ten million requests needs --allow-large") {
  // 20 req/s for 10^6 s is 2 x 10^7 expected requests.
  const std::string text = edited({{"num_requests: 400", "duration_s: 1000000"}});
  const Checked refused = validate(text);
  CHECK(refused.run.code == 2);
  CHECK_THAT(refused.run.err, Contains(refused.file + ":6:1: workload: this workload would hold about 20.0 million requests"));
  CHECK_THAT(refused.run.err, Contains("--allow-large"));
  CHECK(validate(text, {"--allow-large"}).run.code == 0);
}

TEST_CASE("input errors: a sweep value that breaks a point is reported at the sweep list") {
  const Checked c = validate(std::string(kTwoFrameworks) + "sweep:\n  tensor_parallel_degree: [1, 3]\n");
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains(c.file + ":25:31: frameworks_to_test[0].config.tensor_parallel_degree: TP 3 does not divide"));
}

// Found by tests/fuzz/fuzz_experiment_yaml: a sweep over a file without frameworks_to_test or
// hardware threw YAML's InvalidNode (an internal error), and nothing bounded a sweep's size.
TEST_CASE("input errors: a sweep without its targets, or with too many points, is a clear error") {
  const Checked bare = validate("simulation: {seed: 1}\nsweep:\n  tensor_parallel_degree: [2, 4]\n");
  CHECK(bare.run.code == 2);
  CHECK_THAT(bare.run.err, Contains(bare.file + ":3:3: sweep.tensor_parallel_degree: no framework in frameworks_to_test accepts this key"));
  const Checked no_hardware = validate("simulation: {seed: 1}\nsweep:\n  gpu: [A100-80GB-SXM]\n");
  CHECK_THAT(no_hardware.run.err, Contains(no_hardware.file + ":3:3: sweep.gpu: there is no hardware group whose preset it could set"));
  std::string list = "[1";
  for (int i = 2; i <= 101; ++i) list += ", " + std::to_string(i);
  list += "]";
  const Checked huge = validate(std::string(kTwoFrameworks) + "sweep:\n  max_num_seqs: " + list +
                                "\n  request_rate: " + list + "\n");
  CHECK(huge.run.code == 2);
  CHECK_THAT(huge.run.err, Contains(huge.file + ":25:3: sweep: the lists make 10201 points, more than the 2000 a sweep may have"));
}

// A later point repeating an earlier point's error added nothing to the error count, so its
// unresolved model passed as valid and was planned as a model of 0 layers.
TEST_CASE("input errors: an error repeated by every sweep point is reported once, with no follow-on errors") {
  const Checked c = validate(edited({{"\"Llama3-8B\"", "\"no-such-model\""}}) + "sweep:\n  max_num_seqs: [32, 64]\n");
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains("frameworks_to_test[0].config.model_profile_id: unknown model 'no-such-model'"));
  CHECK(c.run.err.find("layers") == std::string::npos);
}

// Found by fuzzing: std::filesystem's throwing overloads escaped as internal errors when a name
// was longer than the OS allows in a path (ENAMETOOLONG).
TEST_CASE("input errors: a model or trace name too long to be a path is an input error") {
  const std::string long_name(300, 'x');
  const Checked model = validate(edited({{"\"Llama3-8B\"", "\"" + long_name + "\""}}));
  CHECK(model.run.code == 2);
  CHECK_THAT(model.run.err, Contains("frameworks_to_test[0].config.model_profile_id: unknown model 'xxx"));
  const Checked trace = validate(edited({{"  prompt_tokens: {distribution: uniform, min: 64, max: 1024}\n"
                                          "  output_tokens: {distribution: uniform, min: 8, max: 256}\n",
                                          "  trace: {file: /" + long_name + ".csv, format: lengths}\n"}}));
  CHECK(trace.run.code == 2);
  CHECK_THAT(trace.run.err, Contains("workload.trace.file: no such file '/xxx"));
}

// Found by fuzzing: the memory plan overflowed int64 (UBSan) on these before they had limits.
TEST_CASE("input errors: sizes that would overflow the memory plan are out of range") {
  CHECK_THAT(error_of({{"count: 2}", "count: 2, overrides: {memory_gib: 1e300}}"}}),
             Contains("hardware.gpu0.overrides.memory_gib: 1e300 is out of range (must be greater than 0 and at most 1000000)"));
  CHECK_THAT(error_of({{"max_num_seqs: 64", "max_num_seqs: 9000000000000000"}}),
             Contains("frameworks_to_test[0].config.max_num_seqs: 9000000000000000 is out of range (must be at least 1 and at most 1048576)"));
}

TEST_CASE("input errors: exit codes are 0 for success and 2 for bad input") {
  CHECK(validate(kTwoFrameworks).run.code == 0);
  CHECK(run_cli_args({"no-such-command"}).code == 2);
  CHECK(run_cli_args({"validate", "/no/such/file.yaml"}).code == 2);
  CHECK(run_cli_args({"run"}).code == 2);
}
