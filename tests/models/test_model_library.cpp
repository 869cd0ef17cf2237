// The model library (models/library/*.yaml): every file loads and validates, every documented
// kind of name finds its model, and unknown names fail with suggestions. Expected values are
// written out from the data files, never taken from the program's output.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "model_library_fixtures.hpp"
#include "simulator/util/data_paths.hpp"
#include "../test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

TEST_CASE("model library: all 42 library files load and validate") {
  // models/library holds one file per model: 42 of them (codellama-34b ... qwen3-32b).
  std::size_t yaml_files = 0;
  for (const auto& entry : fs::directory_iterator(model_library_dir()))
    if (entry.path().extension() == ".yaml") ++yaml_files;
  CHECK(yaml_files == 42);

  const ModelLibrary& lib = library();
  REQUIRE(lib.models().size() == 42);

  std::set<std::string> ids;
  std::set<std::string> files;
  for (const ModelSpec& m : lib.models()) {
    INFO(m.id << " from " << m.source_file);
    CHECK_NOTHROW(m.validate());
    CHECK_FALSE(m.id.empty());
    CHECK_FALSE(m.family.empty());
    CHECK(ids.insert(m.id).second);            // ids are unique
    CHECK(files.insert(m.source_file).second);  // one model per file
    CHECK(fs::path(m.source_file).parent_path() == fs::path(model_library_dir()));
    // Each file also loads on its own, to the same model.
    const ModelSpec again = load_model_file(m.source_file);
    CHECK(again.id == m.id);
    CHECK(count_parameters(again).total() == count_parameters(m).total());
  }
}

TEST_CASE("model library: Llama-3-70B reads back exactly as its config.json publishes it") {
  // meta-llama/Meta-Llama-3-70B config.json: 80 layers, hidden 8192, 64 heads, 8 KV heads,
  // intermediate 28672, vocab 128256, 8192 positions, untied, SwiGLU, RMSNorm, bfloat16.
  const ModelSpec& m = library().find("Llama3-70B");
  CHECK(m.hf_id == "meta-llama/Meta-Llama-3-70B");
  CHECK(m.family == "llama");
  CHECK(m.num_layers == 80);
  CHECK(m.hidden_size == 8192);
  CHECK(m.num_attention_heads == 64);
  CHECK(m.num_kv_heads == 8);
  CHECK(m.head_dim == 128);
  CHECK(m.intermediate_size == 28672);
  CHECK(m.vocab_size == 128256);
  CHECK(m.max_position_embeddings == 8192);
  CHECK_FALSE(m.tie_word_embeddings);
  CHECK(m.activation == Activation::silu);
  CHECK(m.gated_mlp);
  CHECK(m.norm == NormKind::rmsnorm);
  CHECK(m.norms_per_layer == 2);  // default of the optional key
  CHECK(m.position_embedding == PositionEmbedding::rope);
  CHECK(m.dtype == "bfloat16");
  CHECK_FALSE(m.moe.enabled());
  CHECK_FALSE(m.sliding_window.enabled());
}

// ---------------------------------------------------------------------------------------------
// Name resolution
// ---------------------------------------------------------------------------------------------

TEST_CASE("model library: a model is found by its id, its HF id and the HF id without the org") {
  const ModelLibrary& lib = library();
  CHECK(lib.find("Llama3-70B").id == "Llama3-70B");
  CHECK(lib.find("meta-llama/Meta-Llama-3-70B").id == "Llama3-70B");
  CHECK(lib.find("Meta-Llama-3-70B").id == "Llama3-70B");
  CHECK(lib.find("mistralai/Mixtral-8x7B-v0.1").id == "Mixtral-8x7B");
  CHECK(lib.find("Mixtral-8x7B-v0.1").id == "Mixtral-8x7B");
  CHECK(lib.find("Qwen/Qwen2.5-72B").id == "Qwen2.5-72B");
  CHECK(lib.find("facebook/opt-1.3b").id == "OPT-1.3B");
  CHECK(lib.find("opt-1.3b").id == "OPT-1.3B");
}

