#include "text.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>

namespace llmpo {

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return to_lower(a) == to_lower(b); }

int edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of two adjacent
  // characters ("SMX" for "SXM") each cost one.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::vector<std::string> closest_matches(std::string_view name,
                                         const std::vector<std::string>& candidates,
                                         std::size_t max_count) {
  const std::string wanted = to_lower(name);
  struct Scored {
    int score;
    std::string text;
  };
  std::vector<Scored> scored;
  const int allowed = 2 * std::max(2, static_cast<int>(wanted.size()) / 3);
  for (const auto& candidate : candidates) {
    const std::string lowered = to_lower(candidate);
    const bool contains = !wanted.empty() && (lowered.find(wanted) != std::string::npos ||
                                              wanted.find(lowered) != std::string::npos);
    // The edit distance is at least the difference in length: skip hopeless candidates without
    // computing it (a long garbage name against every model and GPU was seconds per sweep point).
    const std::size_t shorter = std::min(wanted.size(), lowered.size());
    const std::size_t length_gap = std::max(wanted.size(), lowered.size()) - shorter;
    if (!contains && 2 * length_gap > static_cast<std::size_t>(allowed)) continue;
    // Scores are doubled edit distances, so that "contains the query" (3) ranks after a one-edit
    // typo (2) but before a two-edit one (4).
    int score = 2 * edit_distance(wanted, lowered);
    if (contains) score = std::min(score, 3);
    if (score <= allowed) scored.push_back({score, candidate});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) {
    return x.score != y.score ? x.score < y.score : x.text < y.text;
  });
  std::vector<std::string> out;
  for (const auto& item : scored) {
    if (out.size() == max_count) break;
    if (std::find(out.begin(), out.end(), item.text) == out.end()) out.push_back(item.text);
  }
  return out;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const auto matches = closest_matches(name, candidates);
  if (matches.empty()) return "";
  std::string out = "did you mean ";
  for (std::size_t i = 0; i < matches.size(); ++i) {
    if (i > 0) out += i + 1 == matches.size() ? " or " : ", ";
    out += "'" + matches[i] + "'";
  }
  return out + "?";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string exact_decimal(int64_t units, int decimals) {
  std::string text;
  append_exact_decimal(text, units, decimals);
  return text;
}

namespace {

// "00" to "99": the digits are written two per division.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
    pairs[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

constexpr auto kPowersOfTen = [] {
  std::array<uint64_t, 20> powers{};
  powers[0] = 1;
  for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
  return powers;
}();

// `value`'s decimal digits, written backwards ending just before `end`; returns their start.
char* write_digits_backwards(uint64_t value, char* end) {
  while (value >= 100) {
    end -= 2;
    std::memcpy(end, &kDigitPairs[static_cast<std::size_t>(2 * (value % 100))], 2);
    value /= 100;
  }
  if (value >= 10) {
    end -= 2;
    std::memcpy(end, &kDigitPairs[static_cast<std::size_t>(2 * value)], 2);
  } else {
    *--end = static_cast<char>('0' + value);
  }
  return end;
}

}  // namespace

void append_exact_decimal(std::string& out, int64_t units, int decimals) {
  // One division splits the whole part from the fraction; the digits go two at a time into a
  // buffer, backwards: requests.csv writes seven of these per row, timeseries.csv five per second
  // simulated.
  const auto value = static_cast<uint64_t>(units);
  const uint64_t scale = kPowersOfTen[static_cast<std::size_t>(decimals)];
  const uint64_t whole = value / scale;
  uint64_t fraction = value - whole * scale;
  char buffer[48];
  char* const end = buffer + sizeof buffer;
  char* first = end;
  if (fraction != 0) {
    int places = decimals;
    while (fraction % 10 == 0) {  // trailing zeros trimmed
      fraction /= 10;
      --places;
    }
    char* const fraction_start = end - places;
    first = write_digits_backwards(fraction, end);
    while (first > fraction_start) *--first = '0';  // the fraction's leading zeros
    *--first = '.';
  }
  first = write_digits_backwards(whole, first);
  out.append(first, end);
}

std::optional<int64_t> round_to_decimals_exactly(double value, int decimals) {
  if (!(value >= 0) || value > 1e12 || decimals < 0 || decimals > 18) return std::nullopt;  // NaN, negative, too wide
  // The double is mantissa x 2^exponent exactly (mantissa < 2^53): times 10^decimals (< 2^60) the
  // product mantissa x 10^decimals fits 113 bits, so value x 10^decimals is known exactly and
  // rounds without any floating-point step (the old long-double path stalled on its x87
  // conversions). Only an exact half is left to the caller, whose formatting breaks the tie.
  __extension__ using Wide = unsigned __int128;
  const auto bits = std::bit_cast<uint64_t>(value);
  const auto biased = static_cast<int>(bits >> 52);  // sign is 0 here
  const uint64_t fraction_bits = bits & ((uint64_t{1} << 52) - 1);
  const uint64_t mantissa = biased == 0 ? fraction_bits : fraction_bits | (uint64_t{1} << 52);
  const int exponent = (biased == 0 ? 1 : biased) - 1075;  // value = mantissa x 2^exponent
  const Wide product = static_cast<Wide>(mantissa) * kPowersOfTen[static_cast<std::size_t>(decimals)];
  // value <= 1e12 < 2^52 puts the binary point inside the mantissa: exponent < 0.
  const int shift = -exponent;
  if (shift > 113) return 0;  // product < 2^113: below half a unit
  const Wide whole = product >> shift;
  const Wide rest = product - (whole << shift);
  const Wide half = Wide{1} << (shift - 1);
  if (rest == half) return std::nullopt;  // an exact half
  const Wide rounded = rest > half ? whole + 1 : whole;
  if (rounded >= (Wide{1} << 62)) return std::nullopt;  // too many units for the caller (many decimals)
  return static_cast<int64_t>(rounded);
}

}  // namespace llmpo
