// The seed tools' own invocations, typed as their users type them (issue 16): the Llama
// profiler's `bench --check-oom`, the DualGPUOptimizer's "24+12" GPU pairs, the Transformer
// Roofline Analyzer's `-- MODEL` form, vLLM's spellings of the parallel degrees; and advice that
// speaks in flags on the command line and in keys in an experiment file.
#include <catch2/catch.hpp>

#include <regex>

#include "simulator/cli/args.hpp"
#include "simulator/experiment/experiment_file.hpp"
#include "simulator/util/error.hpp"
#include "simulator/experiment/experiment_plan.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// The number after `flag ` in `text` ("--max-model-len 1234" -> "1234"), or "" when absent.
std::string value_after(const std::string& text, const std::string& flag) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(flag + " ([0-9]+)"))) return "";
  return match[1];
}

int count_of(const std::string& text, const std::string& word) {
  int n = 0;
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

const char* const kScout = "meta-llama/Llama-4-Scout-17B-16E-Instruct";

}  // namespace

TEST_CASE("seed invocations: profiler's `bench --check-oom` for Llama-4-Scout names the context as the blocker, in flags") {
  const std::string dir = fresh_dir("seed-bench-scout");
  const CliRun run = run_cli_args({"bench", "--model", kScout, "--check-oom", "--out", dir});
  INFO(run.err);
  CHECK(run.code == 3);  // does not fit: the answer, not a typo
  // Its default context is its max_position_embeddings, 10,485,760 tokens (config.json). The
  // 12 global-attention layers alone need 12 x 8 KV heads x 128 x 2 x 2 B = 48 KiB per token,
  // 480 GiB at that length: more than 8 H100s hold beside 202 GiB of weights, and more than any
  // single GPU. So neither --tp nor --gpu helps; only a shorter --max-model-len does.
  CHECK_THAT(run.err, Contains("what blocks it is the context of 10485760 tokens (the model's max_position_embeddings, "
                               "used when --max-model-len is not set)"));
  // 108.6e9 bf16 parameters = 202 GiB: half (101 GiB) exceeds the 71.3 GiB budget of an H100,
  // a quarter (50.5 GiB) leaves room for KV, so TP 4 is where a shorter context fits first.
  CHECK_THAT(run.err, Contains("would fit: --tp 4 --max-model-len "));
  // Command-line terms only: no experiment-file keys, no line numbers of a generated file.
  CHECK(run.err.find("tensor_parallel_degree") == std::string::npos);
  CHECK(run.err.find("preset:") == std::string::npos);
  CHECK(run.err.find("bench:") == std::string::npos);
  CHECK(count_of(run.err, "\n") == 1);
  CHECK_FALSE(std::filesystem::exists(dir + "/bench.csv"));  // nothing half-written

  // The advice was checked: the offered context starts, one block more does not.
  const std::string longest = value_after(run.err, "--max-model-len");
  REQUIRE_FALSE(longest.empty());
  const CliRun offered = run_cli_args({"bench", "--model", kScout, "--tp", "4", "--max-model-len", longest, "--check-oom",
                                       "--concurrency", "1", "--out", dir});
  INFO(offered.err);
  CHECK(offered.code == 0);
  const std::string one_block_more = std::to_string(std::stoll(longest) + 16);
  CHECK(run_cli_args({"memory", "--model", kScout, "--gpu", "H100-SXM", "--tp", "4", "--max-model-len", one_block_more})
            .code == 3);
  // The issue's own example fits too.
  CHECK(run_cli_args({"bench", "--model", kScout, "--max-model-len", "8192", "--tp", "4", "--check-oom", "--concurrency",
                      "1", "--out", dir})
            .code == 0);
}

