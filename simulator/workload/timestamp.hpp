#pragma once
// Trace timestamps as the Azure LLM inference traces write them, "2023-11-16 18:15:46.6805900":
// a date, ' ' or 'T', a time with up to 9 fractional digits, and optionally a UTC offset ("Z",
// "+00:00", "-05:30"), as pandas writes time-zone-aware times. Dates are proleptic Gregorian and
// must exist (no February 30th); a leap second (:60) is accepted. Years are limited to
// 1970..2200 so that nanoseconds since 1970, and differences between two of them, fit int64.
#include <cstdint>
#include <string>
#include <string_view>

namespace llmpo {

inline constexpr int kMinTimestampYear = 1970;
inline constexpr int kMaxTimestampYear = 2200;

// Nanoseconds since 1970-01-01 00:00:00 UTC (or of the file's unstated time zone when the text
// has no offset). False when the text is malformed; `problem`, when given, then says why.
bool parse_timestamp_ns(std::string_view text, int64_t& ns_since_epoch, std::string* problem = nullptr);

}  // namespace llmpo
