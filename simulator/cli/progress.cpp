#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "simulator/util/units.hpp"

namespace llmpo {

std::optional<double> progress_fraction(int64_t runs_done, int64_t runs_total, int64_t requests_simulated,
                                        int64_t requests_expected) {
  if (requests_expected > 0)
    return std::min(1.0, static_cast<double>(requests_simulated) / static_cast<double>(requests_expected));
  if (runs_total > 0) return std::min(1.0, static_cast<double>(runs_done) / static_cast<double>(runs_total));
  return std::nullopt;
}

std::optional<double> eta_seconds(double elapsed_s, double fraction_done) {
  if (fraction_done >= 1.0) return 0.0;
  if (elapsed_s < 1.0 || fraction_done < 0.01) return std::nullopt;
  return elapsed_s * (1.0 - fraction_done) / fraction_done;
}

std::string format_duration(double seconds) {
  const auto whole = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(const RunControl& control, bool enabled, std::string unit)
    : control_(control), unit_(std::move(unit)) {
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

std::string progress_text(const ProgressCounts& counts, const std::string& unit, double wall_s) {
  std::string text = counts.runs_total > 0 ? fmt::format("{} {}/{} done", unit, counts.runs_done, counts.runs_total)
                                           : fmt::format("{} {} done", unit, counts.runs_done);
  const double rate = wall_s > 0 ? static_cast<double>(counts.requests_simulated) / wall_s : 0.0;
  text += fmt::format(" | {} requests | {} req/s | simulated clock {}", format_thousands(counts.requests_simulated),
                      format_thousands(std::llround(rate)), format_duration(counts.simulated_s));
  const auto fraction =
      progress_fraction(counts.runs_done, counts.runs_total, counts.requests_simulated, counts.requests_expected);
  if (fraction) {
    const auto left = eta_seconds(wall_s, *fraction);
    text += fmt::format(" | {:.0f}% | ETA {}", 100 * *fraction, left ? format_duration(*left) : "...");
  }
  return text;
}

std::string ProgressLine::line(double wall_s) const {
  return progress_text({control_.runs_done.load(), control_.runs_total.load(), control_.requests_simulated.load(),
                        control_.requests_expected.load(), static_cast<double>(control_.simulated_ns.load()) * 1e-9},
                       unit_, wall_s);
}

void ProgressLine::loop() {
  const auto started = std::chrono::steady_clock::now();
  bool drawn = false;
  std::size_t widest = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  // The first draw waits a second: short commands never show a line at all.
  while (!wake_.wait_for(lock, drawn ? std::chrono::milliseconds(500) : std::chrono::seconds(1), [this] { return done_; })) {
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string text = "  " + line(wall_s);
    widest = std::max(widest, text.size());
    text.resize(widest, ' ');  // covers what a longer earlier line left on screen
    std::fputs(("\r" + text).c_str(), stderr);
    std::fflush(stderr);
    drawn = true;
  }
  if (drawn) {
    std::fputs(("\r" + std::string(widest, ' ') + "\r").c_str(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace llmpo
