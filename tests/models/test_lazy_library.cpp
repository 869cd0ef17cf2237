// Lazily opened libraries (ModelLibrary::open, GpuLibrary::open, InterconnectLibrary::open, what
// Libraries::load() and so every run uses) find every name the eager load() finds, to the same
// entry, with the same errors; parse only what is used; and keep a broken file that a command
// does not use from failing it, while load() (list, the library tests) still reports it.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "model_library_fixtures.hpp"
#include "simulator/util/text.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// what() of the InputError `action` throws, or "" when it throws none.
template <typename Action>
std::string error_or_empty(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("lazy libraries: every model name finds the same model as the eager load") {
  const ModelLibrary eager = ModelLibrary::load_default();
  const ModelLibrary lazy = ModelLibrary::open_default();
  // The same names in the same order ("did you mean" lists them in this order).
  REQUIRE(lazy.all_names() == eager.all_names());
  REQUIRE(eager.all_names().size() > 42 * 2);
  for (const std::string& name : eager.all_names()) {
    INFO(name);
    const ModelSpec& a = eager.find(name);
    const ModelSpec& b = lazy.find(name);
    CHECK(b.id == a.id);
    CHECK(b.source_file == a.source_file);
    CHECK(b.num_layers == a.num_layers);
    CHECK(b.hidden_size == a.hidden_size);
    CHECK(&lazy.find(to_lower(name)) == &b);  // parsed once, case-insensitively the same entry
  }
  // Misses fail alike, suggestions included.
  for (const char* miss : {"llama3.2:8b", "mixtral:8x8b", "zzzzzzzz", "meta-llama/Nope-7B", "llama3.2:7b"}) {
    INFO(miss);
    CHECK(error_or_empty([&] { lazy.find(miss); }) == error_or_empty([&] { eager.find(miss); }));
    CHECK_FALSE(error_or_empty([&] { lazy.find(miss); }).empty());
  }
  // Ollama tags resolve through the same lookups.
  CHECK(resolve_model("llama3.1:8b-instruct-q4_K_M", lazy).id == resolve_model("llama3.1:8b-instruct-q4_K_M", eager).id);
  // models() still lists all 42, in file order.
  REQUIRE(lazy.models().size() == 42);
  for (std::size_t i = 0; i < 42; ++i) CHECK(lazy.models()[i].source_file == eager.models()[i].source_file);
}

TEST_CASE("lazy libraries: every GPU name, family name and interconnect id resolves as the eager load does") {
  const GpuLibrary eager = GpuLibrary::load_default();
  const GpuLibrary lazy = GpuLibrary::open_default();
  REQUIRE(lazy.all_names() == eager.all_names());
  for (const std::string& name : eager.all_names()) {
    INFO(name);
    CHECK(lazy.find(name).id == eager.find(name).id);
    CHECK(lazy.find(name).source_file == eager.find(name).source_file);
  }
  std::set<std::string> families;
  for (const GpuSpec& gpu : eager.gpus()) families.insert(gpu.family_names.begin(), gpu.family_names.end());
  REQUIRE(families.count("H100") == 1);
  for (const std::string& family : families) {
    INFO(family);
    // A family of one variant finds it; a shared one is an error listing the variants.
    const GpuSpec* a = eager.try_find(family);
    const GpuSpec* b = lazy.try_find(family);
    CHECK((a == nullptr) == (b == nullptr));
    if (a != nullptr && b != nullptr) CHECK(a->id == b->id);
    CHECK(error_or_empty([&] { lazy.find(family); }) == error_or_empty([&] { eager.find(family); }));
  }
  CHECK(error_or_empty([&] { lazy.find("H100X"); }) == error_or_empty([&] { eager.find("H100X"); }));
  REQUIRE(lazy.gpus().size() == 16);

  const InterconnectLibrary eager_links = InterconnectLibrary::load_default();
  const InterconnectLibrary lazy_links = InterconnectLibrary::open_default();
  REQUIRE(lazy_links.presets().size() == 6);
  for (const InterconnectSpec& preset : eager_links.presets()) {
    INFO(preset.id);
    CHECK(lazy_links.find(preset.id).source_file == preset.source_file);
    CHECK(lazy_links.find(preset.id).latency_s == preset.latency_s);
  }
  CHECK(error_or_empty([&] { lazy_links.find("nvswich"); }) == error_or_empty([&] { eager_links.find("nvswich"); }));
}

TEST_CASE("lazy libraries: a broken file a command does not use fails only what uses it") {
  TempDir dir;
  auto good = kTinyLines;
  good[0] = "id: Good-Model";
  dir.write("a-good.yaml", join_lines(good));
  auto broken = kTinyLines;
  broken[0] = "id: Broken-Model";
  broken[4] = "  hidden_size: big";  // line 5: not a number
  const std::string bad = dir.write("b-broken.yaml", join_lines(broken));

  // load() parses every file: the broken one fails it (what `list models` and the tests use).
  const std::string strict = error_of([&] { ModelLibrary::load(dir.path.string()); });
  CHECK_THAT(strict, Contains(bad + ":5:16: architecture.hidden_size"));

  // open() indexes both; the good model is found; the broken one fails where it is used, with
  // the same error load() gives.
  const ModelLibrary lazy = ModelLibrary::open(dir.path.string());
  CHECK(lazy.all_names() == std::vector<std::string>{"Good-Model", "Broken-Model"});
  CHECK(lazy.find("good-model").num_layers == 2);
  CHECK(error_of([&] { lazy.find("Broken-Model"); }) == strict);
  CHECK(error_of([&] { lazy.find("Broken-Model"); }) == strict);  // again: still an error, not a half-read entry
  CHECK(error_of([&] { lazy.models(); }) == strict);
  // A typo still suggests the broken model's name: its names are known.
  CHECK_THAT(error_of([&] { lazy.find("Broken-Modl"); }), Contains("Broken-Model"));
}

TEST_CASE("lazy libraries: a file whose names cannot be read, or that takes another's name, fails open() as load()") {
  SECTION("a YAML syntax error on a top-level line") {
    TempDir dir;
    dir.write("a-good.yaml", tiny_yaml());
    dir.write("b-broken.yaml", tiny_with_line(2, "family: [llama"));
    const std::string strict = error_of([&] { ModelLibrary::load(dir.path.string()); });
    CHECK(error_of([&] { ModelLibrary::open(dir.path.string()); }) == strict);
  }
  SECTION("an alias another file already has") {
    TempDir dir;
    auto first = kTinyLines, second = kTinyLines;
    first[0] = "id: Model-A";
    second[0] = "id: Model-B";
    second.insert(second.begin() + 1, "aliases: [model-a]");
    dir.write("a.yaml", join_lines(first));
    dir.write("b.yaml", join_lines(second));
    const std::string strict = error_of([&] { ModelLibrary::load(dir.path.string()); });
    CHECK_THAT(strict, Contains("already used by"));
    CHECK(error_of([&] { ModelLibrary::open(dir.path.string()); }) == strict);
  }
  SECTION("a file in a form the scan leaves to the parser is parsed at once, and found") {
    TempDir dir;
    auto lines = kTinyLines;
    lines[0] = "id: Block-Listed";
    lines.insert(lines.begin() + 1, "aliases:\n  - block:1b\n  - block-one");
    dir.write("a.yaml", join_lines(lines));
    const ModelLibrary lazy = ModelLibrary::open(dir.path.string());
    CHECK(lazy.all_names() == std::vector<std::string>{"Block-Listed", "block:1b", "block-one"});
    CHECK(lazy.find("BLOCK-ONE").id == "Block-Listed");
  }
}

TEST_CASE("lazy libraries: a file edited between open() and its first use is an error, not a wrong model") {
  TempDir dir;
  auto lines = kTinyLines;
  lines[0] = "id: Before-Edit";
  const std::string file = dir.write("a.yaml", join_lines(lines));
  const ModelLibrary lazy = ModelLibrary::open(dir.path.string());
  lines[0] = "id: After-Edit";
  dir.write("a.yaml", join_lines(lines));
  const std::string what = error_of([&] { lazy.find("Before-Edit"); });
  CHECK_THAT(what, Contains(file));
  CHECK_THAT(what, Contains("(Before-Edit)"));
  CHECK_THAT(what, Contains("(After-Edit)"));
}

TEST_CASE("lazy libraries: threads asking for the same entry at once get one parse of it") {
  for (int round = 0; round < 20; ++round) {
    const GpuLibrary lazy = GpuLibrary::open_default();
    std::vector<const GpuSpec*> seen(8, nullptr);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < seen.size(); ++t)
      threads.emplace_back([&, t] { seen[t] = &lazy.find(t % 2 == 0 ? "H100-SXM" : "nvidia h100 sxm5 80gb"); });
    for (auto& thread : threads) thread.join();
    for (const GpuSpec* gpu : seen) {
      REQUIRE(gpu == seen.front());
      CHECK(gpu->id == "H100-SXM");
    }
  }
}

TEST_CASE("lazy libraries: a copy shares the original's entries, parsed once for both") {
  const InterconnectLibrary original = InterconnectLibrary::open_default();
  const InterconnectLibrary copy = original;  // e.g. `cond ? load(folder) : libraries.interconnects`
  CHECK(&copy.find("nvswitch") == &original.find("NVSwitch"));
  CHECK(copy.presets().size() == 6);
}
