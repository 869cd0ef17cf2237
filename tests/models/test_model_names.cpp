// Model names as users type them (models/model_names.hpp): every family:size of the AI-Flux
// table, Ollama tags with the quantization they name, and the hint for an unknown HF id.
// Expected models and byte counts are worked out by hand from the data files' config values.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "model_library_fixtures.hpp"
#include "models/memory_plan.hpp"
#include "models/model_names.hpp"
#include "../test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// The family:size names of the AI-Flux table: its Config File column, llama3.2/3b.yaml ->
// llama3.2:3b (tests/data/ai_flux/supported-models.md, copied from the seed).
std::set<std::string> ai_flux_names() {
  std::ifstream in(data_dir() + "/ai_flux/supported-models.md");
  REQUIRE(in.good());
  const std::regex config_file(R"(\| ([a-z0-9.\-]+)/([a-z0-9]+)\.yaml \|)");
  std::set<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, config_file)) names.insert(m[1].str() + ":" + m[2].str());
  }
  return names;
}

// Resolved by hand against the table: the model each row's family and size name.
const std::map<std::string, std::string> kResolves = {
    {"llama3.2:3b", "Llama-3.2-3B"},          {"llama3.3:70b", "Llama-3.3-70B"},
    {"gemma3:1b", "Gemma3-1B"},               {"gemma3:4b", "Gemma3-4B"},
    {"gemma3:12b", "Gemma3-12B"},             {"gemma3:27b", "Gemma3-27B"},
    {"qwen2.5:7b", "Qwen2.5-7B"},             {"qwen2.5:72b", "Qwen2.5-72B"},
    {"phi3:mini", "Phi-3-mini"},              {"phi3:small", "Phi-3-small"},
    {"phi3:medium", "Phi-3-medium"},          {"mistral:7b", "Mistral-7B-v0.3"},
    {"mistral:8x7b", "Mixtral-8x7B"},         {"mistral-nemo:12b", "Mistral-NeMo-12B"},
    {"mistral-openorca:7b", "Mistral-7B-OpenOrca"}, {"mixtral:8x7b", "Mixtral-8x7B"},
    {"mixtral:8x22b", "Mixtral-8x22B"},
};

// Rows naming no published model, and the nearest published one the error must name:
// Llama 3.2 text is 1B/3B (Vision 11B/90B on Llama 3.1 8B/70B), Llama 3.3 is 70B only,
// Phi-3 Vision is 4.2B on Phi-3-mini, Mistral Small is 22B/24B, Mistral Large 123B, MistralLite 7B.
const std::map<std::string, std::string> kNearest = {
    {"llama3.2:7b", "llama3.1:8b"},          {"llama3.2:70b", "llama3.1:70b"},
    {"llama3.2-vision:8b", "llama3.1:8b"},   {"llama3.2-vision:70b", "llama3.1:70b"},
    {"llama3.3:8b", "llama3.1:8b"},          {"phi3:vision", "phi3:mini"},
    {"mistral-small:7b", "mistral:7b"},      {"mistral-large:33b", "mixtral:8x22b"},
    {"mistral-lite:3b", "mistral:7b"},
};

}  // namespace

TEST_CASE("model names: the 26 rows of the AI-Flux table are all accounted for") {
  const std::set<std::string> names = ai_flux_names();
  CHECK(names.size() == 26);
  std::set<std::string> listed;
  for (const auto& [name, id] : kResolves) listed.insert(name);
  for (const auto& [name, nearest] : kNearest) listed.insert(name);
  CHECK(listed == names);
}

TEST_CASE("model names: every AI-Flux family:size of a published model resolves to that model") {
  for (const auto& [name, id] : kResolves) {
    INFO(name);
    CHECK(resolve_model(name, library()).id == id);
  }
}

TEST_CASE("model names: an AI-Flux name of an unpublished model names the nearest published one") {
  for (const auto& [name, nearest] : kNearest) {
    INFO(name);
    // A plain reference for the lambda: clang before 16 cannot capture a structured binding.
    const std::string& model = name;
    const std::string what = error_of([&] { resolve_model(model, library()); });
    CHECK_THAT(what, Contains("'" + name + "' names no published model"));
    CHECK_THAT(what, Contains("nearest published model in the library: " + nearest + " (write that name instead)"));
    CHECK_NOTHROW(library().find(nearest));  // the advice resolves
  }
  const std::string what = error_of([] { library().find("llama3.2:7b"); });
  CHECK_THAT(what, Contains("1B and 3B only"));
}

