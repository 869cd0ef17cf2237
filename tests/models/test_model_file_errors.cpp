// A malformed model file fails with file:line:col, the key path and a useful message. Expected
// values are written out from the YAML text of the minimal model, never taken from the output.
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

