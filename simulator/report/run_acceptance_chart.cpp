// The "acceptance length" chart of a `run` report: for each run that speculated, the share of
// its verification steps that yielded 1, 2, ..., k + 1 tokens (summary.csv's
// acceptance_length_histogram, vLLM's acceptance length = accepted drafts + 1), one line per run.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "simulator/report/run_charts.hpp"

namespace llmpo::report {

namespace {

struct LengthCount {
  int64_t length = 0;
  double steps = 0;
};

// "1:812;2:455" -> {1, 812}, {2, 455}; malformed parts are skipped (a hand-edited file).
std::vector<LengthCount> parse_histogram(const std::string& cell) {
  std::vector<LengthCount> out;
  std::size_t start = 0;
  while (start < cell.size()) {
    const std::size_t end = std::min(cell.find(';', start), cell.size());
    const std::string part = cell.substr(start, end - start);
    const std::size_t colon = part.find(':');
    if (colon != std::string::npos) {
      const auto length = number_in(part.substr(0, colon));
      const auto steps = number_in(part.substr(colon + 1));
      if (length && steps && *length >= 1) out.push_back({static_cast<int64_t>(*length), *steps});
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<Chart> RunCharts::acceptance_chart() const {
  const Table& summary = results_.summary();
  json values = json::array();
  for (const auto& run : results_.runs()) {
    const std::vector<LengthCount> counts = parse_histogram(summary.cell(*run.row, "acceptance_length_histogram"));
    double total = 0;
    for (const auto& c : counts) total += c.steps;
    if (total <= 0) continue;
    for (const auto& c : counts)
      values.push_back({{"framework", run.framework}, {"run", run.label}, {"length", c.length},
                        {"share", 100 * c.steps / total}, {"steps", c.steps}});
  }
  if (values.empty()) return std::nullopt;
  json x = quantitative("length", "acceptance length (tokens per verification step)");
  x["axis"] = {{"tickMinStep", 1}};
  json y = quantitative("share", "verification steps (%)");
  json tooltip = json::array({tip("run"), tip("length", "acceptance length"), tip("share", "steps (%)", ".1f"),
                              tip("steps", "steps", ",.0f")});
  return Chart{"acceptance", "Speculative decoding: acceptance length",
               "summary.csv acceptance_length_histogram: the share of each run's verification steps (over its "
               "measured requests) that yielded 1, 2, ..., k + 1 tokens - the accepted drafts plus the target's own "
               "token, vLLM's acceptance length. Runs without speculation have no line.",
               {{"$schema", kSchema}, {"width", 640}, {"height", 220}, {"data", {{"values", values}}},
                {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 1.5}}},
                {"encoding", per_run_lines(x, y, tooltip)}}};
}

}  // namespace llmpo::report
