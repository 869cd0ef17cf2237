#include "run_control.hpp"

#include <csignal>

namespace llmpo {

namespace {

std::atomic<RunControl*> g_control{nullptr};
void (*g_previous_int)(int) = SIG_DFL;
void (*g_previous_term)(int) = SIG_DFL;

extern "C" void on_stop_signal(int signal_number) {
  RunControl* control = g_control.load();
  if (control != nullptr) {
    control->stop_signal.store(signal_number);
    control->stop.store(true);
  }
  // The next signal of this kind takes its default action: a user can always force the exit.
  std::signal(signal_number, SIG_DFL);
}

}  // namespace

int stop_exit_code(const RunControl& control) {
  const int signal_number = control.stop_signal.load();
  return signal_number > 0 ? 128 + signal_number : static_cast<int>(kExitInterrupted);
}

StopOnSignals::StopOnSignals(RunControl& control) {
  g_control.store(&control);
  g_previous_int = std::signal(SIGINT, on_stop_signal);
  g_previous_term = std::signal(SIGTERM, on_stop_signal);
}

StopOnSignals::~StopOnSignals() {
  std::signal(SIGINT, g_previous_int == SIG_ERR ? SIG_DFL : g_previous_int);
  std::signal(SIGTERM, g_previous_term == SIG_ERR ? SIG_DFL : g_previous_term);
  g_control.store(nullptr);
}

}  // namespace llmpo