TEST_CASE("seed invocations: advice names --tp and --gpu on the command line, keys with file:line in a file") {
  // Llama-3-70B: 131.4 GiB of bf16 weights. On one H100 (71.3 GiB budget) it needs TP 4 (TP 2
  // leaves 65.7 GiB of weights and the 1024-sequence sampler pass no room); the smallest GPU of
  // the library holding it whole is the B200 (178 GiB).
  const CliRun line = run_cli_args({"bench", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--out", fresh_dir("seed-70b")});
  INFO(line.err);
  CHECK(line.code == 3);
  CHECK_THAT(line.err, Contains("would fit: --tp 4 (4 x H100-SXM), or --gpu B200 (178 GiB)"));
  CHECK(line.err.find("tensor_parallel_degree") == std::string::npos);
  const CliRun memory = run_cli_args({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM"});
  CHECK(memory.code == 3);
  CHECK_THAT(memory.err, Contains("would fit: --tp 4 (4 x H100-SXM), or --gpu B200 (178 GiB)"));

  // The same deployment in an experiment file: its keys, at the line of model_profile_id.
  const std::string dir = fresh_dir("seed-70b-file");
  const std::string file = write_file(dir, "e.yaml", R"(simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM}
workload: {arrival: {process: poisson, rate_per_s: 1}, num_requests: 10, prompt_tokens: {distribution: fixed, value: 100}, output_tokens: {distribution: fixed, value: 10}}
frameworks_to_test:
  - name: big
    type: VLLM
    config: {model_profile_id: Llama3-70B, gpu_id: gpu0}
)");
  const CliRun validate = run_cli_args({"validate", file});
  INFO(validate.err);
  CHECK(validate.code == 2);  // a file that cannot run is bad input, reported with the others
  CHECK_THAT(validate.err, Contains(file + ":8:14: frameworks_to_test[0].config.model_profile_id: Llama3-70B on 1 x H100-SXM"));
  CHECK_THAT(validate.err, Contains("would fit: tensor_parallel_degree: 4 (4 x H100-SXM), or preset: B200 (178 GiB) at "
                                    "tensor_parallel_degree 1"));
  CHECK(validate.err.find("--tp") == std::string::npos);
}

TEST_CASE("seed invocations: a context that does not fit one GPU offers --max-model-len there first") {
  // Llama-3.1-8B on a 24 GiB RTX 4090: 15 GiB of weights fit, its 131,072-token context does not.
  const CliRun run = run_cli_args({"memory", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "RTX-4090"});
  INFO(run.err);
  CHECK(run.code == 3);
  const std::string longest = value_after(run.err, "would fit: --max-model-len");
  REQUIRE_FALSE(longest.empty());
  CHECK(std::stoll(longest) < 131072);
  CHECK(run_cli_args({"memory", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "RTX-4090", "--max-model-len", longest})
            .code == 0);
}

TEST_CASE("seed invocations: DualGPUOptimizer's 24+12 and 24,12 give the same split, and not fitting exits 3") {
  const CliRun plus = run_cli_args({"memory", "--model", "Llama2-13B", "--gpus", "24+12", "--max-model-len", "4096"});
  const CliRun comma = run_cli_args({"memory", "--model", "Llama2-13B", "--gpus", "24,12", "--max-model-len", "4096"});
  INFO(plus.err);
  CHECK(plus.code == 0);
  CHECK(plus.out == comma.out);
  CHECK_THAT(plus.out, Contains("VLLM_PP_LAYER_PARTITION="));
  CHECK(run_cli_args({"memory", "--model", "Llama2-13B", "--gpus", "24+x"}).code == 2);  // bad input stays 2

  // Llama-3-70B's 131 GiB of weights exceed 24 + 12 GiB in any format: exit 3, no launch line.
  const CliRun big = run_cli_args({"memory", "--model", "Llama3-70B", "--gpus", "24+12"});
  INFO(big.err);
  CHECK(big.code == 3);
  CHECK_THAT(big.out, Contains("verdict: does not fit"));
  CHECK(big.out.find("vllm serve") == std::string::npos);
  CHECK_THAT(big.err, Contains("Llama3-70B split over 24+12: does not fit"));
}

TEST_CASE("seed invocations: the GGUF launch line uses only vLLM's flags, the .gguf file and the base tokenizer") {
  const CliRun run = run_cli_args({"memory", "--model", "Llama2-13B", "--gpus", "24+12", "--quantization", "gguf_q4_k_m",
                                   "--max-model-len", "4096"});
  INFO(run.out);
  REQUIRE(run.code == 0);
  std::smatch match;
  REQUIRE(std::regex_search(run.out, match, std::regex("vLLM: +(vllm serve [^\n]*)")));
  const std::string line = match[1];
  // `vllm serve MODEL_TAG`: the model is the single .gguf file; the tokenizer the base repo's
  // (vLLM's GGUF guide); TP over both GPUs, since GGUF is documented with TP only.
  CHECK_THAT(line, Catch::StartsWith("vllm serve ./Llama-2-13b-hf-Q4_K_M.gguf --tokenizer meta-llama/Llama-2-13b-hf "));
  CHECK_THAT(line, Contains("--tensor-parallel-size 2") && Contains("--max-model-len 4096") &&
                       Contains("--gpu-memory-utilization 0.9"));
  CHECK(line.find("--quantization") == std::string::npos);  // vLLM detects a .gguf file itself
  // Every option is one vLLM's parser declares (vllm/engine/arg_utils.py, EngineArgs.add_cli_args,
  // commit 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b).
  const std::vector<std::string> vllm_flags = {"--tokenizer", "--tensor-parallel-size", "--pipeline-parallel-size",
                                               "--max-model-len", "--gpu-memory-utilization", "--quantization"};
  const std::regex option("(--[a-z-]+)");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), option); it != std::sregex_iterator(); ++it) {
    INFO((*it)[1]);
    CHECK(std::find(vllm_flags.begin(), vllm_flags.end(), (*it)[1]) != vllm_flags.end());
  }
  // Unequal GPUs under TP: the note says the smaller one sets the limit.
  CHECK_THAT(run.out, Contains("each GPU is held to the smallest one's 12 GiB"));
}

TEST_CASE("seed invocations: the analyzer's `roofline ... -- MODEL` form, with a default GPU it names") {
  const CliRun run = run_cli_args({"roofline", "--cached-tokens", "1024", "--input-tokens", "1", "--", "meta-llama/Llama-2-7b-hf"});
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("Llama2-7B on H100-SXM (the default GPU; --gpu to change)"));
  // The seed's counts do not depend on the GPU: QKV of one token, 1 x 12288 x (2 x 4096 - 1).
  CHECK_THAT(run.out, Contains("100,651,008"));
  const CliRun bare = run_cli_args({"roofline", "meta-llama/Llama-2-7b-hf"});
  CHECK(bare.code == 0);
  CHECK_THAT(bare.out, Contains("batch 1 x (1 new + 0 cached tokens)"));
  const CliRun config = run_cli_args({"roofline", data_dir() + "/hf_configs/mixtral-8x7b-v0.1.json", "--gpu", "A100-80GB-SXM"});
  CHECK(config.code == 0);
  CHECK_THAT(config.out, Contains(" on A100-80GB-SXM (TP 1"));
  const CliRun twice = run_cli_args({"roofline", "Llama3-8B", "--model", "Llama3-8B"});
  CHECK(twice.code == 2);
  CHECK_THAT(twice.err, Contains("--model: given twice"));
  const CliRun none = run_cli_args({"roofline", "--input-tokens", "1"});
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Contains("MODEL_OR_CONFIG: name the model"));
}

