#include "vllm_block.hpp"

#include <fmt/format.h>

#include "vllm_result.hpp"

namespace llmpo {

namespace {

struct MetricSection {
  const char* key;     // in the result's keys: mean_<key>_ms
  const char* name;    // in the lines: "Mean TTFT (ms):"
  const char* header;  // the section's rule
};

const MetricSection kSections[] = {{"ttft", "TTFT", "Time to First Token"},
                                   {"tpot", "TPOT", "Time per Output Token (excl. 1st token)"},
                                   {"itl", "ITL", "Inter-token Latency"},
                                   {"e2el", "E2EL", "End-to-end Latency"}};

// Python's "{:<40} {:<10}" and "{:<40} {:<10.2f}".
std::string count_line(const std::string& label, int64_t value) { return fmt::format("{:<40} {:<10}\n", label, value); }
std::string number_line(const std::string& label, double value) {
  return fmt::format("{:<40} {:<10.2f}\n", label, value);
}

}  // namespace

std::string serving_benchmark_block(const nlohmann::ordered_json& result, const std::vector<double>& percentiles) {
  const auto number = [&](const char* key) { return result.at(key).get<double>(); };
  const auto count = [&](const char* key) { return result.at(key).get<int64_t>(); };
  std::string out = fmt::format("{:=^50}\n", " Serving Benchmark Result ");
  out += count_line("Successful requests:", count("completed"));
  out += count_line("Failed requests:", count("failed"));
  if (!result.at("max_concurrency").is_null()) out += count_line("Maximum request concurrency:", count("max_concurrency"));
  if (!result.at("request_rate").is_string()) out += number_line("Request rate configured (RPS):", number("request_rate"));
  out += number_line("Benchmark duration (s):", number("duration"));
  out += count_line("Total input tokens:", count("total_input_tokens"));
  out += count_line("Total generated tokens:", count("total_output_tokens"));
  out += number_line("Request throughput (req/s):", number("request_throughput"));
  if (!result.at("request_goodput").is_null()) out += number_line("Request goodput (req/s):", number("request_goodput"));
  out += number_line("Output token throughput (tok/s):", number("output_throughput"));
  out += number_line("Peak output token throughput (tok/s):", number("max_output_tokens_per_s"));
  out += number_line("Peak concurrent requests:", number("max_concurrent_requests"));
  if (number("rtfx") > 0) out += number_line("RTFx (Inverse Real-Time Factor):", number("rtfx"));
  out += number_line("Total token throughput (tok/s):", number("total_token_throughput"));
  for (const MetricSection& section : kSections) {
    out += fmt::format("{:-^50}\n", section.header);
    out += number_line(fmt::format("Mean {} (ms):", section.name), result.at(fmt::format("mean_{}_ms", section.key)).get<double>());
    out += number_line(fmt::format("Median {} (ms):", section.name),
                       result.at(fmt::format("median_{}_ms", section.key)).get<double>());
    for (double p : percentiles) {
      const std::string word = vllm_percentile_word(p);
      out += number_line(fmt::format("P{} {} (ms):", word, section.name),
                         result.at(fmt::format("p{}_{}_ms", word, section.key)).get<double>());
    }
  }
  out += std::string(50, '=') + "\n";
  return out;
}

}  // namespace llmpo
