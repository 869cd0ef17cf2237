// The global options that set the diagnostics' level for whatever command follows: --verbose
// (-v) down to debug, --quiet (-q) errors only. Run through the built binary: spdlog writes to the
// process's stderr, not to the streams run_cli is given.
#include <catch2/catch.hpp>

#include <filesystem>

#include "machine_output.hpp"

using namespace llmpo;
using test::run_binary;

namespace {

// One deployment, past saturation on purpose: `run` warns about it on stderr.
const char* kOverloaded = R"(simulation: {seed: 3}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 400}
  num_requests: 300
  prompt_tokens: {distribution: fixed, value: 500}
  output_tokens: {distribution: fixed, value: 100}
frameworks_to_test:
  - name: small
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}
)";

// The lines of `text` starting with `prefix` that contain `part`.
int count_matches(const std::string& text, const std::string& prefix, const std::string& part) {
  int count = 0;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    if (line.rfind(prefix, 0) == 0 && line.find(part) != std::string::npos) ++count;
    at = end + 1;
  }
  return count;
}

// What `run` printed, but where two runs must differ: the output folder (each writes its own,
// and says so) and the wall time it took.
std::string printed_results(const std::string& text, const std::string& out_dir) {
  std::string kept;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.find(" s of wall time") != std::string::npos) continue;
    for (auto dir = line.find(out_dir); dir != std::string::npos; dir = line.find(out_dir, dir + 3)) line.replace(dir, out_dir.size(), "OUT");
    kept += line + "\n";
  }
  return kept;
}

}  // namespace

TEST_CASE("global options: --verbose shows what was read, generated and simulated, and the results do not change") {
  const std::string dir = test::fresh_dir("verbose");
  const std::string experiment = test::write_file(dir, "exp.yaml", kOverloaded);
  const auto plain = run_binary({"run", experiment, "--out", dir + "/plain"});
  const auto verbose = run_binary({"--verbose", "run", experiment, "--out", dir + "/verbose"});
  REQUIRE(plain.code == 0);
  REQUIRE(verbose.code == 0);
  CHECK(count_matches(plain.err, "debug: ", "") == 0);
  // The three libraries indexed, and only the files this deployment uses parsed: its model and
  // its GPU, one file of each library of ~40 and ~16.
  CHECK(count_matches(verbose.err, "debug: library: /", "") == 3);
  CHECK(count_matches(verbose.err, "debug: library: parsed ", "/models/library/") == 1);
  CHECK(count_matches(verbose.err, "debug: library: parsed ", "/hardware/gpus/") == 1);
  CHECK_THAT(verbose.err, Catch::Contains("/models/library/llama3-8b.yaml\n") && Catch::Contains("/hardware/gpus/h100-sxm.yaml\n"));
  CHECK_THAT(verbose.err, Catch::Contains("debug: experiment " + experiment + ": 1 run(s) over 1 workload(s)"));
  CHECK_THAT(verbose.err, Catch::Contains("debug: workload 0: 300 requests generated in "));
  CHECK_THAT(verbose.err, Catch::Contains("debug: run 0 (small): 300 requests, "));
  // Warnings still show; what goes to stdout and the files are the same.
  CHECK_THAT(verbose.err, Catch::Contains("warning: 1 of 1 run(s) past saturation"));
  CHECK(printed_results(verbose.out, dir + "/verbose") == printed_results(plain.out, dir + "/plain"));
  for (const char* file : {"summary.csv", "requests.csv", "timeseries.csv"})
    CHECK(test::read_file(dir + "/verbose/" + file) == test::read_file(dir + "/plain/" + file));
}

TEST_CASE("global options: --quiet keeps only errors on stderr, and leaves stdout as it was") {
  const std::string dir = test::fresh_dir("quiet");
  const std::string experiment = test::write_file(dir, "exp.yaml", kOverloaded);
  const auto plain = run_binary({"run", experiment, "--out", dir + "/plain"});
  REQUIRE(plain.code == 0);
  REQUIRE_THAT(plain.err, Catch::Contains("warning: 1 of 1 run(s) past saturation"));
  for (const char* quiet : {"--quiet", "-q"}) {
    INFO(quiet);
    const auto run = run_binary({quiet, "run", experiment, "--out", dir + "/" + quiet});
    CHECK(run.code == 0);
    CHECK(run.err.find("warning:") == std::string::npos);
    CHECK(printed_results(run.out, dir + "/" + quiet) == printed_results(plain.out, dir + "/plain"));
  }
  // Errors still come through, with their exit code.
  const auto missing = run_binary({"-q", "run", dir + "/no-such.yaml"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::StartsWith("error: "));
}

TEST_CASE("global options: they go before the command, and after it or both at once are input errors that say so") {
  const auto after = run_binary({"run", "x.yaml", "--verbose"});
  CHECK(after.code == 2);
  CHECK_THAT(after.err, Catch::Contains("unknown option '--verbose'") &&
                            Catch::Contains("goes before the command: `llmperforacle --verbose run ...`"));
  const auto both = run_binary({"-v", "--quiet", "list", "gpus"});
  CHECK(both.code == 2);
  CHECK(both.err == "error: -v and --quiet ask for opposite things; give one of them\n");
  // A command's own --verbose (bench) is its own, and -v before any command works with --version.
  const auto version = run_binary({"-v", "--version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Catch::StartsWith("llmperforacle "));
  const auto usage = run_binary({"--help"});
  CHECK_THAT(usage.out, Catch::StartsWith("usage: llmperforacle [--verbose | --quiet] <command> [options]"));
}
