// Every error of a section is reported in the same pass (a bad number no longer ends its section),
// without follow-on errors it did not cause, each at the key it is about and with a remedy that is
// itself valid.
#include <catch2/catch.hpp>

#include <string>

#include "experiment_helpers.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

const char* kBase = R"(name: together
simulation:
  seed: 9
hardware:
  gpu0: {preset: H100-SXM, count: 64}
workload:
  arrival: {process: poisson, rate_per_s: 8}
  num_requests: 50
  prompt_tokens: {distribution: fixed, value: 200}
  output_tokens: {distribution: fixed, value: 20}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
)";

std::string edited(const std::vector<std::pair<std::string, std::string>>& edits) { return with_edits(kBase, edits); }

Checked validate(const std::string& text) { return validate_text(text, "together"); }

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("errors together: several bad values of one section are all reported at once") {
  const Checked c = validate(edited({{"  seed: 9", "  seed: 2.5\n  warmup_s: -3\n  percentiles: [0, 50, 100]"},
                                     {"  num_requests: 50", "  num_requests: -4"},
                                     {"{distribution: fixed, value: 200}", "{distribution: uniform, min: 0, max: 10}"},
                                     {"{distribution: fixed, value: 20}", "{distribution: zipff, value: 20}"}}));
  INFO(c.run.err);
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains(c.file + ":3:9: simulation.seed: expected an integer, got '2.5'"));
  CHECK_THAT(c.run.err, Contains(c.file + ":4:13: simulation.warmup_s: -3 is out of range"));
  CHECK_THAT(c.run.err, Contains(c.file + ":5:17: simulation.percentiles[0]: 0 is out of range"));
  CHECK_THAT(c.run.err, Contains(c.file + ":10:17: workload.num_requests: -4 is out of range"));
  CHECK_THAT(c.run.err, Contains(c.file + ":11:47: workload.prompt_tokens.min: 0 is out of range"));
  CHECK_THAT(c.run.err, Contains("workload.output_tokens.distribution: 'zipff' is not valid"));
  CHECK_THAT(c.run.err, Contains("6 errors; nothing was run"));
}

TEST_CASE("errors together: a bad count is one error, not also a missing key") {
  for (const std::string bad : {"0", "-7", "1e300", "many"}) {
    const Checked c = validate(edited({{"  num_requests: 50", "  num_requests: " + bad}}));
    INFO(c.run.err);
    CHECK(c.run.code == 2);
    CHECK_THAT(c.run.err, Contains(c.file + ":8:17: workload.num_requests: "));
    CHECK(c.run.err.find("missing required key") == std::string::npos);
    CHECK(count_of(c.run.err, "error:") == 1);
  }
}

TEST_CASE("errors together: a pipeline error is shown at pipeline_parallel_degree") {
  const Checked c = validate(edited({{"gpu_id: gpu0}", "gpu_id: gpu0, tensor_parallel_degree: 2, pipeline_parallel_degree: 40}"}}));
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Contains(c.file + ":14:84: frameworks_to_test[0].config.pipeline_parallel_degree: PP 40 exceeds Llama3-8B's 32 layers"));
  CHECK(c.run.err.find("tensor_parallel_degree:") == std::string::npos);
}

TEST_CASE("errors together: out of range above states the upper bound, even the catch-all one") {
  const Checked weight = validate(edited({{"  num_requests: 50", "  num_requests: 50\n  classes: [{name: a, weight: 5e15}]"}}));
  CHECK_THAT(weight.run.err, Contains("workload.classes[0].weight: 5e15 is out of range (must be greater than 0 and at most 1000000000)"));
  const Checked mean = validate(edited({{"{distribution: fixed, value: 20}", "{distribution: normal, mean: 1e305, stdev: 1}"}}));
  CHECK_THAT(mean.run.err, Contains("workload.output_tokens.mean: 1e305 is out of range (must be greater than 0 and at most 1e+300)"));
}

TEST_CASE("errors together: a KV cache of no whole block advises block_size, never max_model_len 0") {
  // Blocks of 2^20 tokens: 62 GiB of KV cache holds fewer than one.
  const Checked c = validate(edited({{"gpu_id: gpu0}", "gpu_id: gpu0, block_size: 1048576}"}}));
  INFO(c.run.err);
  CHECK(c.run.code == 2);
  CHECK(c.run.err.find("max-model-len 0") == std::string::npos);
  CHECK_THAT(c.run.err, Contains("block_size: 16 (vLLM's default; the KV cache has room for no whole block of 1048576 tokens)"));
}
