#include "run_executor.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "frameworks/sglang/sglang_step_cost.hpp"
#include "frameworks/vllm/vllm_step_cost.hpp"
#include "pd_deployment.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

bool looks_up_prefixes(const FrameworkSettings& settings) {
  return std::visit(
      [](const auto& s) {
        if constexpr (requires { s.enable_prefix_caching; }) return static_cast<bool>(s.enable_prefix_caching);
        else if constexpr (requires { s.disable_radix_cache; }) return !static_cast<bool>(s.disable_radix_cache);
        else return false;
      },
      settings);
}

RunExecutor::RunExecutor(const ExperimentPlan& plan, const Libraries& libraries, bool bulk_decode)
    : plan_(plan), libraries_(libraries), bulk_decode_(bulk_decode) {
  for (const auto& run : plan.runs) ++runs_left_[run.workload_index];
}

const Workload& RunExecutor::workload(int64_t index) {
  // Generation happens under the lock: simple, and cheap next to the runs that use it.
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = workloads_[index];
  if (!slot) {
    const auto start = std::chrono::steady_clock::now();
    const WorkloadPlan& w = plan_.workloads[static_cast<std::size_t>(index)];
    slot = std::make_shared<Workload>(generate_workload(w.spec, w.seed, w.clip_max_model_len));
    spdlog::debug("workload {}: {} requests generated in {:.1f} ms ({})", index, slot->requests.size(),
                  milliseconds_since(start), slot->summary);
  }
  return *slot;
}

void RunExecutor::release(int64_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--runs_left_[index] <= 0) workloads_.erase(index);
}

std::vector<Replica> RunExecutor::build_replicas(const RunSpec& run, const SimulationSettings& simulation) const {
  // The workload's seed also seeds speculative decoding's acceptance draws: runs compared on one
  // workload see the same draws.
  const uint64_t acceptance_seed = plan_.workloads[static_cast<std::size_t>(run.workload_index)].seed;
  std::vector<Replica> replicas = build_pool(run, simulation, acceptance_seed);
  // Disaggregated: the prefill pool first, then the decode pool (SimulationOptions::pd).
  if (run.pd)
    for (Replica& replica : build_pool(run.pd->decode, simulation, acceptance_seed)) replicas.push_back(std::move(replica));
  return replicas;
}

std::vector<Replica> RunExecutor::build_pool(const RunSpec& run, const SimulationSettings& simulation,
                                             uint64_t acceptance_seed) const {
  const EngineSettings& engine = engine_settings(run.settings);
  const int64_t window = run.model.sliding_window.window_tokens;
  const SimTime overhead_ns = duration_to_ns(engine.scheduler_overhead_us * 1e-6);
  std::vector<Replica> replicas;
  for (int64_t i = 0; i < run.replicas; ++i) {
    Replica replica;
    replica.framework = make_framework(run.settings, run.kv, window, run.host_kv_tier ? &*run.host_kv_tier : nullptr,
                                       acceptance_seed);
    replica.window_tokens = window;
    if (simulation.linear_cost) {
      replica.cost = std::make_unique<LinearStepCost>(simulation.linear, overhead_ns);
    } else {
      CostModelOptions options;
      options.parallel = run.parallel;
      options.quantization = engine.quantization;
      options.kv_cache_dtype = engine.kv_cache_dtype;
      options.accounting = Accounting::corrected;
      options.intra_node = &libraries_.interconnects.find(run.hardware.interconnect);
      options.inter_node = &libraries_.interconnects.find(run.hardware.inter_node);
      if (const auto* vllm = std::get_if<VllmSettings>(&run.settings)) {
        // vLLM V1: fused kernels, its own host timing, CUDA graphs and async scheduling.
        options.fused_add_norm = true;
        options.include_host_overhead = false;
        VllmStepTimingConfig timing;
        timing.async_scheduling = vllm->async_scheduling;
        timing.cudagraph_mode = vllm->enforce_eager || vllm->cudagraph_mode == "NONE" ? CudaGraphMode::none
                                : vllm->cudagraph_mode == "PIECEWISE"                 ? CudaGraphMode::piecewise
                                                                                      : CudaGraphMode::full_and_piecewise;
        timing.capture_sizes = vllm_cudagraph_capture_sizes(*vllm);  // empty under enforce_eager / NONE
        timing.host.per_step_s += engine.scheduler_overhead_us * 1e-6;
        if (const SpeculativeSettings& spec = vllm->speculative; spec.enabled()) {
          timing.speculative.num_speculative_tokens = spec.num_speculative_tokens;
          timing.speculative.target_vocab_shard =
              static_cast<double>(run.model.vocab_size) / static_cast<double>(run.parallel.tensor_parallel);
          if (spec.model_based()) {
            // The drafter runs on the last pipeline stage with the target's tensor parallelism.
            CostModelOptions drafter_options = options;
            drafter_options.parallel.pipeline_parallel = 1;
            const ModelSpec drafter = drafter_model_spec(run.model, spec, run.draft_model ? &*run.draft_model : nullptr);
            timing.speculative.drafter.emplace(drafter, run.hardware.gpu, drafter_options);
          } else {
            timing.speculative.cpu_per_seq_s = kNgramProposerCpuPerSeqS;
          }
        }
        replica.async_scheduling = timing.async_scheduling;
        // vLLM keeps one micro-batch in flight per pipeline stage (max_concurrent_batches = PP).
        replica.pipeline_depth = run.parallel.pipeline_parallel;
        replica.cost = std::make_unique<VllmStepCost>(CostModel(run.model, run.hardware.gpu, options), timing);
      } else if (const auto* sglang = std::get_if<SglangSettings>(&run.settings)) {
        // SGLang: its CPU time and decode CUDA graphs, the overlap scheduler hiding the CPU.
        // sgl-kernel fuses the residual add into RMSNorm (fused_add_rmsnorm), and SGLang has its
        // own custom all-reduce on by default (--disable-custom-all-reduce turns it off).
        options.fused_add_norm = true;
        options.include_host_overhead = false;
        SglangStepTimingConfig timing;
        timing.overlap_schedule = !sglang->disable_overlap_schedule;
        if (!sglang->disable_cuda_graph)
          timing.cuda_graph_batch_sizes = sglang_cuda_graph_batch_sizes(sglang->cuda_graph_max_bs.value_or(0));
        timing.host.per_step_s += engine.scheduler_overhead_us * 1e-6;
        // The overlap scheduler plans batch N+1 while batch N runs, as async scheduling does.
        replica.async_scheduling = timing.overlap_schedule;
        replica.cost = std::make_unique<SglangStepCost>(CostModel(run.model, run.hardware.gpu, options), timing);
      } else {
        options.use_custom_all_reduce = false;  // vLLM's own collective; other frameworks use NCCL
        replica.cost = std::make_unique<RooflineStepCost>(CostModel(run.model, run.hardware.gpu, options), overhead_ns);
      }
    }
    replicas.push_back(std::move(replica));
  }
  return replicas;
}