TEST_CASE("seed invocations: vLLM's --tensor-parallel-size and -tp are --tp, and -pp and --pipeline-parallel-size are --pp") {
  const CliRun ours = run_cli_args({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "4", "--format", "json"});
  REQUIRE(ours.code == 0);
  for (const std::vector<std::string>& spelling : std::vector<std::vector<std::string>>{
           {"--tensor-parallel-size", "4"}, {"-tp", "4"}, {"--tensor-parallel-size=4"}}) {
    std::vector<std::string> args = {"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--format", "json"};
    args.insert(args.end(), spelling.begin(), spelling.end());
    const CliRun run = run_cli_args(args);
    INFO(spelling.front());
    CHECK(run.code == 0);
    CHECK(run.out == ours.out);
  }
  const CliRun pp = run_cli_args({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "-tp", "2", "-pp", "2", "--format", "json"});
  CHECK_THAT(pp.out, Contains("\"pipeline_parallel\": \"2\"") || Contains("\"pipeline_parallel\": 2"));
  CHECK(run_cli_args({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "4", "-tp", "4"}).code == 2);  // twice
  CHECK_THAT(run_cli_args({"bench", "--help"}).out, Contains("(also --tensor-parallel-size, -tp)"));
}

TEST_CASE("seed invocations: experiment files accept vLLM's tensor_parallel_size, and both spellings is an error") {
  const std::string dir = fresh_dir("seed-tp-alias");
  const std::string base = R"(simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload: {arrival: {process: poisson, rate_per_s: 1}, num_requests: 10, prompt_tokens: {distribution: fixed, value: 100}, output_tokens: {distribution: fixed, value: 10}}
frameworks_to_test:
  - name: big
    type: VLLM
    config:
      model_profile_id: Llama3-70B
      gpu_id: gpu0
)";
  const std::string aliased = write_file(dir, "alias.yaml", base + "      tensor_parallel_size: 4\n      pipeline_parallel_size: 2\n");
  const CliRun ok = run_cli_args({"validate", aliased});
  INFO(ok.err);
  CHECK(ok.code == 0);
  const llmpo::ExperimentPlan plan =
      llmpo::plan_experiment(llmpo::read_experiment(aliased, {}), llmpo::Libraries::load());
  REQUIRE(plan.runs.size() == 1);
  CHECK(plan.runs.front().parallel.tensor_parallel == 4);
  CHECK(plan.runs.front().parallel.pipeline_parallel == 2);

  const std::string both = write_file(dir, "both.yaml", base + "      tensor_parallel_degree: 4\n      tensor_parallel_size: 2\n");
  const CliRun bad = run_cli_args({"validate", both});
  INFO(bad.err);
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Contains(both + ":12:7: frameworks_to_test[0].config.tensor_parallel_size: is vLLM's name for "
                                      "tensor_parallel_degree, which is also given (line 11): give one of "
                                      "tensor_parallel_degree and tensor_parallel_size"));
  // An error about the degree is shown at the key the file used.
  const std::string three = write_file(dir, "three.yaml", base + "      tensor_parallel_size: 3\n");
  CHECK_THAT(run_cli_args({"validate", three}).err,
             Contains(three + ":11:7: frameworks_to_test[0].config.tensor_parallel_size: TP 3 does not divide"));
}

