#pragma once
// Unit constants and human-readable formatting. Internally everything is SI: bytes, seconds,
// FLOP/s, bytes/s. Data files state their units in key names (memory_gib, bandwidth_tb_per_s).
#include <cstdint>
#include <string>

namespace llmpo {

inline constexpr double kKiB = 1024.0;
inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kGB = 1e9;
inline constexpr double kTB = 1e12;
inline constexpr double kTera = 1e12;

std::string format_bytes(double bytes);          // "1.50 GiB", "327,680 B" below 1 KiB...
std::string format_count(double count);          // "6.74 G", "131.1 k"
std::string format_seconds(double seconds);      // "12.3 us", "4.56 ms", "1.20 s"
std::string format_thousands(int64_t value);     // "327,680"
std::string format_fixed(double value, int decimals);

}  // namespace llmpo
