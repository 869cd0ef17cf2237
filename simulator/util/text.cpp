#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace llmpo {

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return to_lower(a) == to_lower(b); }

int edit_distance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
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
  for (const auto& candidate : candidates) {
    const std::string lowered = to_lower(candidate);
    int score = edit_distance(wanted, lowered);
    // A candidate that contains the query (or the reverse) is a strong hint even when long.
    const bool contains = !wanted.empty() && (lowered.find(wanted) != std::string::npos ||
                                              wanted.find(lowered) != std::string::npos);
    if (contains) score = std::min(score, 1);
    const int allowed = std::max(2, static_cast<int>(wanted.size()) / 3);
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

}  // namespace llmpo
