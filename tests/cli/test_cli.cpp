// End-to-end checks of the command line: what a user types, what they read, and the exit code.
#include <catch2/catch.hpp>

#include <sstream>

#include "simulator/cli/commands.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;

namespace {

using Run = test::CliRun;

Run cli(const std::vector<std::string>& args) { return test::run_cli_args(args); }

}  // namespace

TEST_CASE("cli: every subcommand answers --help with its options and exit code 0") {
  for (const std::string command : {"run", "validate", "list", "memory", "roofline"}) {
    INFO(command);
    const Run run = cli({command, "--help"});
    CHECK(run.code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("usage: llmperforacle " + command));
    CHECK_THAT(run.out, Catch::Contains("--help"));
  }
  CHECK_THAT(cli({"--help"}).out, Catch::Contains("exit codes: 0 success, 2 bad input"));
}

TEST_CASE("cli: an unknown command or option is a one-line error with a suggestion and exit 2") {
  Run run = cli({"memroy"});
  CHECK(run.code == 2);
  CHECK(run.err == "error: unknown command 'memroy' (valid: run, validate, search, merge, capacity, perf, list, memory, recommend, roofline, step, calibrate, fidelity, replay, compare, init, import-lpo, bench, report, completion, man, version); did you mean 'memory'?\n");
  run = cli({"memory", "--model", "Llama3-8B", "--gpu", "H100-SXM", "--tp-size", "2"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::StartsWith("error: llmperforacle memory: unknown option '--tp-size'; did you mean '--tp'?"));
}

TEST_CASE("cli: memory for Llama-3-70B at TP 4 on H100 reports 327,680 KV bytes per token and fits") {
  const Run run = cli({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "4"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("327,680"));  // 2 x 80 layers x 8 KV heads x 128 x 2 B
  CHECK_THAT(run.out, Catch::Contains("81,920"));   // a quarter of the KV heads per GPU
  CHECK_THAT(run.out, Catch::Contains("verdict: fits"));
}

TEST_CASE("cli: memory for Llama-3-70B at TP 1 on H100 says it does not fit, by how much, and what would") {
  const Run run = cli({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "1"});
  CHECK(run.code == 3);  // does not fit (2 is kept for bad input)
  CHECK_THAT(run.out, Catch::Contains("does not fit"));
  // 70.55e9 bf16 parameters = 131.4 GiB of weights against 0.9 x 79.19 GiB.
  // TP 2 (65.7 GiB per GPU) no longer fits at 8192 tokens with the 1024-sequence dummy sampler.
  CHECK_THAT(run.err, Catch::Contains("131.42 GiB") && Catch::Contains("would fit: --tp 4 (4 x H100-SXM)"));
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
}

TEST_CASE("cli: memory --format json gives machine-readable figures") {
  const Run run = cli({"memory", "--model", "llama3:70b", "--gpu", "h100-sxm", "--tp", "4", "--format", "json"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("\"kv_bytes_per_token_model\": 327680,"));  // bytes, a whole number
  CHECK_THAT(run.out, Catch::Contains("\"fits\": true"));
}

TEST_CASE("cli: memory --gpus splits layers over unequal GPUs and prints launch flags") {
  const Run run = cli({"memory", "--model", "Llama2-13B", "--gpus", "24,12", "--quantization", "awq", "--max-model-len", "4096"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("VLLM_PP_LAYER_PARTITION="));
  CHECK_THAT(run.out, Catch::Contains("--tensor-split"));
  CHECK_THAT(run.out, Catch::Contains("\"model.layers.39\": 1"));  // the last layer lands on the second GPU
}

TEST_CASE("cli: TP that does not divide the heads is refused with the valid degrees") {
  const Run run = cli({"memory", "--model", "Llama3-70B", "--gpu", "H100-SXM", "--tp", "3"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("TP 3 does not divide Llama3-70B's 64 attention heads / 8 KV heads (valid TP: 1, 2, 4, 8, 16, 32, 64)"));
}

TEST_CASE("cli: unknown model and GPU names get suggestions, and non-existent seed names are not invented") {
  Run run = cli({"memory", "--model", "llama3.2:7b", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("'llama3.2:7b' names no published model") &&
                          Catch::Contains("nearest published model in the library: llama3.1:8b"));
  run = cli({"roofline", "--model", "Llama3-8B", "--gpu", "H100-SMX", "--input-tokens", "1"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("unknown GPU 'H100-SMX'; did you mean 'H100-SXM'"));
}

TEST_CASE("cli: roofline prints the seed's per-layer table for Llama-2-7B on A100") {
  const Run run = cli({"roofline", "--model", "meta-llama/Llama-2-7b-hf", "--gpu", "A100-80GB-SXM",
                       "--input-tokens", "1", "--cached-tokens", "1024"});
  CHECK(run.code == 0);
  // QKV for one token: 1 x 12288 x (2 x 4096 - 1) FLOPs and 4096 x 12288 x 2 weight bytes.
  CHECK_THAT(run.out, Catch::Contains("Attn - QKV_Proj       100,651,008  100,663,296"));
  // SDPA with 1025 keys: 1025 x 8191 + 4096 x 2049 FLOPs.
  CHECK_THAT(run.out, Catch::Contains("16,788,479"));
  // KV cache: 1025 x 4096 x 2 x 2 B x 32 layers.
  CHECK_THAT(run.out, Catch::Contains("537,395,200"));
  CHECK_THAT(run.out, Catch::Contains("memory"));
}

TEST_CASE("cli: list prints every library") {
  const Run models = cli({"list", "models"});
  CHECK(models.code == 0);
  CHECK_THAT(models.out, Catch::Contains("Llama-4-Scout-17B-16E") && Catch::Contains("16x top1"));
  const Run gpus = cli({"list", "gpus", "--format", "csv"});
  CHECK_THAT(gpus.out, Catch::StartsWith("id,name,architecture,memory_bytes,"));
  CHECK_THAT(gpus.out, Catch::Contains("MI300X"));
  CHECK(cli({"list", "interconnects"}).code == 0);
  CHECK(cli({"list", "quantizations"}).code == 0);
  CHECK_THAT(cli({"list", "modles"}).err, Catch::Contains("did you mean 'models'"));
}

TEST_CASE("cli: --model accepts a Hugging Face config.json") {
  const Run run = cli({"memory", "--model", test::data_dir() + "/hf_configs/mixtral-8x7b-v0.1.json", "--gpu", "H100-SXM",
                       "--tp", "2", "--max-model-len", "32768"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("131,072"));  // 2 x 32 layers x 8 KV heads x 128 x 2 B
}

TEST_CASE("cli: the binary's exit codes match the documentation") {
  const std::string binary = test::binary_path();
  CHECK(test::run_command(binary + " version").exit_code == 0);
  CHECK(test::run_command(binary + " memory --model nope --gpu H100-SXM").exit_code == 2);
  CHECK(test::run_command(binary).exit_code == 2);
}