RunOutcome RunExecutor::execute(const RunSpec& run, RunControl* control) {
  const PointPlan& point = plan_.points[static_cast<std::size_t>(run.point_index)];
  const Workload& requests = workload(run.workload_index);
  std::function<void()> requests_copied;
  if (free_copied_requests_) {
    std::lock_guard<std::mutex> lock(mutex_);
    // The last run of its workload: every other one has released it, so no other thread reads it.
    if (runs_left_[run.workload_index] == 1) {
      Workload* last_use = workloads_[run.workload_index].get();
      requests_copied = [this, last_use] {
        std::lock_guard<std::mutex> release_lock(mutex_);
        last_use->release_requests();
      };
    }
  }
  const auto start = std::chrono::steady_clock::now();
  RunOutcome outcome = execute_with(run, requests, point.simulation.metrics, control, std::move(requests_copied));
  spdlog::debug("run {} ({}): {} requests, {} engine steps, {} events simulated in {:.1f} ms", run.index, run.name,
                outcome.result.requests.size(), outcome.result.steps, outcome.result.events, milliseconds_since(start));
  return outcome;
}

RunOutcome RunExecutor::execute_with(const RunSpec& run, const Workload& requests, const MetricsOptions& metrics,
                                     RunControl* control, std::function<void()> requests_copied) const {
  const PointPlan& point = plan_.points[static_cast<std::size_t>(run.point_index)];
  SimulationOptions options;
  options.router = run.router;
  options.bulk_decode = bulk_decode_;
  options.record_itl_samples = record_itl_samples_;
  options.control = control;
  options.timeseries_interval_ns = duration_to_ns(point.simulation.timeseries_interval_s);
  // The measured window (warm-up and cool-down by arrival time), known before the run for an
  // open-loop workload; the plan refuses a cool-down for closed loops, whose arrivals depend on
  // the run itself.
  options.measure_from_ns = instant_to_ns(metrics.warmup_s);
  if (metrics.cooldown_s > 0 && requests.request_count() > 0)
    options.measure_until_ns = requests.last_fixed_arrival_ns() - instant_to_ns(metrics.cooldown_s);
  options.requests_copied = std::move(requests_copied);
  if (run.pd) options.pd = PdOptions{static_cast<int32_t>(run.replicas), run.pd->decode.router, run.pd->link};
  Simulation simulation(requests, build_replicas(run, point.simulation), options);
  RunOutcome outcome;
  outcome.run = &run;
  try {
    outcome.result = simulation.run();
  } catch (const InputError& error) {
    // The simulated clock's limit: no one key is at fault; shown at the run's workload, whose
    // length together with the step costs made the run that long.
    if (error.pos().line > 0 || !error.pos().file.empty()) throw;
    const auto w = static_cast<std::size_t>(run.workload_index);
    SourcePos pos = w < plan_.workloads.size() ? plan_.workloads[w].pos : SourcePos{};
    if (pos.file.empty()) pos = {plan_.path, 0, 0};
    throw InputError(pos, fmt::format("run '{}'", run.name), error.message());
  }
  std::vector<Slo> class_slos;
  for (const auto& c : requests.classes) class_slos.push_back(c.slo);
  outcome.metrics = compute_run_metrics(outcome.result, metrics, class_slos);
  // Prefix-cache figures only where lookups happen: content identity to match, and a framework
  // that caches prefixes. Elsewhere vLLM would report none (or hits of 0 that say nothing).
  if (requests.prompts && looks_up_prefixes(run.settings))
    outcome.metrics.prefix_cache = measured_prefix_cache_totals(outcome.result, metrics);
  // A disaggregated deployment speculates in its decode pool.
  const RunSpec& decoding_pool = run.pd ? run.pd->decode : run;
  if (const auto* vllm = std::get_if<VllmSettings>(&decoding_pool.settings); vllm && vllm->speculative.enabled())
    outcome.metrics.spec_decode = measured_spec_decode_totals(outcome.result, measured_window(outcome.result, metrics));
  return outcome;
}

}  // namespace llmpo
