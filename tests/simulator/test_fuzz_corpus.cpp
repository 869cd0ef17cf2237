// Every checked-in fuzz corpus file (tests/fuzz/corpus/<target>/) through what its fuzz target
// does with it: each either passes or is refused with an InputError, under every build's ctest -
// not only under `./dev.sh fuzz`, which needs clang. The reproducers kept there (time overflows,
// non-UTF-8 and NUL bytes, alias bombs, self-aliasing --set values) stay fixed this way.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include "experiment_helpers.hpp"
#include "fuzz/fuzz_inputs.hpp"
#include "simulator/util/error.hpp"
#include "test_paths.hpp"

using namespace llmpo;

namespace {

// Runs `one` on every file of corpus/<target>; returns how many there were.
int replay_corpus(const std::string& target, const std::function<void(const std::string&)>& one) {
  const std::filesystem::path dir = std::filesystem::path(test::data_dir()) / ".." / "fuzz" / "corpus" / target;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    INFO(entry.path().string());
    const std::string text = test::read_file(entry.path().string());
    try {
      one(text);
    } catch (const InputError&) {
      // refused as bad input: the expected outcome for most of them
    }
  }
  return files;
}

const Libraries& libraries() {
  static const Libraries loaded = Libraries::load();
  return loaded;
}

}  // namespace

TEST_CASE("fuzz corpus: every experiment file is planned or refused as bad input") {
  CHECK(replay_corpus("experiment_yaml", [](const std::string& text) { fuzz::experiment_yaml(text, libraries()); }) >= 40);
}

TEST_CASE("fuzz corpus: every set of --set overrides is planned or refused as bad input") {
  CHECK(replay_corpus("experiment_set", [](const std::string& text) { fuzz::experiment_set(text, libraries()); }) >= 8);
  // The plain overrides are valid: the base and its whole sweep plan with them.
  CHECK_NOTHROW(fuzz::experiment_set("workload.num_requests=20\n", libraries()));
}

TEST_CASE("fuzz corpus: every vLLM result is read or refused as bad input") {
  CHECK(replay_corpus("vllm_result", [](const std::string& text) { fuzz::vllm_result(text); }) >= 3);
  CHECK_NOTHROW(fuzz::vllm_result(test::read_file(test::data_dir() + "/../fuzz/corpus/vllm_result/small_detailed.json")));
}

TEST_CASE("fuzz corpus: every YAML text reads the same once its comments are shortened") {
  CHECK(replay_corpus("yaml_comments", [](const std::string& text) { fuzz::yaml_comments(text); }) >= 5);
}
