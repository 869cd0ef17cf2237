// MPI is a plugin (simulator/cli/mpi_backend.hpp): a command not started by an MPI launcher must
// not load libmpi, whose loading every command used to pay for at start-up.
#include <catch2/catch.hpp>

#include <string>

#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

TEST_CASE("mpi plugin: a plain command and a plain run load neither libmpi nor the plugin") {
  const std::string dir = fresh_dir("no-libmpi");
  const std::string file = write_file(dir, "exp.yaml", kTwoFrameworks);
  for (const std::string& command : {binary_path() + " --version", binary_path() + " run " + file + " --out " + dir + "/out --quiet"}) {
    // LD_DEBUG=files: the dynamic loader names every object it loads, dlopen()ed ones included.
    const CommandResult result = run_command("LD_DEBUG=files " + command);
    INFO(command << "\n" << result.output);
    REQUIRE(result.exit_code == 0);
    REQUIRE_THAT(result.output, Contains("file=libc.so"));  // the loader did report
    CHECK_THAT(result.output, !Contains("libmpi"));
    CHECK_THAT(result.output, !Contains("llmperforacle-mpi"));
  }
}