TEST_CASE("model library: the AI-Flux family:size tags name the right models") {
  const ModelLibrary& lib = library();
  CHECK(lib.find("llama3.1:8b").id == "Llama-3.1-8B");
  CHECK(lib.find("qwen2.5:72b").id == "Qwen2.5-72B");
  CHECK(lib.find("qwen2.5:7b").id == "Qwen2.5-7B");
  CHECK(lib.find("mixtral:8x7b").id == "Mixtral-8x7B");
  CHECK(lib.find("mixtral:8x22b").id == "Mixtral-8x22B");
  CHECK(lib.find("mistral:8x7b").id == "Mixtral-8x7B");  // the seed's Mistral 8x7b row
  CHECK(lib.find("phi3:mini").id == "Phi-3-mini");
  CHECK(lib.find("phi3:medium").id == "Phi-3-medium");
  CHECK(lib.find("gemma3:27b").id == "Gemma3-27B");
  CHECK(lib.find("mistral-nemo:12b").id == "Mistral-NeMo-12B");
  CHECK(lib.find("llama3:70b").id == "Llama3-70B");
  CHECK(lib.find("llama3.2:3b").id == "Llama-3.2-3B");
}

TEST_CASE("model library: names are case-insensitive") {
  const ModelLibrary& lib = library();
  CHECK(lib.find("LLAMA3-70B").id == "Llama3-70B");
  CHECK(lib.find("llama3-70b").id == "Llama3-70B");
  CHECK(lib.find("META-LLAMA/META-LLAMA-3-70B").id == "Llama3-70B");
  CHECK(lib.find("Mixtral:8X7B").id == "Mixtral-8x7B");
  CHECK(lib.find("PHI3:MINI").id == "Phi-3-mini");
  REQUIRE(lib.try_find("GeMmA3:27B") != nullptr);
  CHECK(lib.try_find("GeMmA3:27B")->id == "Gemma3-27B");
}

TEST_CASE("model library: every listed name resolves, and to exactly one model") {
  const ModelLibrary& lib = library();
  // Names: for each model its id, hf_id, hf_id after the slash, and aliases.
  for (const ModelSpec& m : lib.models()) {
    INFO(m.id);
    CHECK(&lib.find(m.id) == &m);
    if (!m.hf_id.empty()) CHECK(&lib.find(m.hf_id) == &m);
    for (const auto& alias : m.aliases) {
      INFO(alias);
      CHECK(&lib.find(alias) == &m);
    }
  }
  CHECK(lib.all_names().size() >= lib.models().size() * 2);
}

TEST_CASE("model library: names the seeds use for models that do not exist are unknown") {
  const ModelLibrary& lib = library();
  // AI-Flux's examples use llama3.2:7b (Llama 3.2 ships 1B and 3B text models), and list
  // mistral-large:33b (Mistral Large is 123B); Llama 3.3 ships only 70B.
  for (const std::string name : {"llama3.2:7b", "llama3.3:8b", "mistral-large:33b"}) {
    INFO(name);
    CHECK(lib.try_find(name) == nullptr);
    const std::string what = error_of([&] { lib.find(name); });
    CHECK_THAT(what, Contains("'" + name + "' names no published model"));
  }
}

TEST_CASE("model library: llama3.2:7b names the Llama 3.2 sizes that exist and the nearest model") {
  const std::string what = error_of([] { library().find("llama3.2:7b"); });
  CHECK_THAT(what, Contains("llama3.2:1b, llama3.2:3b"));
  CHECK_THAT(what, Contains("nearest published model in the library: llama3.1:8b"));
}

TEST_CASE("model library: a typo of a real name suggests that name") {
  // Letter O for digit 0: one substitution away from the id.
  std::string what = error_of([] { library().find("Llama3-7OB"); });
  CHECK_THAT(what, Contains("unknown model 'Llama3-7OB'"));
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'Llama3-70B'"));

  // A dropped letter in the family tag.
  what = error_of([] { library().find("mixtrl:8x7b"); });
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'mixtral:8x7b'"));

  // The error tells the user how to list every name.
  CHECK_THAT(what, Contains("llmperforacle list models"));
}

TEST_CASE("model library: a name far from every model is unknown without a bogus suggestion") {
  const std::string what = error_of([] { library().find("zzzzzzzzzzzzzzzz"); });
  CHECK_THAT(what, Contains("unknown model 'zzzzzzzzzzzzzzzz'"));
  CHECK_THAT(what, !Contains("did you mean"));
}

// ---------------------------------------------------------------------------------------------
// Library folders and resolve_model
// ---------------------------------------------------------------------------------------------

