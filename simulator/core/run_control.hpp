#pragma once
// Shared between the runs of one command and whoever watches them: a stop request (set from a
// signal handler, so only lock-free atomics) and progress counters. Simulations poll it every
// few thousand events; the cost is one relaxed load there.
#include <atomic>
#include <cstdint>
#include <exception>
#include <string>

#include "simulator/util/error.hpp"

namespace llmpo {

struct RunControl {
  std::atomic<bool> stop{false};               // Ctrl-C / SIGTERM: end at the next check
  std::atomic<int> stop_signal{0};             // the signal that set `stop` (SIGINT, SIGTERM); 0: none
  std::atomic<int64_t> runs_done{0};
  std::atomic<int64_t> runs_total{0};          // set by whoever plans the runs; 0: not known
  std::atomic<int64_t> requests_simulated{0};  // finished (completed or rejected), over all runs so far
  std::atomic<int64_t> requests_expected{0};   // over all runs, when known in advance; else 0
  std::atomic<int64_t> simulated_ns{0};        // the simulated clock of the latest report
};

// Thrown out of a simulation (and the run loop) once `stop` is seen.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

// The exit status of a command a signal stopped: 128 + the signal, as shells report a process
// the signal ended (SIGINT 130, SIGTERM 143); 130 when no signal is known (an internal stop).
int stop_exit_code(const RunControl& control);
inline constexpr int kExitTerminated = 143;  // 128 + SIGTERM

// A command stopped by a signal, with the exit status to end with (run_cli prints the message).
class StoppedBySignal : public StoppedByUser {
 public:
  StoppedBySignal(const std::string& what, int exit_code) : StoppedByUser(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Installs SIGINT and SIGTERM handlers that set control.stop (a second signal of the same kind
// ends the process at once, as usual); restores the previous handlers when destroyed.
class StopOnSignals {
 public:
  explicit StopOnSignals(RunControl& control);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
};

}  // namespace llmpo
