#include "simulator/report/model_charts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "hardware/cost_model.hpp"
#include "models/memory_plan.hpp"
#include "simulator/experiment/libraries.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/units.hpp"

namespace llmpo::report {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kPrefillTokens = 512;

// What a run's manifest entry says about its hardware, loaded from the libraries.
struct Deployment {
  ModelSpec model;
  GpuSpec gpu;
  ParallelConfig parallel;
  json framework;
  json kv;
  std::string quantization;
  std::string kv_cache_dtype;
  const InterconnectSpec* intra = nullptr;
  const InterconnectSpec* inter = nullptr;
};

std::string setting(const json& framework, const char* key, const std::string& fallback) {
  auto found = framework.find(key);
  return found != framework.end() && found->is_string() ? found->get<std::string>() : fallback;
}

// A library entry by the source file the run used when it still exists, else by id.
std::string source_or_id(const json& entry) {
  const std::string source = entry.value("source", "");
  std::error_code unreadable;
  return !source.empty() && fs::exists(source, unreadable) ? source : entry.at("id").get<std::string>();
}

Deployment deployment_of(const RunInfo& run, const Libraries& libraries) {
  const json& m = run.manifest;
  if (m.is_null()) throw InputError("not in manifest.json");
  Deployment d;
  d.model = resolve_model(source_or_id(m.at("model")), libraries.models);
  const json& gpu = m.at("gpu");
  d.gpu = resolve_gpu(source_or_id(gpu), libraries.gpus);
  if (gpu.contains("memory_bytes")) d.gpu.memory_bytes = gpu.at("memory_bytes").get<double>();
  if (gpu.contains("memory_bandwidth_bytes_per_s"))
    d.gpu.memory_bandwidth_bytes_per_s = gpu.at("memory_bandwidth_bytes_per_s").get<double>();
  if (gpu.contains("interconnect")) d.intra = &libraries.interconnects.find(gpu.at("interconnect").get<std::string>());
  if (gpu.contains("inter_node")) d.inter = &libraries.interconnects.find(gpu.at("inter_node").get<std::string>());
  d.parallel = {m.value("tensor_parallel_degree", int64_t{1}), m.value("pipeline_parallel_degree", int64_t{1})};
  d.framework = m.value("framework", json::object());
  d.kv = m.value("kv_cache", json::object());
  d.quantization = setting(d.framework, "quantization", "none");
  d.kv_cache_dtype = setting(d.framework, "kv_cache_dtype", "auto");
  return d;
}

// The parallelism and precision of a run on a cost-model or memory-plan request (both name them
// alike), so both charts recompute the deployment the run had.
template <class Request>
Request for_layout(const Deployment& d) {
  Request request;
  request.parallel = d.parallel;
  request.quantization = d.quantization;
  request.kv_cache_dtype = d.kv_cache_dtype;
  return request;
}

// Calls body(run, deployment) for every run; a run whose deployment cannot be recomputed (or
// whose body throws) gets a note "run N (label): no WHAT: why" instead of failing the page.
template <class Body>
void for_each_deployment(const RunResults& results, const Libraries& libraries, std::vector<std::string>& notes,
                         const char* what, Body&& body) {
  for (const auto& run : results.runs()) {
    try {
      body(run, deployment_of(run, libraries));
    } catch (const std::exception& error) {
      notes.push_back(fmt::format("run {} ({}): no {}: {}", run.run, run.label, what, error.what()));
    }
  }
}

// One stacked horizontal bar per run: y the run (in `run_sort` order), x the stacked `x_field`.
json stacked_bars(const json& run_sort, const std::string& x_field, const std::string& x_title, json color, json tooltip) {
  return {{"y", {{"field", "run"}, {"type", "nominal"}, {"title", nullptr}, {"sort", run_sort}}},
          {"x", {{"field", x_field}, {"type", "quantitative"}, {"title", x_title}, {"stack", "zero"}}},
          {"color", std::move(color)},
          {"order", {{"field", "order"}, {"type", "quantitative"}}},
          {"tooltip", std::move(tooltip)}};
}

std::optional<Chart> operator_chart(const RunResults& results, const Libraries& libraries, std::vector<std::string>& notes) {
  json values = json::array();
  std::vector<std::string> op_order;
  json run_sort = json::array();
  for_each_deployment(results, libraries, notes, "step breakdown", [&](const RunInfo& run, const Deployment& d) {
    CostModelOptions options = for_layout<CostModelOptions>(d);
    options.accounting = Accounting::corrected;
    options.intra_node = d.intra;
    options.inter_node = d.inter;
    const CostModel cost(d.model, d.gpu, options);
    const Table& summary = results.summary();
    const double mean_batch = summary.value(*run.row, "mean_batch_size_seqs").value_or(1);
    const double mean_prompt = summary.value(*run.row, "mean_prompt_tokens").value_or(kPrefillTokens);
    const double mean_output = summary.value(*run.row, "mean_output_tokens").value_or(0);
    const int64_t batch = std::max<int64_t>(1, std::llround(mean_batch));
    const int64_t context = std::max<int64_t>(1, std::llround(mean_prompt + mean_output / 2));
    struct StepCase {
      std::string name;
      StepShape shape;
      std::string shape_text;
    };
    std::vector<StepCase> steps;
    steps.push_back({"prefill", cost.empty_shape(), fmt::format("1 prompt of {} tokens", kPrefillTokens)});
    steps.back().shape.add_sequence(0, kPrefillTokens);
    steps.push_back({"decode", cost.empty_shape(), fmt::format("{} seqs x 1 token, {} cached", batch, context)});
    for (int64_t i = 0; i < batch; ++i) steps.back().shape.add_sequence(context, 1);
    const std::string label =
        run.label.find("TP ") != std::string::npos
            ? run.label
            : fmt::format("{} (TP {}{})", run.label, d.parallel.tensor_parallel,
                          d.parallel.pipeline_parallel > 1 ? fmt::format(", PP {}", d.parallel.pipeline_parallel) : "");
    run_sort.push_back(label);
    for (const auto& step : steps) {
      const StepBreakdown breakdown = cost.breakdown(step.shape);
      std::vector<std::pair<std::string, double>> totals;
      for (const auto& op : breakdown.ops) {
        const std::string name(op_name(op.kind));
        auto found = std::find_if(totals.begin(), totals.end(), [&](const auto& t) { return t.first == name; });
        if (found == totals.end()) totals.emplace_back(name, op.total_time_s());
        else found->second += op.total_time_s();
      }
      if (breakdown.cpu_overhead_s > 0) totals.emplace_back("CPU overhead", breakdown.cpu_overhead_s);
      for (const auto& [name, seconds] : totals) {
        add_distinct(op_order, name);
        values.push_back({{"framework", run.framework}, {"run", label}, {"step", step.name}, {"shape", step.shape_text},
                          {"operator", name}, {"ms", seconds * 1e3}, {"step_ms", breakdown.latency_s * 1e3},
                          {"order", std::find(op_order.begin(), op_order.end(), name) - op_order.begin()}});
      }
    }
  });
  if (values.empty()) return std::nullopt;
  json charts = json::array();
  for (const std::string step : {"prefill", "decode"}) {
    charts.push_back(
        {{"title", step == "prefill" ? fmt::format("prefill step: 1 prompt of {} tokens", kPrefillTokens)
                                     : std::string("decode step: mean batch, mean context")},
         {"width", 380}, {"height", {{"step", 28}}},
         {"transform", json::array({{{"filter", fmt::format("datum.step === '{}'", step)}}})},
         {"mark", "bar"},
         {"encoding", stacked_bars(run_sort, "ms", "time per step (ms)",
                                   {{"field", "operator"}, {"type", "nominal"}, {"title", "operator"},
                                    {"scale", {{"domain", op_order}, {"scheme", "tableau20"}}}},
                                   json::array({tip("run"), tip("shape", "step"), tip("operator"),
                                                tip("ms", "time (ms)", ",.3f"), tip("step_ms", "whole step (ms)", ",.3f")}))}});
  }
  return Chart{"operators", "Per-operator time of a typical prefill and decode step",
               fmt::format("The roofline cost model (the one the simulation uses) for each run's model, GPU and "
                           "parallelism: time per GPU of each operator summed over the layers, plus CPU overhead. "
                           "Prefill: one {}-token prompt. Decode: the run's mean batch size (summary "
                           "mean_batch_size_seqs), each sequence at mean prompt + mean output / 2 cached tokens.",
                           kPrefillTokens),
               {{"$schema", kSchema}, {"data", {{"values", values}}}, {"hconcat", charts},
                {"resolve", {{"scale", {{"x", "independent"}}}}}}};
}

std::optional<Chart> memory_chart(const RunResults& results, const Libraries& libraries, std::vector<std::string>& notes) {
  const std::vector<std::string> parts = {"weights", "activation peak", "runtime overhead", "KV cache", "unused"};
  json values = json::array();
  json run_sort = json::array();
  for_each_deployment(results, libraries, notes, "memory breakdown", [&](const RunInfo& run, const Deployment& d) {
    MemoryPlanRequest r = for_layout<MemoryPlanRequest>(d);
    r.gpu_memory_bytes = d.gpu.memory_bytes;
    r.gpu_memory_utilization = d.framework.value("gpu_memory_utilization", 0.9);
    r.max_model_len = d.kv.value("max_model_len", int64_t{0});
    r.max_num_batched_tokens = d.framework.value("max_num_batched_tokens", int64_t{8192});
    r.max_num_seqs = d.framework.value("max_num_seqs", int64_t{256});
    r.block_size = d.kv.value("block_size", d.framework.value("block_size", int64_t{16}));
    const MemoryPlan plan = plan_memory(d.model, r);
    const auto& stage = plan.limiting();
    // The KV cache the run actually had (num_gpu_blocks may be set by hand).
    const double blocks = d.kv.value("num_gpu_blocks", static_cast<double>(plan.num_gpu_blocks));
    const double kv = std::max(0.0, blocks * static_cast<double>(r.block_size) * stage.kv_bytes_per_token);
    const double used = stage.weight_bytes + stage.activation_peak_bytes + plan.runtime_overhead_bytes + kv;
    const std::array<double, 5> bytes = {stage.weight_bytes, stage.activation_peak_bytes, plan.runtime_overhead_bytes,
                                         kv, std::max(0.0, d.gpu.memory_bytes - used)};
    const std::string label = fmt::format("{} ({} x {})", run.label, d.parallel.gpus(), d.gpu.id);
    run_sort.push_back(label);
    for (std::size_t i = 0; i < parts.size(); ++i)
      values.push_back({{"framework", run.framework}, {"run", label}, {"part", parts[i]}, {"gib", bytes[i] / kGiB},
                        {"order", i}, {"capacity_gib", d.gpu.memory_bytes / kGiB}});
  });
  if (values.empty()) return std::nullopt;
  return Chart{"memory", "Memory per GPU",
               "The memory planner (as vLLM sizes its KV cache) for each run's limiting GPU: weights, activation peak "
               "of the profiling pass, non-torch runtime overhead, the KV cache the run had (its num_gpu_blocks), and "
               "what is left of the GPU's capacity (including the 1 - gpu_memory_utilization reserve).",
               {{"$schema", kSchema}, {"data", {{"values", values}}}, {"width", 800}, {"height", {{"step", 28}}},
                {"mark", "bar"},
                {"encoding", stacked_bars(run_sort, "gib", "memory per GPU (GiB)",
                                          {{"field", "part"}, {"type", "nominal"}, {"title", "component"},
                                           {"scale", {{"domain", parts}, {"range", {"#4c78a8", "#f58518", "#bab0ac", "#54a24b", "#e8e8e8"}}}}},
                                          json::array({tip("run"), tip("part", "component"), tip("gib", "GiB", ",.2f"),
                                                       tip("capacity_gib", "GPU capacity (GiB)", ",.2f")}))}}};
}

}  // namespace

std::vector<Chart> model_charts(const RunResults& results, std::vector<std::string>& notes) {
  const Libraries libraries = Libraries::load();
  std::vector<Chart> out;
  if (auto ops = operator_chart(results, libraries, notes)) out.push_back(std::move(*ops));
  if (auto memory = memory_chart(results, libraries, notes)) out.push_back(std::move(*memory));
  return out;
}

}  // namespace llmpo::report