TEST_CASE("model library: two files claiming the same alias is an error naming both files") {
  TempDir dir;
  // The clash differs only in case: names are compared case-insensitively.
  auto first = kTinyLines;
  first[0] = "id: Model-A";
  first.insert(first.begin() + 1, "aliases: [shared:1b]");
  auto second = kTinyLines;
  second[0] = "id: Model-B";
  second.insert(second.begin() + 1, "aliases: [Shared:1B]");
  const std::string a = dir.write("a-model.yaml", join_lines(first));
  const std::string b = dir.write("b-model.yaml", join_lines(second));

  // Files load in name order, so b-model.yaml is the one that finds its name taken.
  const std::string what = error_of([&] { ModelLibrary::load(dir.path.string()); });
  CHECK_THAT(what, Contains(a));
  CHECK_THAT(what, Contains(b));
  CHECK_THAT(what, Contains("Shared:1B"));
  CHECK_THAT(what, Contains("already used by"));
}

TEST_CASE("model library: an alias equal to another model's id is also a clash") {
  TempDir dir;
  auto first = kTinyLines;
  first[0] = "id: Model-A";
  auto second = kTinyLines;
  second[0] = "id: Model-B";
  second.insert(second.begin() + 1, "aliases: [model-a]");
  const std::string a = dir.write("a.yaml", join_lines(first));
  const std::string b = dir.write("b.yaml", join_lines(second));
  const std::string what = error_of([&] { ModelLibrary::load(dir.path.string()); });
  CHECK_THAT(what, Contains(a));
  CHECK_THAT(what, Contains(b));
}

TEST_CASE("model library: a folder of distinct models loads in file-name order") {
  TempDir dir;
  auto first = kTinyLines;
  first[0] = "id: Model-Z";
  auto second = kTinyLines;
  second[0] = "id: Model-Y";
  dir.write("1-first.yaml", join_lines(first));
  dir.write("2-second.yaml", join_lines(second));
  dir.write("ignored.txt", "not a model");
  const ModelLibrary lib = ModelLibrary::load(dir.path.string());
  REQUIRE(lib.models().size() == 2);
  CHECK(lib.models()[0].id == "Model-Z");
  CHECK(lib.models()[1].id == "Model-Y");
  CHECK(lib.find("model-y").id == "Model-Y");
}

TEST_CASE("model library: a malformed file in a folder fails the load naming that file") {
  TempDir dir;
  dir.write("good.yaml", tiny_yaml());
  const std::string bad = dir.write("worse.yaml", tiny_with_line(5, "  hidden_size: big"));
  const std::string what = error_of([&] { ModelLibrary::load(dir.path.string()); });
  CHECK_THAT(what, StartsWith(bad + ":5:16: architecture.hidden_size"));
}

TEST_CASE("model library: a missing folder is an error") {
  const std::string what = error_of([] { ModelLibrary::load("/tmp/llmpo-no-such-model-folder-xyz"); });
  CHECK_THAT(what, Contains("/tmp/llmpo-no-such-model-folder-xyz"));
  CHECK_THAT(what, Contains("not found"));
}

TEST_CASE("resolve_model: a path to a .yaml model file loads that file") {
  TempDir dir;
  const std::string path = dir.write("my-model.yaml", tiny_yaml());
  const ModelSpec m = resolve_model(path, library());
  CHECK(m.id == "Tiny-Test");
  CHECK(m.source_file == path);
  CHECK(m.num_layers == 2);

  // A library file given by path loads the same model the library holds.
  const ModelSpec from_file = resolve_model(model_library_dir() + "/llama2-7b.yaml", library());
  CHECK(from_file.id == "Llama2-7B");
  CHECK(count_parameters(from_file).total() == count_parameters(library().find("Llama2-7B")).total());
}

TEST_CASE("resolve_model: a name is looked up in the library, and an unknown one throws") {
  CHECK(resolve_model("llama3:70b", library()).id == "Llama3-70B");
  CHECK(resolve_model("Meta-Llama-3-8B", library()).id == "Llama3-8B");
  const std::string what = error_of([] { resolve_model("llama3.2:8b", library()); });
  CHECK_THAT(what, Contains("unknown model 'llama3.2:8b'"));
  // A .yaml path that does not exist is a file error, not a library lookup.
  const std::string missing = error_of([] { resolve_model("/tmp/llmpo-no-such-model.yaml", library()); });
  CHECK_THAT(missing, Contains("/tmp/llmpo-no-such-model.yaml"));
  CHECK_THAT(missing, Contains("cannot open file"));
}
