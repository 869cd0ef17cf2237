// One command per output folder: a second `run` (or `merge`) on a folder another process holds
// is refused with exit 2 naming the holder's pid; a lock left by a dead process is taken over
// with a warning; the lock file goes away when the command ends, on error exits too.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "simulator/experiment_helpers.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_lock.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// The pid of a process that has ended (and been reaped): a pid nobody holds a lock with.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

}  // namespace

TEST_CASE("output lock: a folder held by another command is refused with exit 2 naming its pid") {
  const std::string dir = fresh_dir("lock-held");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  {
    const OutputLock held(out);
    CHECK(read_file(out + "/" + OutputLock::kFileName) == std::to_string(::getpid()) + "\n");
    for (const std::string command : {"run", "merge"}) {
      INFO(command);
      const CliRun refused = run_cli_args({command, file, "--out", out, "--quiet"});
      CHECK(refused.code == 2);
      CHECK_THAT(refused.err, Contains(out) && Contains("in use by another llmperforacle process") &&
                                  Contains("pid " + std::to_string(::getpid())));
    }
    CHECK_FALSE(fs::exists(out + "/summary.csv"));  // the refused run wrote nothing
    // A second lock in this process is refused too: the lock is per open file, not per process.
    CHECK_THROWS_AS(OutputLock(out), InputError);
    // Shard processes share the folder with each other, never with a whole run.
    CHECK_THROWS_AS(OutputLock(out, OutputLock::Mode::shared), InputError);
  }
  CHECK_FALSE(fs::exists(out + "/" + OutputLock::kFileName));  // released
  const CliRun run = run_cli_args({"run", file, "--out", out, "--quiet"});
  CHECK(run.code == 0);
  CHECK_FALSE(fs::exists(out + "/" + OutputLock::kFileName));
}

TEST_CASE("output lock: shard processes share a folder, a whole run is refused meanwhile") {
  const std::string out = fresh_dir("lock-shared") + "/out";
  const OutputLock a(out, OutputLock::Mode::shared);
  {
    const OutputLock b(out, OutputLock::Mode::shared);
    CHECK_THROWS_AS(OutputLock(out), InputError);
  }
  CHECK(fs::exists(out + "/" + OutputLock::kFileName));  // `a` still holds it
}

TEST_CASE("output lock: a stale lock of a dead process is taken over with a warning") {
  const std::string dir = fresh_dir("lock-stale");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  fs::create_directories(out);
  const pid_t dead = dead_pid();
  write_file(out, OutputLock::kFileName, std::to_string(dead) + "\n");
  const CommandResult run = run_command(binary_path() + " run " + file + " --out " + out + " --quiet");
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Contains("warning: " + out) &&
                             Contains("taking over the stale lock left by process " + std::to_string(dead)));
  CHECK(fs::exists(out + "/summary.csv"));
  CHECK_FALSE(fs::exists(out + "/" + OutputLock::kFileName));
}

TEST_CASE("output lock: released when the command ends in an error") {
  const std::string dir = fresh_dir("lock-error");
  const std::string file = write_file(dir, "e.yaml", kTwoFrameworks);
  const std::string out = dir + "/out";
  // Saved runs of an interrupted shard make a plain `run` stop with an input error after it
  // took the lock.
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--shard", "0/2"}).code == 0);
  const CliRun refused = run_cli_args({"run", file, "--out", out, "--quiet"});
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Contains("pass --resume"));
  CHECK_FALSE(fs::exists(out + "/" + OutputLock::kFileName));
  CHECK(run_cli_args({"run", file, "--out", out, "--quiet", "--resume"}).code == 0);
}
