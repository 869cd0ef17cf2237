// Model and GPU names as users type them, end to end: Ollama tags on the command line and in
// experiment files (the quantization they name is the one used, and shown), and ambiguous GPU
// names refused with their variants, on the command line and at the experiment file's line.
#include <catch2/catch.hpp>

#include "models/model_names.hpp"
#include "simulator/cli/commands.hpp"
#include "simulator/experiment/recommend.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

test::CliRun cli(const std::vector<std::string>& args) { return test::run_cli_args(args); }

}  // namespace

TEST_CASE("cli names: memory with an Ollama tag sizes and shows the tag's quantization") {
  test::CliRun run = cli({"memory", "--model", "llama3.1:8b-instruct-q4_K_M", "--gpu", "H100-SXM"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("Llama-3.1-8B (llama3.1:8b-instruct-q4_K_M) on 1 x H100-SXM (TP 1, PP 1), weights "
                               "gguf_q4_k_m, KV cache bfloat16 (auto)"));
  // 8,029,995,008 linear and table parameters x 4.8944 / 8 + 266,240 norm parameters x 2 bytes
  // = 4,913,283,425.9 bytes = 4.58 GiB (tests/models/test_model_names.cpp works it out).
  CHECK_THAT(run.out, Contains("model total 4.58 GiB"));

  run = cli({"memory", "--model", "llama3.1:8b-instruct-q4_K_M", "--gpu", "H100-SXM", "--format", "json"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("\"quantization\": \"gguf_q4_k_m\""));
  CHECK_THAT(run.out, Contains("\"kv_cache_dtype\": \"auto\""));

  // Without a suffix the tag is the published bf16 model, as before.
  run = cli({"memory", "--model", "llama3.1:8b", "--gpu", "H100-SXM", "--format", "json"});
  CHECK_THAT(run.out, Contains("\"quantization\": \"none\""));
}

TEST_CASE("cli names: --quantization contradicting the tag's is an error at --quantization, exit 2") {
  const test::CliRun run =
      cli({"memory", "--model", "qwen2.5:7b-instruct-q4_0", "--gpu", "H100-SXM", "--quantization", "awq"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Contains("--quantization: the model tag 'qwen2.5:7b-instruct-q4_0' names quantization gguf_q4_0, "
                               "but quantization awq was given"));
  CHECK(run.out.empty());
  // The same quantization, spelt as llama.cpp does, agrees.
  CHECK(cli({"memory", "--model", "qwen2.5:7b-instruct-q4_0", "--gpu", "H100-SXM", "--quantization", "Q4_0"}).code == 0);
}

TEST_CASE("cli names: an ambiguous GPU on the command line lists the variants, exit 2") {
  const test::CliRun run = cli({"memory", "--model", "Llama3-8B", "--gpu", "H100"});
  CHECK(run.code == 2);
  // Said at the flag the user typed, not at the experiment-file key the library uses.
  CHECK_THAT(run.err, Catch::StartsWith("error: --gpu: GPU 'H100' is ambiguous: H100-NVL (NVIDIA H100 NVL 94GB, 3.9 TB/s), "
                                        "H100-PCIe (NVIDIA H100 PCIe 80GB, 2 TB/s), H100-SXM (NVIDIA H100 SXM5 80GB, "
                                        "3.35 TB/s); write one of them"));
  const test::CliRun roofline = cli({"roofline", "--model", "Llama3-8B", "--gpu", "A100", "--input-tokens", "1"});
  CHECK(roofline.code == 2);
  CHECK_THAT(roofline.err, Catch::StartsWith("error: --gpu: GPU 'A100' is ambiguous: "));
  const test::CliRun recommend = cli({"recommend", "--model", "Llama3-8B", "--gpu", "H100"});
  CHECK(recommend.code == 2);
  CHECK_THAT(recommend.err, Catch::StartsWith("error: --gpu: GPU 'H100' is ambiguous: "));
}

TEST_CASE("cli names: an unknown model on the command line is an error at --model or at the positional MODEL_OR_CONFIG") {
  const test::CliRun memory = cli({"memory", "--model", "some-org/unknown-model-7b", "--gpu", "H100-SXM"});
  CHECK(memory.code == 2);
  CHECK_THAT(memory.err, Catch::StartsWith("error: --model: unknown model 'some-org/unknown-model-7b'"));
  CHECK_THAT(memory.err, Contains("`--model path/to/config.json` on the command line"));
  const test::CliRun roofline = cli({"roofline", "some-org/unknown-model-7b"});
  CHECK(roofline.code == 2);
  CHECK_THAT(roofline.err, Catch::StartsWith("error: MODEL_OR_CONFIG: unknown model 'some-org/unknown-model-7b'"));
}

TEST_CASE("cli names: an ambiguous GPU preset in an experiment file is an error at its line") {
  const std::string text = test::with_edits(test::kTwoFrameworks, {{"preset: H100-SXM", "preset: H100"}});
  const test::Checked checked = test::validate_text(text, "names-gpu");
  CHECK(checked.run.code == 2);
  // Line 5 of the text: "  gpu0: {preset: H100, count: 2}".
  CHECK_THAT(checked.run.err, Contains(checked.file + ":5:"));
  CHECK_THAT(checked.run.err, Contains("hardware.gpu0.preset: GPU 'H100' is ambiguous: H100-NVL"));
}

TEST_CASE("cli names: an Ollama tag in an experiment file takes its quantization, and a contradicting key is an error") {
  const std::string tagged = test::with_edits(test::kTwoFrameworks, {{"model_profile_id: \"Llama3-8B\"\n      gpu_id: \"gpu0\"\n      max_num_seqs",
                                                                      "model_profile_id: \"llama3.1:8b-instruct-q4_K_M\"\n      gpu_id: \"gpu0\"\n      max_num_seqs"}});
  CHECK(test::validate_text(tagged, "names-tag").run.code == 0);

  const std::string contradicted =
      test::with_edits(tagged, {{"max_num_seqs: 64\n", "max_num_seqs: 64\n      quantization: awq\n"}});
  const test::Checked checked = test::validate_text(contradicted, "names-tag-awq");
  CHECK(checked.run.code == 2);
  // Line 18: the quantization key added after max_num_seqs (line 17) of the first deployment.
  CHECK_THAT(checked.run.err, Contains(checked.file + ":18:"));
  CHECK_THAT(checked.run.err, Contains("frameworks_to_test[0].config.quantization: the model tag "
                                       "'llama3.1:8b-instruct-q4_K_M' names quantization gguf_q4_k_m, but quantization "
                                       "awq was given"));
}

TEST_CASE("cli names: list quantizations shows the Ollama tag each GGUF scheme answers to") {
  const test::CliRun run = cli({"list", "quantizations", "--format", "csv"});
  CHECK(run.code == 0);
  CHECK_THAT(run.out, Contains("ollama_tag"));
  CHECK_THAT(run.out, Contains("gguf_q4_k_m,0.6118,"));
  CHECK_THAT(run.out, Contains(",q4_K_M\n"));
}

TEST_CASE("cli names: recommend sizes a tag's quantized weights, not bf16") {
  const Libraries libraries = Libraries::load();
  const ModelSpec tagged = resolve_model("llama3.1:8b-instruct-q4_K_M", libraries.models);
  const GpuSpec& l4 = libraries.gpus.find("L4");
  CHECK(recommend_memory_request(tagged, l4, 1, 4096).quantization == "gguf_q4_k_m");
  // Weights: 4,913,283,425.8944 bytes at q4_K_M against 8,030,261,248 x 2 = 16,060,522,496 in
  // bf16 (the hand counts of tests/models/test_model_names.cpp).
  CHECK(minimum_gpu_memory(tagged, l4, 4096).weight_bytes == Approx(4'913'283'425.8944).epsilon(1e-12));
  CHECK(minimum_gpu_memory(libraries.models.find("llama3.1:8b"), l4, 4096).weight_bytes == Approx(16'060'522'496.0));
}