TEST_CASE("model names: Ollama tags resolve to the base model with the quantization their suffix names") {
  struct Tag {
    const char* tag;
    const char* id;
    const char* quantization;
  };
  for (const Tag& t : {Tag{"llama3.1:8b-instruct-q4_K_M", "Llama-3.1-8B", "gguf_q4_k_m"},
                       Tag{"qwen2.5:7b-instruct-q4_0", "Qwen2.5-7B", "gguf_q4_0"},
                       Tag{"mistral:7b-instruct-q8_0", "Mistral-7B-v0.3", "gguf_q8_0"},
                       Tag{"llama3:70b-instruct-fp16", "Llama3-70B", "none"},
                       Tag{"qwen3:30b-a3b-q5_K_M", "Qwen3-30B-A3B", "gguf_q5_k_m"},
                       Tag{"mixtral:8x7b-instruct-v0.1-q4_K_S", "Mixtral-8x7B", "gguf_q4_k_s"},
                       Tag{"LLAMA3.1:8B-TEXT-Q4_K_M", "Llama-3.1-8B", "gguf_q4_k_m"}}) {
    INFO(t.tag);
    const ModelSpec model = resolve_model(t.tag, library());
    CHECK(model.id == t.id);
    CHECK(model.typed_tag == t.tag);
    CHECK(model.tag_quantization == t.quantization);
  }
  // A variant without a quantization suffix takes the model's own dtype, as a plain name does.
  const ModelSpec plain = resolve_model("llama3.1:8b-instruct", library());
  CHECK(plain.id == "Llama-3.1-8B");
  CHECK(plain.tag_quantization.empty());
  CHECK(deployment_quantization(plain, std::nullopt) == "none");
  CHECK(resolve_model("llama3.1:8b", library()).tag_quantization.empty());
}

