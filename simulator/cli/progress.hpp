#pragma once
// A one-line progress display on the terminal for long runs and sweeps: runs done, simulated
// time, requests simulated, the rate and an estimate of the time left. Redrawn twice a second
// from its own thread, only when stderr is a terminal and the user did not ask for quiet;
// erased when done.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "simulator/core/run_control.hpp"

namespace llmpo {

// The share of the work done, from what `control` knows: requests simulated over requests
// expected when the plan could count them (this weighs long runs more than short ones), else
// runs done over runs to do. Empty when neither total is known.
std::optional<double> progress_fraction(int64_t runs_done, int64_t runs_total, int64_t requests_simulated,
                                        int64_t requests_expected);

// Seconds left at the rate so far: elapsed x (1 - done) / done. Empty until a second has passed
// and 1% is done, when the rate says little; 0 once done.
std::optional<double> eta_seconds(double elapsed_s, double fraction_done);

// "42s", "3m05s", "1h02m".
std::string format_duration(double seconds);

// What the line shows, read from a RunControl.
struct ProgressCounts {
  int64_t runs_done = 0, runs_total = 0;
  int64_t requests_simulated = 0, requests_expected = 0;
  double simulated_s = 0;  // the simulated clock of the latest report
};

// "runs 1/3 done | 68,200 requests | 68,100 req/s | simulated clock 72h40m | 23% | ETA 10s":
// `unit` names what the runs are ("deployments", "candidates"); the share and ETA only when known.
std::string progress_text(const ProgressCounts& counts, const std::string& unit, double wall_s);

class ProgressLine {
 public:
  // unit: what control.runs_done counts ("runs", "deployments", "candidates"); its total is
  // control.runs_total.
  ProgressLine(const RunControl& control, bool enabled, std::string unit = "runs");
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // True when stderr is a terminal (where a redrawn line makes sense).
  static bool stderr_is_terminal();

 private:
  void loop();
  std::string line(double wall_s) const;
  const RunControl& control_;
  std::string unit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace llmpo
