// A process started by an MPI launcher whose MPI plugin is missing, not loadable or from another
// build stops with an input error that names the path it tried. MpiSession::launched() reads only
// the launcher's environment and the plugin is loaded before MPI starts, so these need no mpirun:
// a copy of the binary in a folder of its own, started with OMPI_COMM_WORLD_SIZE=1.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "simulator/cli/mpi_backend.hpp"
#include "simulator/cli/mpi_plugin_loader.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

// DIR/bin/llmperforacle, so that both places the plugin is looked for (DIR/bin and
// DIR/<libdir>/llmperforacle) lie inside the test's folder.
std::string copied_binary(const std::string& dir) {
  fs::create_directories(dir + "/bin");
  const std::string binary = dir + "/bin/llmperforacle";
  fs::copy_file(binary_path(), binary);
  return binary;
}

CommandResult launched_run(const std::string& binary, const std::string& dir) {
  const std::string file = write_file(dir, "exp.yaml", kTwoFrameworks);
  return run_command("OMPI_COMM_WORLD_SIZE=1 " + binary + " run " + file + " --out " + dir + "/out --quiet");
}

}  // namespace

TEST_CASE("mpi plugin errors: missing, the error names every path looked at") {
  const std::string dir = fresh_dir("mpi-plugin-missing");
  const std::string binary = copied_binary(dir);
  const auto candidates = llmpo::mpi_plugin_candidates(binary);
  REQUIRE(candidates.size() == 2);
  CHECK(candidates[0] == dir + "/bin/llmperforacle-mpi.so");
  CHECK_THAT(candidates[1], Contains(dir + "/lib") && Contains("/llmperforacle/llmperforacle-mpi.so"));

  const CommandResult result = launched_run(binary, dir);
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Contains("error: mpirun: the MPI plugin llmperforacle-mpi.so is missing"));
  for (const auto& path : candidates) CHECK_THAT(result.output, Contains(path));
  CHECK_FALSE(fs::exists(dir + "/out"));
  // `version` says so too, rather than promising MPI the binary cannot load.
  const CommandResult version = run_command(binary + " version");
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Contains("(with MPI, but the MPI plugin llmperforacle-mpi.so is missing (looked for " +
                                      candidates[0] + " and " + candidates[1] + "))"));
}

TEST_CASE("mpi plugin errors: not a shared object, the error gives the path and the dynamic loader's reason") {
  const std::string dir = fresh_dir("mpi-plugin-unloadable");
  const std::string binary = copied_binary(dir);
  const std::string plugin = write_file(dir + "/bin", "llmperforacle-mpi.so", "not a shared object\n");
  const CommandResult result = launched_run(binary, dir);
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Contains("error: mpirun: cannot load the MPI plugin " + plugin + ": "));
  CHECK_THAT(result.output, Contains("file too short"));  // dlerror()
}

TEST_CASE("mpi plugin errors: another build's plugin, installed beside the binary's prefix, is refused by its version") {
  const std::string dir = fresh_dir("mpi-plugin-version");
  const std::string binary = copied_binary(dir);
  // In the install layout (the second place looked at), so that place is tested too.
  const std::string plugin = llmpo::mpi_plugin_candidates(binary).at(1);
  fs::create_directories(fs::path(plugin).parent_path());
  fs::copy_file(LLMPO_TEST_WRONG_MPI_PLUGIN, plugin);
  const CommandResult result = launched_run(binary, dir);
  INFO(result.output);
  CHECK(result.exit_code == 2);  // not 134: the stand-in's factory, which aborts, was not called
  CHECK_THAT(result.output, Contains(fmt::format("the MPI plugin {} comes from another llmperforacle build (interface "
                                                 "version {}, this binary needs {})",
                                                 plugin, llmpo::kMpiBackendInterfaceVersion + 1,
                                                 llmpo::kMpiBackendInterfaceVersion)));
}
