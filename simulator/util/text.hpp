#pragma once
// Small text helpers shared by every layer: case folding, "did you mean" suggestions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmpo {

std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Edit distance (Levenshtein plus adjacent swaps), used to rank suggestions for misspelt names.
int edit_distance(std::string_view a, std::string_view b);

// Up to max_count candidates closest to `name` (case-insensitive), nearest first, keeping only
// those close enough to be a plausible typo or a substring match.
std::vector<std::string> closest_matches(std::string_view name,
                                         const std::vector<std::string>& candidates,
                                         std::size_t max_count = 3);

// "did you mean 'a', 'b'?" or "" when nothing is close.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// "a, b, c" - for listing valid values in an error message.
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// `units` / 10^decimals written out exactly, trailing zeros and a bare '.' trimmed: (1500000, 6)
// is "1.5", (2000, 3) "2", (1, 6) "0.000001". `units` >= 0, 0 <= decimals <= 18. The output files'
// times are integer nanoseconds: this writes them without a floating-point conversion.
std::string exact_decimal(int64_t units, int decimals);
// The same text appended to `out` (the output rows are built in place, without a string per cell).
void append_exact_decimal(std::string& out, int64_t units, int decimals);

// `value` * 10^decimals rounded to the nearest integer exactly as printing the double with that
// many decimals rounds it (the exact binary value, to nearest); nullopt for an exact half (whose
// tie the caller's formatting breaks), a negative value, NaN, a value above 1e12, or a result of
// 2^62 or more, for the caller to format the double itself. With exact_decimal it writes fmt's
// "{:.6f}" text (trimmed) at a fraction of the cost.
std::optional<int64_t> round_to_decimals_exactly(double value, int decimals);

}  // namespace llmpo