TEST_CASE("model names: an Ollama tag's quantization sizes the weights (parameters x bits / 8)") {
  // Weight bytes = (linear + token table + LM head) x bits / 8 + norms (and biases) x 2 bytes,
  // the parameter split by hand from each config (bits: llama.cpp's quantize README, Llama-3.1-8B
  // table; Q4_0's 18-byte blocks of 32 weights = 4.5 bits):
  // Llama-3.1-8B: linear 32 x (4096 x 6144 + 4096 x 4096 + 3 x 4096 x 14336) = 6,979,321,856,
  //   tables 2 x 128,256 x 4096 = 1,050,673,152, norms 32 x 2 x 4096 + 4096 = 266,240.
  //   q4_K_M: 8,029,995,008 x 4.8944 / 8 + 532,480 = 4,913,283,425.8944 (llama.cpp lists 4.58 GiB)
  // Qwen2.5-7B: linear 28 x (3584 x 4608 + 3584 x 3584 + 3 x 3584 x 18944) = 6,525,288,448,
  //   tables 2 x 152,064 x 3584 = 1,089,994,752, biases and norms 28 x (4608 + 7168) + 3584 = 333,312.
  //   q4_0: 7,615,283,200 x 0.5625 + 666,624 = 4,284,263,424
  // Mistral-7B-v0.3: linear 6,979,321,856, tables 2 x 32,768 x 4096 = 268,435,456, norms 266,240.
  //   q8_0: 7,247,757,312 x 8.5008 / 8 + 532,480 = 7,701,999,399.7312
  // Llama-3-70B fp16: 70,553,706,496 parameters x 2 = 141,107,412,992
  struct Expect {
    const char* tag;
    double weight_bytes;
  };
  for (const Expect& e : {Expect{"llama3.1:8b-instruct-q4_K_M", 4'913'283'425.8944},
                          Expect{"qwen2.5:7b-instruct-q4_0", 4'284'263'424.0},
                          Expect{"mistral:7b-instruct-q8_0", 7'701'999'399.7312},
                          Expect{"llama3:70b-instruct-fp16", 141'107'412'992.0}}) {
    INFO(e.tag);
    const ModelSpec model = resolve_model(e.tag, library());
    MemoryPlanRequest request;
    request.quantization = deployment_quantization(model, std::nullopt);
    request.gpu_memory_bytes = 1e13;  // room for any of them: only the weights are compared
    request.max_model_len = 4096;
    CHECK(plan_memory(model, request).weight_bytes_model == Approx(e.weight_bytes).epsilon(1e-12));
  }
}

TEST_CASE("model names: an explicit quantization must agree with the one the tag names") {
  const ModelSpec tagged = resolve_model("llama3.1:8b-instruct-q4_K_M", library());
  CHECK(deployment_quantization(tagged, std::string("Q4_K_M")) == "gguf_q4_k_m");  // the same, spelt otherwise
  const std::string what = error_of([&] { deployment_quantization(tagged, std::string("awq")); });
  CHECK(what ==
        "quantization: the model tag 'llama3.1:8b-instruct-q4_K_M' names quantization gguf_q4_k_m, but quantization "
        "awq was given; give one of them (or the same in both)");
  // Without a tag the explicit one is taken as given.
  CHECK(deployment_quantization(library().find("Llama-3.1-8B"), std::string("awq")) == "awq");
  // An fp16 tag means 16-bit weights: asking for a 4-bit format contradicts it.
  const ModelSpec fp16 = resolve_model("llama3:70b-instruct-fp16", library());
  CHECK_THROWS_AS(deployment_quantization(fp16, std::string("q4_0")), InputError);
}

TEST_CASE("model names: Ollama tags naming another build, an unknown word or no published model are errors") {
  std::string what = error_of([] { resolve_model("mistral:7b-instruct-v0.2-q4_0", library()); });
  CHECK_THAT(what, Contains("Ollama tag 'mistral:7b-instruct-v0.2-q4_0': 'v0.2' names another build than the library's "
                            "Mistral-7B-v0.3 (mistralai/Mistral-7B-v0.3)"));
  CHECK_THAT(what, Contains("--model path/to/config.json"));
  CHECK(resolve_model("mistral:7b-instruct-v0.3-q4_0", library()).id == "Mistral-7B-v0.3");

  what = error_of([] { resolve_model("llama3.1:8b-instrcut-q4_0", library()); });
  CHECK_THAT(what, Contains("'instrcut' is neither a variant (instruct, chat, text, it, pt, base"));
  CHECK_THAT(what, Contains("q4_K_M"));  // the quantizations are listed

  what = error_of([] { resolve_model("llama3.2:7b-instruct-q4_K_M", library()); });
  CHECK_THAT(what, Contains("Ollama tag 'llama3.2:7b-instruct-q4_K_M': 'llama3.2:7b' names no published model"));
  CHECK_THAT(what, Contains("nearest published model in the library: llama3.1:8b"));

  what = error_of([] { resolve_model("lama3.1:8b-instruct-q4_K_M", library()); });
  CHECK_THAT(what, Contains("Ollama tag 'lama3.1:8b-instruct-q4_K_M': unknown model 'lama3.1:8b'"));
  CHECK_THAT(what, Contains("'llama3.1:8b'"));  // did you mean
}

TEST_CASE("model names: an unknown Hugging Face id says how to import its config.json") {
  const std::string what = error_of([] { resolve_model("meta-llama/Llama-3.1-13B", library()); });
  CHECK_THAT(what, Contains("unknown model 'meta-llama/Llama-3.1-13B'"));
  CHECK_THAT(what, Contains("did you mean"));  // the nearest names stay
  CHECK_THAT(what, Contains("download its config.json (https://huggingface.co/meta-llama/Llama-3.1-13B/blob/main/config.json)"));
  CHECK_THAT(what, Contains("`--model path/to/config.json` on the command line"));
  CHECK_THAT(what, Contains("`model_profile_id: path/to/config.json` in an experiment file"));
  // A name of another shape gets no such hint.
  CHECK_THAT(error_of([] { resolve_model("zzzzzzzzzzzzzzzz", library()); }), !Contains("config.json"));
}
