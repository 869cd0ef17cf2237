#pragma once
// The "Serving Benchmark Result" block `vllm bench serve` prints after a run, line for line:
// vllm/benchmarks/serve.py's benchmark() at vLLM commit 009e6d4a1cd6 (see vllm_result.hpp), as it
// prints with a tokenizer, --percentile-metrics ttft,tpot,itl,e2el and --metric-percentiles the
// experiment's percentiles. Labels are left-aligned in 40 columns, values in 10 ("{:<40}
// {:<10.2f}": so lines end in padding, as vLLM's do), section rules 50 wide with the title
// centred. Lines and their conditions:
//   ===== Serving Benchmark Result =====
//   Successful requests, Failed requests, Maximum request concurrency (only with a concurrency
//   cap), Request rate configured (RPS) (only for a finite rate), Benchmark duration (s), Total
//   input tokens, Total generated tokens, Request throughput (req/s), Request goodput (req/s)
//   (only with an SLO, vLLM's --goodput), Output token throughput (tok/s), Peak output token
//   throughput (tok/s), Peak concurrent requests (printed as a float, "3.00"), RTFx (only when
//   > 0: never for text), Total token throughput (tok/s);
//   per metric (Time to First Token, Time per Output Token (excl. 1st token), Inter-token
//   Latency, End-to-end Latency): Mean, Median, then P<p> per percentile, all in ms;
//   a closing rule of 50 '='.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmpo {

// The block for a result written by vllm_result_json (its keys hold every figure printed).
std::string serving_benchmark_block(const nlohmann::ordered_json& result, const std::vector<double>& percentiles);

}  // namespace llmpo
