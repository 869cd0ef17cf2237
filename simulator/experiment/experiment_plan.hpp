#pragma once
// An experiment file turned into a plan: every sweep point's simulation settings, workload and
// runs (one per frameworks_to_test entry), fully validated - models resolved, GPUs built from
// presets and overrides, KV capacity planned - before anything is simulated, so a bad file
// fails in a second, not an hour into a sweep.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capacity_spec.hpp"
#include "experiment_file.hpp"
#include "fit_advice.hpp"
#include "search_spec.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/kv_offload/host_kv_sizing.hpp"
#include "hardware/gpu_spec.hpp"
#include "models/memory_plan.hpp"
#include "models/model_spec.hpp"
#include "libraries.hpp"
#include "simulator/core/router.hpp"
#include "simulator/core/step_cost.hpp"
#include "simulator/metrics/run_metrics.hpp"
#include "simulator/workload/workload_spec.hpp"

namespace llmpo {

// A `hardware:` entry: a GPU preset with optional field overrides and how many there are.
struct HardwareEntry {
  std::string key;                 // "gpu0"
  GpuSpec gpu;
  int64_t count = 0;               // GPUs available (0 = not limited)
  std::string interconnect;        // preset between GPUs of a node
  std::string inter_node;          // preset between nodes
};

struct SimulationSettings {
  uint64_t seed = 0;
  MetricsOptions metrics;
  double timeseries_interval_s = 1.0;
  bool linear_cost = false;        // cost_model: {type: linear, ...} instead of the roofline
  LinearCostParams linear;
};

struct PdDeployment;  // pd_deployment.hpp

struct RunSpec {
  int64_t index = 0;               // position in the plan (output order)
  int64_t point_index = 0;
  std::string name;                // frameworks_to_test[i].name
  std::string entry_path;          // "frameworks_to_test[0]", for messages
  ModelSpec model;
  HardwareEntry hardware;
  ParallelConfig parallel;
  int64_t replicas = 1;
  RouterPolicy router = RouterPolicy::round_robin;
  FrameworkSettings settings;
  MemoryPlan memory;               // planned KV (before any num_gpu_blocks override)
  KvCacheCapacity kv;              // what each replica gets
  std::optional<HostKvTierSpec> host_kv_tier;  // vLLM kv_offloading_size: each replica's host tier
  std::optional<ModelSpec> draft_model;  // vLLM speculative_config method draft_model: its model
  int64_t workload_index = 0;      // into ExperimentPlan::workloads
  // Prefill/decode disaggregation (config: prefill / decode / kv_transfer): the fields above are
  // the prefill pool's, this the decode pool and the KV link. Null for an aggregated deployment.
  std::shared_ptr<const PdDeployment> pd;
};

struct PointPlan {
  SweepPoint point;
  SimulationSettings simulation;
  std::vector<int64_t> runs;       // indices into ExperimentPlan::runs
};

struct WorkloadPlan {
  WorkloadSpec spec;
  uint64_t seed = 0;
  std::string key;                 // YAML of the section + seed: equal keys share requests
  SourcePos pos;                   // the `workload:` key of the first point that uses it
  int64_t clip_max_model_len = 0;  // over_max_model_len: clip: the file's smallest limit; else 0
};

struct ExperimentPlan {
  std::string path;
  std::string name;                // the file's `name:` or its file name
  std::vector<PointPlan> points;
  std::vector<RunSpec> runs;
  std::vector<WorkloadPlan> workloads;
  int64_t clip_max_model_len = 0;  // the smallest max_model_len of any run
  std::optional<CapacitySpec> capacity;  // the `capacity:` section, for `llmperforacle capacity`
  std::optional<SearchSpec> search;      // the `search:` section, for `llmperforacle search`
};

// Above this many requests in one workload, planning stops unless the user confirms: at about
// 200 MB and 2.6 s per million requests, a typo in a rate or a duration would otherwise start
// a run that takes minutes and gigabytes.
inline constexpr double kLargeWorkloadRequests = 10e6;

struct PlanOptions {
  bool allow_large_workloads = false;  // `--allow-large`
  // Flags for an experiment text a command made from its flags (bench, step, replay): a
  // deployment that does not fit then throws DoesNotFit naming flags, not file keys.
  AdviceTerms advice_terms = AdviceTerms::experiment_file;
};

// Reads and checks every point; throws InputError (InputErrors when there are several) with
// every problem of the file before anything runs.
ExperimentPlan plan_experiment(const ExperimentFile& file, const Libraries& libraries, const PlanOptions& options = {});

}  // namespace llmpo
