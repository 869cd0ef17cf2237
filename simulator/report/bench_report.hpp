#pragma once
// The page of `llmperforacle bench`: OUT/bench.html with peak GPU memory per GPU and total
// throughput against concurrency, built with the report's page machinery (html_page.hpp), and
// optionally their SVGs through headless Chromium (memory.svg, throughput.svg).
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace llmpo {

// One concurrency level of the sweep, as bench.csv has it.
struct BenchLevel {
  int64_t concurrency = 0;
  int64_t requests = 0;
  bool skipped = false;  // --check-oom: its KV cache would not fit; the rest is unset
  int64_t completed = 0;
  double avg_latency_s = 0;
  double total_throughput_tok_per_s = 0;
  int64_t peak_kv_blocks = 0;
  double peak_kv_gib_per_gpu = 0;
  double peak_memory_gib_per_gpu = 0;
  std::string status;
  double request_rate = 0;  // open loop (--request-rate): requests per second, +inf for all at once
};

struct BenchReport {
  std::string setup;  // what ran: model, GPUs, parallelism, framework, lengths (bench's first line)
  double gpu_memory_gib = 0;  // the GPU's memory capacity: a rule on the memory chart
  std::optional<int64_t> kv_fit_concurrency;  // --check-oom's limit: a rule on both charts
  std::vector<BenchLevel> levels;
  bool open_loop = false;  // levels are request rates (the x axis), not concurrency levels
};

struct SvgExport {
  std::string dir;  // "" for no export
  std::string chromium;  // --chromium, "" to search
};

// Writes OUT/bench.html and, with svg.dir, its SVGs, printing a "wrote" line for each. Without
// the charting libraries it prints why there is no page, unless SVGs were asked for (then, as
// without Chromium, an InputError saying how to install them).
void write_bench_report(const BenchReport& bench, const std::string& out_dir, const SvgExport& svg, std::ostream& out);

}  // namespace llmpo
