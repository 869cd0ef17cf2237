// A sweep split over processes gives the outputs of one process: MPI ranks (`mpirun -np 2`) and
// Slurm-style shards (`--shard I/N` or the job-array environment, then `merge`).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

// Six runs: two frameworks at three request rates.
std::string sweep_file(const std::string& dir) {
  return write_file(dir, "sweep.yaml", std::string(kTwoFrameworks) + "sweep:\n  request_rate: [5, 10, 20]\n");
}

void require_same_outputs(const std::string& a, const std::string& b) {
  for (const char* name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    REQUIRE(read_file(a + "/" + name) == read_file(b + "/" + name));
  }
  auto manifest = [](const std::string& dir) {
    auto json = nlohmann::json::parse(read_file(dir + "/manifest.json"));
    json.erase("command");
    return json;
  };
  CHECK(manifest(a) == manifest(b));
}

}  // namespace

TEST_CASE("distributed: mpirun -np 2 writes the outputs of a single process") {
  const std::string dir = fresh_dir("mpi");
  const std::string file = sweep_file(dir);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/one", "--quiet"}).code == 0);
  REQUIRE_THAT(run_command(binary_path() + " version").output, Contains("(with MPI)"));
  // Root is allowed (CI containers run as root); leak checking is off for OpenMPI's own
  // allocations in sanitizer builds.
  const CommandResult mpi = run_command(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
      "mpirun -np 2 --oversubscribe " + binary_path() + " run " + file + " --out " + dir + "/mpi");
  INFO(mpi.output);
  REQUIRE(mpi.exit_code == 0);
  CHECK_THAT(mpi.output, Contains("2 MPI ranks"));
  require_same_outputs(dir + "/one", dir + "/mpi");
}

TEST_CASE("distributed: mpirun -np 3, runs streamed in many chunks by two ranks at once, writes the outputs of one process") {
  const std::string dir = fresh_dir("mpi-streamed");
  // Six runs of 9000 requests: about 1.3 MB of requests.csv rows each, so every run goes to rank 0
  // in several ~1 MiB chunks, while ranks 1 and 2 send at the same time.
  const std::string file =
      write_file(dir, "sweep.yaml",
                 with_edits(kTwoFrameworks, {{"num_requests: 400", "num_requests: 9000"}, {"rate_per_s: 20", "rate_per_s: 5"}}) +
                     "sweep:\n  request_rate: [4, 5, 6]\n");
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/one", "--quiet"}).code == 0);
  REQUIRE(read_file(dir + "/one/requests.csv").size() > 6 * (std::size_t{1} << 20));
  const CommandResult mpi = run_command(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
      "mpirun -np 3 --oversubscribe " + binary_path() + " run " + file + " --out " + dir + "/mpi --jobs 1");
  INFO(mpi.output);
  REQUIRE(mpi.exit_code == 0);
  CHECK_THAT(mpi.output, Contains("3 MPI ranks"));
  require_same_outputs(dir + "/one", dir + "/mpi");
  CHECK_FALSE(std::filesystem::exists(dir + "/mpi/partial"));
}

TEST_CASE("distributed: two Slurm-style shards and merge write the outputs of a single process") {
  const std::string dir = fresh_dir("shards");
  const std::string file = sweep_file(dir);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/one", "--quiet"}).code == 0);

  // Shard 0 by flag; shard 1 as the second task of a job array --array=4-5.
  const CliRun first = run_cli_args({"run", file, "--out", dir + "/split", "--shard", "0/2"});
  REQUIRE(first.code == 0);
  CHECK_THAT(first.out, Contains("shard 0/2 (--shard): 3 of the 6 runs"));
  CHECK_FALSE(std::filesystem::exists(dir + "/split/summary.csv"));
  const CliRun early = run_cli_args({"merge", file, "--out", dir + "/split"});
  CHECK(early.code == 2);
  CHECK_THAT(early.err, Contains("3 of 6 runs are not saved for this experiment (runs 1, 3, 5)"));

  ::setenv("SLURM_ARRAY_TASK_ID", "5", 1);
  ::setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "2", 1);
  const CliRun second = run_cli_args({"run", file, "--out", dir + "/split"});
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_MIN");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  REQUIRE(second.code == 0);
  CHECK_THAT(second.out, Contains("shard 1/2 (Slurm job array): 3 of the 6 runs"));
  REQUIRE(run_cli_args({"merge", file, "--out", dir + "/split", "--quiet"}).code == 0);
  require_same_outputs(dir + "/one", dir + "/split");

  // Shards that saved into folders of their own are taken in with --from.
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/a", "--shard", "0/2", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/b", "--shard", "1/2", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"merge", file, "--out", dir + "/joined", "--from", dir + "/a", dir + "/b", "--quiet"}).code == 0);
  require_same_outputs(dir + "/one", dir + "/joined");
}

TEST_CASE("distributed: a malformed shard is an input error") {
  const std::string dir = fresh_dir("bad-shard");
  const std::string file = sweep_file(dir);
  for (const char* shard : {"2/2", "1", "a/3", "0/0"}) {
    const CliRun run = run_cli_args({"run", file, "--out", dir + "/x", "--shard", shard});
    CHECK(run.code == 2);
    CHECK_THAT(run.err, Contains("--shard: expected I/N with 0 <= I < N"));
  }
}
