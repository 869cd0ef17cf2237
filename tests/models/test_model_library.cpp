// The model library (models/library/*.yaml): every file loads and validates, every documented
// kind of name finds its model, unknown names fail with suggestions, and a malformed model file
// fails with file:line:col, the key path and a useful message. Expected values are written out
// from the data files and the YAML text below, never taken from the program's output.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "simulator/util/data_paths.hpp"
#include "../test_paths.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;

// One library, loaded once for the whole file (34 files; loading is cheap but not free).
const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

// what() of the InputError `action` throws; fails the test when it throws nothing.
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

// The InputError itself (for pos() and key_path()); fails the test when nothing is thrown.
template <typename Action>
InputError input_error_of(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return InputError("unreachable");
}

// A minimal valid model file. Line numbers matter: the malformed-file tests below replace,
// drop or add lines and expect errors at the line (and column) worked out from this listing.
const std::vector<std::string> kTinyLines = {
    "id: Tiny-Test",                  //  1
    "family: llama",                  //  2
    "architecture:",                  //  3
    "  num_layers: 2",                //  4
    "  hidden_size: 64",              //  5
    "  num_attention_heads: 4",       //  6
    "  num_kv_heads: 2",              //  7
    "  head_dim: 16",                 //  8
    "  intermediate_size: 128",       //  9
    "  vocab_size: 1000",             // 10
    "  max_position_embeddings: 512", // 11
    "  tie_word_embeddings: false",   // 12
    "  activation: silu",             // 13
    "  gated_mlp: true",              // 14
    "  norm: rmsnorm",                // 15
    "  dtype: bfloat16",              // 16
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

std::string tiny_yaml() { return join_lines(kTinyLines); }

// Line `number` (1-based) replaced by `text`.
std::string tiny_with_line(int number, const std::string& text) {
  auto lines = kTinyLines;
  lines.at(static_cast<std::size_t>(number - 1)) = text;
  return join_lines(lines);
}

// Line `number` (1-based) removed.
std::string tiny_without_line(int number) {
  auto lines = kTinyLines;
  lines.erase(lines.begin() + (number - 1));
  return join_lines(lines);
}

// `text` added as line 17 (inside the architecture mapping when indented by two spaces).
std::string tiny_plus_line(const std::string& text) {
  auto lines = kTinyLines;
  lines.push_back(text);
  return join_lines(lines);
}

// A fresh, empty folder under /tmp, removed when the object goes out of scope.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::path("/tmp") / ("llmpo-test-models-" + std::to_string(::getpid()) + "-" +
                               std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path file = path / name;
    std::ofstream(file) << text;
    return file.string();
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

TEST_CASE("model library: all 34 library files load and validate") {
  // models/library holds one file per model: 34 of them (codellama-34b ... qwen3-32b).
  std::size_t yaml_files = 0;
  for (const auto& entry : fs::directory_iterator(model_library_dir()))
    if (entry.path().extension() == ".yaml") ++yaml_files;
  CHECK(yaml_files == 34);

  const ModelLibrary& lib = library();
  REQUIRE(lib.models().size() == 34);

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
    CHECK_THAT(what, Contains("unknown model '" + name + "'"));
  }
}

