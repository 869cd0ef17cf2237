// Ctrl-C and SIGTERM stop a run inside a long simulation within about a second: the handler
// sets a flag the event loop checks every few thousand events, the runs that finished are kept
// for --resume, nothing is half-written, and the exit status says which signal (130, 143).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "../simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

namespace llmpo {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Two runs: a short one, whose saved result tells the test that the simulations have started,
// then a long one (about 30 s uninterrupted on 2 cores, simulated step by step; 0.5 s of
// workload generation before it).
const char* kLongRun = R"(simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload:
  arrival: {process: poisson, rate_per_s: 200}
  num_requests: 100
  prompt_tokens: {distribution: fixed, value: 256}
  output_tokens: {distribution: fixed, value: 2000}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}
sweep:
  workload.num_requests: [100, 200000]
)";

struct Stopped {
  int status = 0;
  double seconds_after_signal = 0;
  std::string err;
};

// Starts `run`, waits until its first run is saved (planning is over; the long run is under
// way), then half a second more, sends `signal_number` and waits for the exit (at most 30 s).
Stopped run_and_signal(const std::string& dir, int signal_number) {
  const std::string experiment = test::write_file(dir, "long.yaml", kLongRun);
  const std::string out = dir + "/out", err_path = dir + "/err.txt";
  const std::string binary = test::binary_path();
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, STDERR_FILENO);
    execl(binary.c_str(), binary.c_str(), "run", experiment.c_str(), "--out", out.c_str(), "--quiet", "--no-requests",
          "--jobs", "1", "--step-by-step", static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto started = Clock::now();
  while (!fs::exists(out + "/partial/run-000000.json") && Clock::now() - started < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Stopped stopped;
  int status = 0;
  REQUIRE(waitpid(pid, &status, WNOHANG) == 0);  // still running: the signal lands mid-simulation
  kill(pid, signal_number);
  const auto signalled = Clock::now();
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() - signalled > std::chrono::seconds(30)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL("the run ignored the signal for 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stopped.seconds_after_signal = std::chrono::duration<double>(Clock::now() - signalled).count();
  REQUIRE(WIFEXITED(status));  // it exited by itself, not by the signal's default action
  stopped.status = WEXITSTATUS(status);
  stopped.err = test::read_file(err_path);
  return stopped;
}

TEST_CASE("signals: SIGINT inside a long simulation exits 130 at once, nothing half-written") {
  const std::string dir = test::fresh_dir("sigint");
  const Stopped stopped = run_and_signal(dir, SIGINT);
  INFO(stopped.err);
  CHECK(stopped.status == 130);
  // The loop checks every 4,096 events (about a millisecond); a few seconds leave room for a
  // loaded machine, against the tens of seconds the run takes.
  CHECK(stopped.seconds_after_signal < 5);
  CHECK(stopped.err.find("interrupted: 1 of 2 runs finished") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out/summary.csv"));
  CHECK_FALSE(fs::exists(dir + "/out/timeseries.csv"));
}

TEST_CASE("signals: SIGTERM inside a long simulation exits 143") {
  const std::string dir = test::fresh_dir("sigterm");
  const Stopped stopped = run_and_signal(dir, SIGTERM);
  INFO(stopped.err);
  CHECK(stopped.status == 143);
  CHECK(stopped.seconds_after_signal < 5);
  CHECK(stopped.err.find("--resume") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out/summary.csv"));
}

}  // namespace
}  // namespace llmpo
