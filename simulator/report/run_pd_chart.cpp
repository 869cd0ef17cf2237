// The "prefill/decode timeline" chart of a `run` report: for each disaggregated run, its mean TTFT
// split into the stages a request goes through (summary.csv's mean_<stage>_ms: prefill queue,
// prefill, decode queue, KV transfer, first decode step), stacked so that the bar's length is the
// mean TTFT; the p99 of each stage is in the tooltip (p99s do not add up, so they are not stacked).
#include <array>

#include <fmt/format.h>

#include "simulator/report/run_charts.hpp"

namespace llmpo::report {

namespace {

struct StageColumn {
  const char* name;   // summary.csv's mean_<name>_ms / p99_<name>_ms
  const char* label;  // legend
};
constexpr std::array<StageColumn, 5> kStages = {{{"prefill_queue", "1 prefill queue"},
                                                 {"prefill", "2 prefill"},
                                                 {"decode_queue", "3 decode queue"},
                                                 {"kv_transfer", "4 KV transfer"},
                                                 {"first_decode", "5 first decode step"}}};

}  // namespace

std::optional<Chart> RunCharts::pd_timeline_chart() {
  const Table& summary = results_.summary();
  json values = json::array();
  for (const auto& run : results_.runs()) {
    // One bar per run: its deployment at its sweep point.
    const std::string bar = run.point.empty() ? run.framework : run.framework + " @ " + run.label;
    for (std::size_t s = 0; s < kStages.size(); ++s) {
      const auto mean = summary.value(*run.row, fmt::format("mean_{}_ms", kStages[s].name));
      if (!mean) continue;  // an aggregated run (or an older summary.csv): no stages
      const auto p99 = summary.value(*run.row, fmt::format("p99_{}_ms", kStages[s].name));
      values.push_back({{"run", bar}, {"stage", kStages[s].label}, {"order", s}, {"mean_ms", *mean},
                        {"p99_ms", p99.value_or(0)}});
    }
  }
  if (values.empty()) return std::nullopt;
  std::vector<std::string> stage_labels;
  for (const auto& stage : kStages) stage_labels.emplace_back(stage.label);
  json x = quantitative("mean_ms", "mean time (ms); the bar is the mean TTFT");
  x["stack"] = "zero";
  const json encoding = {{"y", axis("run", "nominal", "run")},
                         {"x", x},
                         {"color", color_by("stage", "stage", stage_labels)},
                         {"order", {{"field", "order"}, {"type", "quantitative"}}},
                         {"tooltip", json::array({tip("run"), tip("stage"), tip("mean_ms", "mean (ms)", ",.1f"),
                                                  tip("p99_ms", "p99 (ms)", ",.1f")})}};
  return Chart{"pd", "Prefill/decode timeline (disaggregated runs)",
               "summary.csv: each disaggregated run's mean TTFT split into its stages, in order: waiting for a "
               "prefill instance, the prefill, waiting for a decode instance to take the request (blocks free), "
               "the KV read over the link, and the decode step that recomputes the last prompt token and emits "
               "the first token. The means add up to the mean TTFT; each stage's p99 is in the tooltip. Aggregated "
               "runs have no bar.",
               {{"$schema", kSchema}, {"width", 640}, {"data", {{"values", values}}}, {"mark", "bar"},
                {"encoding", encoding}}};
}

}  // namespace llmpo::report
