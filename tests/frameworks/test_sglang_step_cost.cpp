// SGLang step timing (frameworks/sglang/sglang_step_cost.hpp): which steps replay a decode CUDA
// graph, the CPU time, and the overlap scheduler hiding it, each against the rule's arithmetic.
#include <catch2/catch.hpp>

#include "frameworks/sglang/sglang_step_cost.hpp"
#include "hardware/library_fixtures.hpp"

using namespace llmpo;

namespace {

CostModel llama8b_h100() {
  CostModelOptions options;
  options.fused_add_norm = true;
  options.include_host_overhead = false;
  return CostModel(test::models().find("Llama-3.1-8B"), test::gpus().find("H100-SXM"), options);
}

StepShape decodes(int n, int64_t cached) {
  StepShape s;
  for (int i = 0; i < n; ++i) s.add_decode(cached);
  return s;
}

SglangStepCost cost(bool overlap, int64_t max_bs = 256) {
  SglangStepTimingConfig c;
  c.overlap_schedule = overlap;
  c.cuda_graph_batch_sizes = sglang_cuda_graph_batch_sizes(max_bs);
  return SglangStepCost(llama8b_h100(), c);
}

}  // namespace

TEST_CASE("sglang step cost: decode batches up to cuda_graph_max_bs replay the next captured size") {
  const SglangStepCost c = cost(true);
  CHECK(c.graph_batch_size(decodes(1, 100)) == 1);
  CHECK(c.graph_batch_size(decodes(3, 100)) == 4);
  CHECK(c.graph_batch_size(decodes(100, 100)) == 104);  // 16, 24, ..., 96, 104
  CHECK(c.graph_batch_size(decodes(256, 100)) == 256);
  CHECK(c.graph_batch_size(decodes(257, 100)) == 0);    // above the largest graph: eager
  StepShape prefill;
  prefill.add_sequence(0, 500);
  CHECK(c.graph_batch_size(prefill) == 0);               // extend batches run eagerly
  // Padding costs: 100 requests run as 104 rows, so they take longer than 100 unpadded rows
  // would and no longer than 104 real ones.
  const CostModel model = llama8b_h100();
  const double graph = 8e-6;
  CHECK(c.gpu_time_s(decodes(100, 100)) == Approx(model.step_time_padded_s(decodes(100, 100), 104) + graph));
  CHECK(c.gpu_time_s(decodes(100, 100)) > model.step_time_s(decodes(100, 100)));
  CHECK(c.gpu_time_s(decodes(100, 100)) <= model.step_time_s(decodes(104, 100)) + graph);
  const SglangStepCost no_graphs(llama8b_h100(), SglangStepTimingConfig{});
  CHECK(no_graphs.graph_batch_size(decodes(1, 100)) == 0);
}

TEST_CASE("sglang step cost: the overlap scheduler hides the CPU behind the GPU") {
  const SglangStepCost overlapped = cost(true);
  const SglangStepCost serial = cost(false);
  const StepShape shape = decodes(10, 1000);
  // CPU: 0.4 ms + 10 x 4 us = 0.44 ms.
  CHECK(overlapped.host_time_s(shape) == Approx(440e-6));
  const double gpu = overlapped.gpu_time_s(shape);
  CHECK(serial.gpu_time_s(shape) == Approx(gpu));
  CHECK(serial.step_time_s(shape) == Approx(gpu + 440e-6));
  CHECK(overlapped.step_time_s(shape) == Approx(std::max(gpu, 440e-6) + 30e-6));
  CHECK(overlapped.step_time_ns(shape) == duration_to_ns(overlapped.step_time_s(shape)));
}
