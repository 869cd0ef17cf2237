#include "progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace llmpo {

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(const RunControl& control, int64_t total_runs, bool enabled)
    : control_(control), total_runs_(total_runs) {
  if (enabled) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProgressLine::loop() {
  const auto started = std::chrono::steady_clock::now();
  bool drawn = false;
  std::unique_lock<std::mutex> lock(mutex_);
  // The first draw waits a second: short commands never show a line at all.
  while (!wake_.wait_for(lock, drawn ? std::chrono::milliseconds(500) : std::chrono::seconds(1), [this] { return done_; })) {
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double requests = static_cast<double>(control_.requests_simulated.load());
    const std::string line = fmt::format(
        "\r  runs {}/{} done | simulated clock {:.1f} s | {:.3g} requests | {:.3g} requests/s   ",
        control_.runs_done.load(), total_runs_, static_cast<double>(control_.simulated_ns.load()) * 1e-9, requests,
        wall_s > 0 ? requests / wall_s : 0.0);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn = true;
  }
  if (drawn) {
    std::fputs(fmt::format("\r{:80}\r", "").c_str(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace llmpo
