#include "simulator/report/bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "simulator/report/headless.hpp"
#include "simulator/report/html_page.hpp"
#include "simulator/util/atomic_file.hpp"

namespace llmpo {

namespace {

namespace fs = std::filesystem;
using namespace report;

const char* const kCapacityColor = "#e45756";
const char* const kKvFitColor = "#f58518";

// A dashed rule at `value` across the chart, with its label: on channel "y" a horizontal line
// labelled at the left end, on "x" a vertical one labelled at the top, left of the line.
std::vector<json> labelled_rule(const std::string& channel, const json& position, double value, const std::string& label,
                                const char* color) {
  const json data = {{"values", json::array({{{position["field"].get<std::string>(), value}, {"label", label}}})}};
  const bool horizontal = channel == "y";
  return {{{"data", data},
           {"mark", {{"type", "rule"}, {"color", color}, {"strokeDash", {6, 4}}, {"strokeWidth", 1.5}}},
           {"encoding", {{channel, position}}}},
          {{"data", data},
           {"mark", {{"type", "text"}, {"color", color}, {"align", horizontal ? "left" : "right"},
                     {"dx", horizontal ? 4 : -4}, {"dy", horizontal ? -7 : 0}, {"baseline", horizontal ? "bottom" : "top"}}},
           {"encoding", {{channel, position}, {horizontal ? "x" : "y", {{"value", 4}}}, {"text", {{"field", "label"}}}}}}};
}

// An open-loop level's rate as the command line has it: "4", "0.5", "inf".
std::string rate_text(double rate) { return std::isinf(rate) ? "inf" : fmt::format("{:g}", rate); }

std::string levels_table(const BenchReport& bench) {
  std::vector<std::vector<TableCell>> rows;
  for (const auto& l : bench.levels) {
    auto& row = rows.emplace_back();
    row.emplace_back(bench.open_loop ? rate_text(l.request_rate) : std::to_string(l.concurrency));
    row.emplace_back(std::to_string(l.requests));
    for (const std::string& cell :
         l.skipped ? std::vector<std::string>(5, "-")
                   : std::vector<std::string>{std::to_string(l.completed), fmt::format("{:.3f}", l.avg_latency_s),
                                              fmt::format("{:.1f}", l.total_throughput_tok_per_s),
                                              std::to_string(l.peak_kv_blocks), fmt::format("{:.2f}", l.peak_memory_gib_per_gpu)})
      row.emplace_back(cell);
    row.emplace_back(l.status);
  }
  return html_table({bench.open_loop ? "request rate (req/s)" : "concurrency", "requests", "completed", "mean latency (s)", "total throughput (tok/s)",
                     "peak KV blocks", "peak memory per GPU (GiB)", "status"},
                    rows);
}

Page bench_page(const BenchReport& bench) {
  json values = json::array(), ticks = json::array();
  int64_t highest_level = 0;
  // The x axis: concurrency levels, or (open loop) request rates; `inf` (all at once) has no
  // place on a rate axis: the table shows it.
  const std::string x_field = bench.open_loop ? "request_rate" : "concurrency";
  const std::string x_title = bench.open_loop ? "request rate (req/s)" : "concurrency (clients)";
  const std::string x_words = bench.open_loop ? "request rate" : "concurrency";
  for (const auto& l : bench.levels) {
    if (l.skipped || (bench.open_loop && std::isinf(l.request_rate))) continue;
    const json x_value = bench.open_loop ? json(l.request_rate) : json(l.concurrency);
    ticks.push_back(x_value);
    highest_level = std::max(highest_level, l.concurrency);
    values.push_back({{x_field, x_value}, {"requests", l.requests}, {"completed", l.completed},
                      {"avg_latency_s", l.avg_latency_s}, {"throughput_tok_s", l.total_throughput_tok_per_s},
                      {"peak_memory_gib", l.peak_memory_gib_per_gpu}, {"peak_kv_gib", l.peak_kv_gib_per_gpu},
                      {"peak_kv_blocks", l.peak_kv_blocks}, {"status", l.status}});
  }
  Page page;
  // The title names the deployment ("M on N x GPU"), the line under it the whole setup.
  page.title = "LLMPerfOracle bench: " + bench.setup.substr(0, bench.setup.find(" ("));
  page.meta = "llmperforacle bench: " + bench.setup + ". Peak memory = weights + activation peak + runtime overhead + "
              "the KV blocks in use at the run's peak; total throughput = output tokens / run time";
  std::vector<std::string> notes;
  if (values.empty())
    notes.push_back(bench.open_loop ? "Only --request-rate inf ran: no rate axis to chart."
                                    : "No level ran (--check-oom skipped them all): no charts.");
  page.intro_html = levels_table(bench) + "\n" + notes_html(notes);
  if (values.empty()) return page;

  // log2 x: levels usually double; ticks at the levels themselves.
  json x = quantitative(x_field, x_title);
  x["scale"] = {{"type", "log"}, {"base", 2}};
  x["axis"] = {{"values", ticks}};
  const json tooltip = json::array({tip(x_field, x_title), tip("completed"),
                                    tip("peak_memory_gib", "peak memory per GPU (GiB)", ",.2f"),
                                    tip("peak_kv_gib", "KV in use at the peak (GiB)", ",.3f"),
                                    tip("throughput_tok_s", "total throughput (tok/s)", ",.1f"),
                                    tip("avg_latency_s", "mean latency (s)", ",.3f")});
  // The KV-fit limit as a rule when it is near the levels that ran; far beyond them (an 8B model
  // fits thousands of short sequences) a rule would squash the data into a corner: it is told
  // in the description instead.
  const std::optional<int64_t> kv_fit = bench.kv_fit_concurrency;
  const bool kv_rule = !bench.open_loop && kv_fit && *kv_fit >= 1 && *kv_fit <= 2 * highest_level;
  const std::string kv_text =
      !kv_fit ? "." : kv_rule ? ", the orange one the highest concurrency whose KV cache fits (--check-oom)."
                              : fmt::format("; the KV cache fits {} such sequences (--check-oom), beyond the levels shown.", *kv_fit);
  const auto line_chart = [&](const std::string& field, const std::string& title, std::vector<json> rules) {
    json y = quantitative(field, title);
    json layers = json::array({{{"mark", {{"type", "line"}, {"point", true}}},
                                {"encoding", {{"x", x}, {"y", y}, {"tooltip", tooltip}}}}});
    if (kv_rule)
      for (auto& layer : labelled_rule("x", x, static_cast<double>(*kv_fit), fmt::format("KV cache fits {} sequences", *kv_fit),
                                       kKvFitColor))
        rules.push_back(layer);
    for (auto& layer : rules) layers.push_back(layer);
    return json{{"$schema", kSchema}, {"width", 520}, {"height", 300}, {"data", {{"values", values}}}, {"layer", layers}};
  };
  const std::string memory_title = "peak memory per GPU (GiB)";
  page.charts.push_back(
      {"memory", "Peak GPU memory per GPU vs " + x_words,
       "Weights, activation peak and runtime overhead (the memory plan) plus the KV cache blocks in use at the run's "
       "peak, per GPU; the red rule is the GPU's memory capacity" + kv_text,
       line_chart("peak_memory_gib", memory_title,
                  labelled_rule("y", quantitative("gib", memory_title), bench.gpu_memory_gib,
                                fmt::format("GPU memory {:.1f} GiB", bench.gpu_memory_gib), kCapacityColor))});
  page.charts.push_back({"throughput", "Total throughput vs " + x_words,
                         "Output tokens per second of the whole run (all clients), per " + x_words +
                             (bench.open_loop ? "" : " level") +
                             (kv_rule ? "; the orange rule is the highest concurrency whose KV cache fits." : "."),
                         line_chart("throughput_tok_s", "total throughput (tok/s)", {})});
  return page;
}

}  // namespace

void write_bench_report(const BenchReport& bench, const std::string& out_dir, const SvgExport& svg, std::ostream& out) {
  if (svg.dir.empty() && !chart_libraries_installed()) {
    out << "no bench.html: the charting libraries are not installed (./dev.sh installs them)\n";
    return;
  }
  const std::string chromium = svg.dir.empty() ? "" : find_chromium(svg.chromium);  // before the work it would waste
  const std::string path = (fs::path(out_dir) / "bench.html").string();
  write_file_atomically(path, page_html(bench_page(bench), load_chart_libraries()));
  out << "wrote " << path << "\n";
  if (svg.dir.empty()) return;
  for (const auto& written : export_svgs(path, chromium, svg.dir)) out << "wrote " << written << "\n";
}

}  // namespace llmpo