TEST_CASE("model library: llama3.2:7b suggests the Llama 3.2 sizes that exist") {
  // "llama3.2:7b" is one substitution from "llama3.2:1b" and from "llama3.2:3b".
  const std::string what = error_of([] { library().find("llama3.2:7b"); });
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'llama3.2:3b'"));
  CHECK_THAT(what, Contains("'llama3.2:1b'"));
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
// Malformed model files (inline YAML through parse_model_yaml)
// ---------------------------------------------------------------------------------------------

TEST_CASE("model file: the minimal inline model parses") {
  const ModelSpec m = parse_model_yaml(tiny_yaml(), "tiny.yaml");
  CHECK(m.id == "Tiny-Test");
  CHECK(m.source_file == "tiny.yaml");
  CHECK(m.num_layers == 2);
  CHECK(m.num_kv_heads == 2);
  CHECK(m.head_dim == 16);
  // Optional keys get the documented defaults of a plain Llama block.
  CHECK(m.norms_per_layer == 2);
  CHECK_FALSE(m.qk_norm);
  CHECK_FALSE(m.qkv_bias);
  CHECK_FALSE(m.o_proj_bias);
  CHECK_FALSE(m.mlp_bias);
  CHECK(m.position_embedding == PositionEmbedding::rope);
  CHECK(m.published_params == 0);
  CHECK(m.aliases.empty());
}

TEST_CASE("model file: a misspelt optional key is an error at its line with a did-you-mean") {
  // Line 17, indented into `architecture`; the key starts in column 3.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_plus_line("  norms_per_layr: 4"), "tiny.yaml");
  });
  CHECK(e.pos().file == "tiny.yaml");
  CHECK(e.pos().line == 17);
  CHECK(e.pos().column == 3);
  CHECK(e.key_path() == "architecture.norms_per_layr");
  const std::string what = e.what();
  CHECK_THAT(what, StartsWith("tiny.yaml:17:3: architecture.norms_per_layr: "));
  CHECK_THAT(what, Contains("unknown key 'norms_per_layr'"));
  // One deletion from norms_per_layer. (The suggestion list may also hold 'norm', which the
  // typo contains; the matcher ranks containment like a one-edit typo.)
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'norms_per_layer'"));
}

