// Interrupted sweeps: a run killed mid-sweep keeps the runs it finished, refuses to start over
// silently, and `--resume` completes it with outputs identical to an uninterrupted run.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "test_paths.hpp"

extern char** environ;

using namespace llmpo::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// 16 runs (8 request rates x 2 frameworks) of 6000 requests: long enough (tens of ms each) for
// a kill to land between runs.
std::string sweep_file(const std::string& dir) {
  std::string text = kTwoFrameworks;
  text.replace(text.find("num_requests: 400"), 17, "num_requests: 6000");
  text += "sweep:\n  request_rate: [4, 8, 12, 16, 20, 24, 28, 32]\n";
  return write_file(dir, "sweep.yaml", text);
}

int saved_runs(const std::string& out) {
  int count = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(out + "/partial", error))
    if (entry.path().extension() == ".json") ++count;
  return count;
}

// Starts `llmperforacle run FILE --out OUT --jobs 1` with stderr to OUT.err; returns its pid.
pid_t spawn_run(const std::string& file, const std::string& out) {
  const std::string command = "exec " + binary_path() + " run " + file + " --out " + out + " --jobs 1 2> " + out + ".err";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  return pid;
}

// Waits until the run saved at least `runs` runs, then sends `signal_number`; returns the wait status.
int interrupt_after(pid_t pid, const std::string& out, int runs, int signal_number) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (saved_runs(out) < runs && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;  // ended on its own (too fast)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, signal_number);
  waitpid(pid, &status, 0);
  return status;
}

nlohmann::json manifest_without_command(const std::string& out) {
  auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  manifest.erase("command");
  return manifest;
}

void require_identical_outputs(const std::string& a, const std::string& b) {
  for (const char* name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    REQUIRE(read_file(a + "/" + name) == read_file(b + "/" + name));
  }
  CHECK(manifest_without_command(a) == manifest_without_command(b));
  CHECK_FALSE(fs::exists(b + "/partial"));
}

}  // namespace

TEST_CASE("resume: a sweep killed mid-way and resumed gives the outputs of an uninterrupted run") {
  const std::string dir = fresh_dir("resume-kill");
  const std::string file = sweep_file(dir);
  const std::string whole = dir + "/whole", killed = dir + "/killed";
  REQUIRE(run_cli_args({"run", file, "--out", whole, "--jobs", "1", "--quiet"}).code == 0);

  const int status = interrupt_after(spawn_run(file, killed), killed, 3, SIGKILL);
  REQUIRE(WIFSIGNALED(status));
  const int kept = saved_runs(killed);
  CHECK(kept >= 3);
  CHECK(kept < 16);
  CHECK_FALSE(fs::exists(killed + "/summary.csv"));  // nothing that looks complete

  // Starting again without saying what to do with the saved runs is refused.
  const CliRun refused = run_cli_args({"run", file, "--out", killed, "--quiet"});
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Contains("finished run(s) of an interrupted run: pass --resume"));

  const CliRun resumed = run_cli_args({"run", file, "--out", killed, "--jobs", "2", "--resume"});
  REQUIRE(resumed.code == 0);
  CHECK_THAT(resumed.out, Contains("resuming: " + std::to_string(kept) + " of 16 runs already finished"));
  require_identical_outputs(whole, killed);

  // Resuming a complete folder of the same experiment does nothing; a changed experiment reruns.
  CHECK_THAT(run_cli_args({"run", file, "--out", killed, "--resume"}).out, Contains("nothing to do"));
  const CliRun changed = run_cli_args({"run", file, "--out", killed, "--resume", "--quiet", "--set", "simulation.seed=6"});
  CHECK(changed.code == 0);
  CHECK(read_file(whole + "/summary.csv") != read_file(killed + "/summary.csv"));
}

TEST_CASE("resume: Ctrl-C stops a sweep with a message, keeps the previous outputs, and --resume finishes it") {
  const std::string dir = fresh_dir("resume-int");
  const std::string file = sweep_file(dir);
  const std::string out = dir + "/out";
  // A previous complete run of a different seed: its files must survive the interruption.
  REQUIRE(run_cli_args({"run", file, "--out", out, "--quiet", "--set", "simulation.seed=9"}).code == 0);
  const std::string previous_summary = read_file(out + "/summary.csv");

  const int status = interrupt_after(spawn_run(file, out), out, 2, SIGINT);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  const std::string message = read_file(out + ".err");
  CHECK_THAT(message, Contains("interrupted: ") && Contains("of 16 runs finished and are saved in " + out + "/partial"));
  CHECK_THAT(message, Contains("--resume to finish the other"));
  CHECK(read_file(out + "/summary.csv") == previous_summary);
  for (const auto& entry : fs::directory_iterator(out))  // no temporary file left behind
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);

  const std::string whole = dir + "/whole";
  REQUIRE(run_cli_args({"run", file, "--out", whole, "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", out, "--resume", "--quiet"}).code == 0);
  require_identical_outputs(whole, out);
}
