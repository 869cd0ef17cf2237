#pragma once
// A one-line progress display on the terminal for long runs and sweeps: runs done, simulated
// time, requests simulated and the rate. Redrawn twice a second from its own thread, only when
// stderr is a terminal and the user did not ask for quiet; erased when done.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "simulator/core/run_control.hpp"

namespace llmpo {

class ProgressLine {
 public:
  // total_runs: the runs this command simulates (resumed runs excluded).
  ProgressLine(const RunControl& control, int64_t total_runs, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // True when stderr is a terminal (where a redrawn line makes sense).
  static bool stderr_is_terminal();

 private:
  void loop();
  const RunControl& control_;
  int64_t total_runs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace llmpo