TEST_CASE("model file: an extra num_layer key beside num_layers suggests num_layers") {
  const std::string what = error_of([] {
    parse_model_yaml(tiny_plus_line("  num_layer: 2"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:17:3: architecture.num_layer: "));
  CHECK_THAT(what, Contains("unknown key 'num_layer'"));
  CHECK_THAT(what, Contains("'num_layers'"));
}

TEST_CASE("model file: a misspelt top-level key is reported with its top-level path") {
  // Inserted as line 17 at column 1: top-level keys are checked after the architecture.
  const std::string what = error_of([] {
    parse_model_yaml(tiny_plus_line("alias: [tiny]"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:17:1: alias: "));
  CHECK_THAT(what, Contains("unknown key 'alias'"));
  CHECK_THAT(what, Contains("did you mean 'aliases'"));
}

TEST_CASE("model file: a word where an integer belongs is an error at the value") {
  // Line 5 "  hidden_size: big": two spaces + "hidden_size:" (12) + one space = 15 columns,
  // so the value starts in column 16.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_with_line(5, "  hidden_size: big"), "tiny.yaml");
  });
  CHECK(e.pos().line == 5);
  CHECK(e.pos().column == 16);
  CHECK(e.key_path() == "architecture.hidden_size");
  CHECK_THAT(std::string(e.what()),
             StartsWith("tiny.yaml:5:16: architecture.hidden_size: expected an integer, got 'big'"));
}

TEST_CASE("model file: a fractional layer count and a non-boolean flag are type errors") {
  // Line 4 "  num_layers: 2.5": value in column 15 (2 + "num_layers:" 11 + 1 space = 14).
  std::string what = error_of([] {
    parse_model_yaml(tiny_with_line(4, "  num_layers: 2.5"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:4:15: architecture.num_layers: "));
  CHECK_THAT(what, Contains("expected an integer, got '2.5'"));

  // Line 14 "  gated_mlp: yes-please": a boolean key, reported at the key (column 3).
  what = error_of([] {
    parse_model_yaml(tiny_with_line(14, "  gated_mlp: yes-please"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:14:3: architecture.gated_mlp: "));
  CHECK_THAT(what, Contains("expected true or false"));
}

TEST_CASE("model file: negative and zero sizes are out of range at their line") {
  // Line 4 "  num_layers: -3": value in column 15.
  std::string what = error_of([] {
    parse_model_yaml(tiny_with_line(4, "  num_layers: -3"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:4:15: architecture.num_layers: "));
  CHECK_THAT(what, Contains("-3 is out of range"));
  CHECK_THAT(what, Contains("at least 1"));

  // Line 7 "  num_kv_heads: 0": 2 + "num_kv_heads:" (13) + 1 = 16 columns, value in column 17.
  what = error_of([] {
    parse_model_yaml(tiny_with_line(7, "  num_kv_heads: 0"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:7:17: architecture.num_kv_heads: "));
  CHECK_THAT(what, Contains("0 is out of range"));
}

TEST_CASE("model file: query heads that are not a multiple of the KV heads are rejected") {
  // 4 query heads over 3 KV heads: 4 % 3 != 0, so no GQA grouping exists.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_with_line(7, "  num_kv_heads: 3"), "tiny.yaml");
  });
  CHECK(e.pos().file == "tiny.yaml");
  CHECK(e.key_path() == "architecture.num_kv_heads");
  const std::string what = e.what();
  CHECK_THAT(what, StartsWith("tiny.yaml"));
  CHECK_THAT(what, Contains("architecture.num_kv_heads: "));
  CHECK_THAT(what, Contains("4 query heads are not a multiple of 3 KV heads"));
}

// Consistency errors are found by ModelSpec::validate() after parsing; the loader maps the key
// path they name back to the key's line (7) in the file.
TEST_CASE("model file: a heads/KV-heads mismatch points at the num_kv_heads line") {
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_with_line(7, "  num_kv_heads: 3"), "tiny.yaml");
  });
  CHECK(e.pos().line == 7);
  CHECK_THAT(std::string(e.what()), StartsWith("tiny.yaml:7:"));
}

TEST_CASE("model file: a missing required key is named with the mapping's position") {
  // Drop line 10 (vocab_size). The error points at the architecture mapping, whose first key
  // (num_layers) sits at line 4, column 3.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_without_line(10), "tiny.yaml");
  });
  CHECK(e.key_path() == "architecture.vocab_size");
  CHECK(e.pos().line == 4);
  CHECK(e.pos().column == 3);
  CHECK_THAT(std::string(e.what()),
             StartsWith("tiny.yaml:4:3: architecture.vocab_size: missing required key 'vocab_size'"));

  // A missing top-level key (family, line 2) is reported at the document's first key (1:1).
  const std::string what = error_of([] { parse_model_yaml(tiny_without_line(2), "tiny.yaml"); });
  CHECK_THAT(what, StartsWith("tiny.yaml:1:1: family: missing required key 'family'"));

  // A missing architecture block.
  auto lines = kTinyLines;
  lines.resize(2);
  const std::string no_architecture = join_lines(lines);
  CHECK_THAT(error_of([&] { parse_model_yaml(no_architecture, "tiny.yaml"); }),
             Contains("missing required key 'architecture'"));
}

TEST_CASE("model file: a misspelt required key is reported at the misspelling with the right name") {
  // "num_layer" instead of "num_layers" (line 4, column 3): the misspelling is the likelier
  // mistake than a missing key, so the error points at it.
  const std::string what = error_of([] {
    parse_model_yaml(tiny_with_line(4, "  num_layer: 2"), "tiny.yaml");
  });
  CHECK_THAT(what, Contains("tiny.yaml:4:3: architecture.num_layer: unknown key 'num_layer'; did you mean 'num_layers'?"));
}

TEST_CASE("model file: a YAML syntax error reports its line") {
  // Line 5 "  hidden_size: 64: 65": a second ': ' inside a block-mapping value is not a plain
  // scalar, so the YAML parser stops on line 5.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_with_line(5, "  hidden_size: 64: 65"), "tiny.yaml");
  });
  CHECK(e.pos().file == "tiny.yaml");
  CHECK(e.pos().line == 5);
  CHECK(e.pos().column > 0);
  CHECK_THAT(std::string(e.what()), StartsWith("tiny.yaml:5:"));
  CHECK_THAT(std::string(e.what()), Contains("YAML syntax error"));

  // An unclosed flow sequence on line 1 is reported somewhere after line 1 (at the point the
  // parser gives up), but still with a line number.
  const InputError unclosed = input_error_of([] {
    parse_model_yaml("aliases: [a, b\n" + tiny_yaml(), "tiny.yaml");
  });
  CHECK(unclosed.pos().line >= 1);
  CHECK_THAT(std::string(unclosed.what()), Contains("YAML syntax error"));
}

TEST_CASE("model file: published_params without its source is rejected") {
  // Added as line 17 at top level. The source key is absent, so the error points at the
  // top-level mapping (1:1) and names published_params_source.
  const InputError e = input_error_of([] {
    parse_model_yaml(tiny_plus_line("published_params: 12345"), "tiny.yaml");
  });
  CHECK(e.key_path() == "published_params_source");
  CHECK(e.pos().file == "tiny.yaml");
  CHECK(e.pos().line == 1);
  CHECK_THAT(std::string(e.what()), Contains("say where published_params comes from"));

  // With its source it is accepted.
  auto lines = kTinyLines;
  lines.push_back("published_params: 12345");
  lines.push_back("published_params_source: \"hand count\"");
  const ModelSpec m = parse_model_yaml(join_lines(lines), "tiny.yaml");
  CHECK(m.published_params == 12345);
  CHECK(m.published_params_source == "hand count");
}

TEST_CASE("model file: an invalid choice lists the valid values with a suggestion") {
  // Line 15 "  norm: rmsnrom" (transposed letters).
  const std::string what = error_of([] {
    parse_model_yaml(tiny_with_line(15, "  norm: rmsnrom"), "tiny.yaml");
  });
  CHECK_THAT(what, StartsWith("tiny.yaml:15:3: architecture.norm: "));
  CHECK_THAT(what, Contains("'rmsnrom' is not valid"));
  CHECK_THAT(what, Contains("rmsnorm, layernorm"));
  CHECK_THAT(what, Contains("did you mean 'rmsnorm'"));
}

TEST_CASE("model file: learned positions need a slot count") {
  const std::string what = error_of([] {
    parse_model_yaml(tiny_plus_line("  position_embedding: learned"), "tiny.yaml");
  });
  CHECK_THAT(what, Contains("architecture.learned_position_slots"));
  CHECK_THAT(what, Contains("must be positive when position_embedding is learned"));
}

TEST_CASE("model file: an MoE block with top-k above the expert count is rejected") {
  auto lines = kTinyLines;
  lines.push_back("moe:");
  lines.push_back("  num_experts: 4");
  lines.push_back("  experts_per_token: 5");
  lines.push_back("  expert_intermediate_size: 32");
  const std::string what = error_of([&] { parse_model_yaml(join_lines(lines), "tiny.yaml"); });
  CHECK_THAT(what, Contains("moe.experts_per_token"));
  CHECK_THAT(what, Contains("between 1 and num_experts (4), got 5"));
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

TEST_CASE("resolve_model: a name is looked up in the library; an unknown one throws") {
  CHECK(resolve_model("llama3:70b", library()).id == "Llama3-70B");
  CHECK(resolve_model("Meta-Llama-3-8B", library()).id == "Llama3-8B");
  const std::string what = error_of([] { resolve_model("llama3.2:7b", library()); });
  CHECK_THAT(what, Contains("unknown model 'llama3.2:7b'"));
  // A .yaml path that does not exist is a file error, not a library lookup.
  const std::string missing = error_of([] { resolve_model("/tmp/llmpo-no-such-model.yaml", library()); });
  CHECK_THAT(missing, Contains("/tmp/llmpo-no-such-model.yaml"));
  CHECK_THAT(missing, Contains("cannot open file"));
}