TEST_CASE("seed invocations: recommend names the --context that fits where no TP carries the model's own") {
  const CliRun run = run_cli_args({"recommend", "--model", kScout, "--gpu", "H100-SXM"});
  INFO(run.out);
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("no TP up to 8 fits at context 10485760; --context "));
  const std::string longest = value_after(run.out, "--context");
  REQUIRE_FALSE(longest.empty());
  CHECK_THAT(run.out, Contains("--context " + longest + " fits at TP 4"));
  // recommend plans with vllm serve's defaults, as `memory` does: the same context starts there.
  CHECK(run_cli_args({"memory", "--model", kScout, "--gpu", "H100-SXM", "--tp", "4", "--max-model-len", longest}).code == 0);
}

TEST_CASE("seed invocations: bench requests longer than --max-model-len are told the --max-model-len that carries them") {
  // 200 prompt + 32 output tokens = 232 > 100.
  const CliRun run = run_cli_args({"bench", "--model", "Llama3-8B", "--max-model-len", "100", "--prompt-toks", "200",
                                   "--concurrency", "1", "--out", fresh_dir("seed-bench-len")});
  INFO(run.err);
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("error: --max-model-len: 1 of 1 requests have prompt + output above 100 tokens (the longest "
                               "has 232): give --max-model-len 232 or more, or shorter requests"));
  CHECK(run.err.find("over_max_model_len") == std::string::npos);
}

TEST_CASE("seed invocations: a double dash ends the options, and aliases parse as their option") {
  llmpo::ArgParser p("llmperforacle demo", "demo");
  p.multi("levels", "N...", "levels");
  p.option("tp", "N", "tensor-parallel degree");
  p.positional("WHAT", "what");
  p.alias("tp", "-tp").alias("tp", "--tensor-parallel-size");
  llmpo::ArgParser a = p;
  REQUIRE(a.parse({"--levels", "1", "2", "--", "--weird-name"}));
  CHECK(a.get_all("levels") == std::vector<std::string>{"1", "2"});  // "--" is not a value
  CHECK(*a.positional_value("WHAT") == "--weird-name");               // after "--", a positional
  llmpo::ArgParser b = p;
  REQUIRE(b.parse({"-tp", "4", "x"}));
  CHECK(b.get("tp") == "4");
  llmpo::ArgParser c = p;
  REQUIRE(c.parse({"--tensor-parallel-size=8"}));
  CHECK(c.get("tp") == "8");
  llmpo::ArgParser d = p;
  CHECK_THROWS_WITH(d.parse({"--tp", "--", "x"}), Contains("--tp: needs a value"));
  CHECK_THAT(p.help_text(), Contains("tensor-parallel degree (also --tensor-parallel-size, -tp)"));
  CHECK_THROWS_AS(p.alias("tp", "--levels"), llmpo::InternalError);  // a spelling already taken
}
