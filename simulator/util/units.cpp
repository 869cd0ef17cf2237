#include "units.hpp"

#include <cmath>

#include <fmt/format.h>

namespace llmpo {

std::string format_bytes(double bytes) {
  const double magnitude = std::fabs(bytes);
  if (magnitude >= kGiB) return fmt::format("{:.2f} GiB", bytes / kGiB);
  if (magnitude >= kMiB) return fmt::format("{:.2f} MiB", bytes / kMiB);
  if (magnitude >= kKiB) return fmt::format("{:.2f} KiB", bytes / kKiB);
  return fmt::format("{:.0f} B", bytes);
}

std::string format_count(double count) {
  const double magnitude = std::fabs(count);
  if (magnitude >= 1e12) return fmt::format("{:.3f} T", count / 1e12);
  if (magnitude >= 1e9) return fmt::format("{:.3f} G", count / 1e9);
  if (magnitude >= 1e6) return fmt::format("{:.3f} M", count / 1e6);
  if (magnitude >= 1e3) return fmt::format("{:.3f} k", count / 1e3);
  return fmt::format("{:.0f}", count);
}

std::string format_seconds(double seconds) {
  const double magnitude = std::fabs(seconds);
  if (magnitude >= 1.0) return fmt::format("{:.3f} s", seconds);
  if (magnitude >= 1e-3) return fmt::format("{:.3f} ms", seconds * 1e3);
  return fmt::format("{:.2f} us", seconds * 1e6);
}

std::string format_thousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string format_fixed(double value, int decimals) {
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace llmpo
