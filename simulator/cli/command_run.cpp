// `llmperforacle run FILE` and `llmperforacle validate FILE`: the main job. The experiment is
// planned (and so validated) whole before the first simulation starts.
#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>
#include <thread>

#include "args.hpp"
#include "experiment_args.hpp"
#include "mpi_session.hpp"
#include "output_format.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "shard.hpp"
#include "simulator/experiment/parallel_runs.hpp"
#include "simulator/experiment/pd_deployment.hpp"
#include "simulator/experiment/results_rows.hpp"
#include "simulator/experiment/results_writer.hpp"
#include "simulator/experiment/vllm_block.hpp"
#include "simulator/experiment/vllm_result.hpp"
#include "simulator/report/results_report.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/output_lock.hpp"
#include "simulator/util/units.hpp"
#include "simulator/workload/workload.hpp"

namespace llmpo {

namespace {

// The body of `run`, for one process or one MPI rank.
int run_job(const ArgParser& p, const Args& args, std::ostream& out, const MpiSession* mpi, TableFormat format) {
  // Everything but the comparison table is narrative: stderr under --format csv|json.
  std::ostream& note = narrative_stream(format, out);
  const bool leader = mpi == nullptr || mpi->rank() == 0;
  const bool quiet = p.has("quiet") || !leader;
  if (mpi != nullptr && p.has("shard")) throw InputError({}, "--shard", "under mpirun the ranks are the shards");
  const Shard shard = mpi != nullptr ? Shard{mpi->rank(), mpi->size(), "MPI"} : shard_from(p.has("shard") ? std::optional<std::string>(p.get("shard")) : std::nullopt);
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_from(p, libraries);
  const std::string out_dir = p.get_or("out", (std::filesystem::path("results") / plan.name).string());
  const bool write_requests = !p.has("no-requests");

  // Rank 0 (or the only process) owns the output folder and tells the other ranks which runs
  // are already saved: "!" when it could not open the folder, else one '0'/'1' per run, then
  // '1' when everything is complete already.
  std::optional<OutputLock> lock;  // held until the command ends, on errors too
  std::optional<ResultsWriter> writer;
  std::string saved;
  if (leader) {
    const PartialRuns partial = shard.split() && mpi == nullptr ? PartialRuns::shared
                                : p.has("resume")                ? PartialRuns::resume
                                : p.has("restart")               ? PartialRuns::restart
                                                                 : PartialRuns::refuse;
    try {
      lock.emplace(out_dir, partial == PartialRuns::shared ? OutputLock::Mode::shared : OutputLock::Mode::exclusive);
      writer.emplace(plan, out_dir, write_requests, partial);
    } catch (const InputError&) {
      saved = "!";
      if (mpi != nullptr) mpi->broadcast(saved);
      throw;
    }
    for (std::size_t i = 0; i < plan.runs.size(); ++i) saved += writer->finished(static_cast<int64_t>(i)) ? '1' : '0';
    saved += writer->already_complete() ? '1' : '0';
  }
  if (mpi != nullptr) mpi->broadcast(saved);
  if (saved == "!") return kExitBadInput;
  if (saved.back() == '1') {
    if (!quiet) note << fmt::format("{}: complete for this experiment ({} runs); nothing to do\n", out_dir, plan.runs.size());
    return kExitOk;
  }
  const auto is_saved = [&](int64_t run) { return saved[static_cast<std::size_t>(run)] == '1'; };
  int64_t resumed = 0, mine = 0;
  double requests_expected = 0;  // of the runs simulated here: the progress line's time left
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const bool saved_run = is_saved(static_cast<int64_t>(i));
    resumed += saved_run;
    if (saved_run || !shard.owns(static_cast<int64_t>(i))) continue;
    ++mine;
    requests_expected += expected_request_count(plan.workloads[static_cast<std::size_t>(plan.runs[i].workload_index)].spec);
  }
  if (!quiet && resumed > 0)
    note << fmt::format("{}: {} of {} runs already finished in {}/partial\n", shard.split() ? "saved before" : "resuming",
                        resumed, plan.runs.size(), out_dir);
  if (!quiet && shard.split())
    note << fmt::format("shard {}/{} ({}): {} of the {} runs\n", shard.index, shard.count, shard.source, mine,
                        plan.runs.size());

  RunExecutor executor(plan, libraries, !p.has("step-by-step"));
  const bool vllm_detailed = p.has("vllm-json-detailed"), vllm_json = p.has("vllm-json") || vllm_detailed;
  executor.set_record_itl_samples(vllm_detailed);
  const std::string vllm_date = vllm_json ? vllm_result_date() : std::string();
  // Per run: its vLLM result file (relative to OUT) and its "Serving Benchmark Result" block,
  // printed in run order once all have finished (runs finish in any order).
  std::vector<std::string> vllm_names(plan.runs.size()), vllm_blocks(plan.runs.size());
  RunControl control;
  control.runs_total = mine;
  control.requests_expected = static_cast<int64_t>(requests_expected);
  const auto started = std::chrono::steady_clock::now();
  int64_t simulated_requests = 0;
  const int jobs = static_cast<int>(p.get_int("jobs", default_jobs(), 1, 1024));
  std::vector<std::string> workload_summaries(plan.workloads.size());
  MpiRunSender to_leader;  // MPI ranks other than 0: each run streamed to rank 0 as it finishes
  bool interrupted = false;
  // Until the outputs are assembled a signal only asks the runs to stop (at their next check,
  // every few thousand events): the runs that finished are saved, nothing is left half-written.
  // Before this (planning, nothing written yet) it ends the process at once, as by default.
  const StopOnSignals stop_on_signals(control);
  // A failure on one MPI rank ends them all (the others would wait for it forever); what was saved
  // in OUT/partial stays for --resume, and no output is written.
  const auto abort_ranks = [&](const std::exception& error) {
    std::cerr << "error on MPI rank " << mpi->rank() << ": " << error.what() << "\n";
    mpi->abort(dynamic_cast<const InputError*>(&error) != nullptr ? kExitBadInput : kExitInternalError);
  };
  // Rank 0 takes the other ranks' runs as they arrive, on a thread of its own, while it simulates
  // its share: neither side holds a run's rows, and no rank waits for rank 0's runs to end.
  MpiRunReceiver from_ranks;
  std::thread receiving;
  if (mpi != nullptr && leader && mpi->size() > 1)
    receiving = std::thread([&] {
      try {
        writer->receive_runs(from_ranks, mpi->size() - 1);
      } catch (const std::exception& error) {
        abort_ranks(error);
      }
    });
  try {
    const ProgressLine progress(control, !quiet && ProgressLine::stderr_is_terminal());
    execute_runs(
        plan, executor, jobs,
        [&](RunOutcome& outcome, const Workload& workload) {
          workload_summaries[static_cast<std::size_t>(outcome.run->workload_index)] = workload.summary;
          const auto run_index = static_cast<std::size_t>(outcome.run->index);
          if (vllm_json || !quiet) {
            const VllmLists lists = !vllm_json ? VllmLists::none
                                    : vllm_detailed ? VllmLists::detailed
                                                    : VllmLists::standard;
            const auto result = vllm_result_json(plan, outcome, workload, lists, vllm_date);
            if (vllm_json) vllm_names[run_index] = write_vllm_result(out_dir, result);
            vllm_blocks[run_index] = serving_benchmark_block(
                result, plan.points[static_cast<std::size_t>(outcome.run->point_index)].simulation.metrics.percentiles);
          }
          if (writer) writer->add(outcome, workload);
          else ResultsWriter::send_run(plan, outcome, workload, write_requests, to_leader);
          simulated_requests += outcome.metrics.arrived;
        },
        [&](int64_t run) { return is_saved(run) || !shard.owns(run); }, &control);
  } catch (const Interrupted&) {
    interrupted = true;  // what finished is still handed over and saved below
  } catch (const std::exception& error) {
    if (mpi == nullptr || mpi->size() == 1) throw;
    abort_ranks(error);
  }
  if (mpi != nullptr && !leader) {
    to_leader.send(RunMessageKind::done, {});
    if (interrupted) throw StoppedBySignal("", stop_exit_code(control));
    return kExitOk;
  }
  if (receiving.joinable()) receiving.join();  // every other rank has sent its last run
  if (interrupted || control.stop.load())
    throw StoppedBySignal(fmt::format(
        "{} of {} runs finished and are saved in {}/partial; the outputs of any earlier complete run are "
        "untouched. Run the same command with --resume to finish the other {}",
        writer->finished_count(), plan.runs.size(), out_dir,
        static_cast<int64_t>(plan.runs.size()) - writer->finished_count()),
        stop_exit_code(control));
  if (shard.split() && mpi == nullptr) {
    if (!quiet)
      note << fmt::format("saved {} run(s) in {}/partial; {} of {} runs are there. When every shard has finished: "
                          "llmperforacle merge {} --out {}\n",
                          mine, out_dir, writer->finished_count(), plan.runs.size(), plan.path, out_dir);
    return kExitOk;
  }
  if (!quiet)
    for (std::size_t w = 0; w < plan.workloads.size(); ++w)
      if (!workload_summaries[w].empty()) note << "workload " << w << ": " << workload_summaries[w] << "\n";
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<std::string> vllm_files;
  if (vllm_json)
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const RunSpec& run = plan.runs[i];
      // A run resumed from an earlier command kept the file that command wrote.
      const std::string name = !vllm_names[i].empty()
                                   ? vllm_names[i]
                                   : find_vllm_result(out_dir, vllm_label(plan, run),
                                                      run.model.hf_id.empty() ? run.model.id : run.model.hf_id, vllm_date);
      if (!name.empty()) vllm_files.push_back(name);
      else spdlog::warn("{}: no vllm/ result of run {} ({}; resumed from a command without --vllm-json); not written",
                        out_dir, i, run.name);
    }
  const auto files = writer->finish(join_args("run", args), vllm_files);
  if (control.stop.load())  // asked while the outputs were assembled: they are complete
    throw StoppedBySignal(fmt::format("all {} runs had finished; the outputs in {} are complete", plan.runs.size(), out_dir),
                          stop_exit_code(control));
  if (!quiet) {
    // vLLM's own summary of each run simulated here, as `vllm bench serve` prints it.
    for (std::size_t i = 0; i < plan.runs.size(); ++i)
      if (!vllm_blocks[i].empty()) {
        const std::string point = plan.points[static_cast<std::size_t>(plan.runs[i].point_index)].point.label();
        note << fmt::format("\nrun {}: {}{}\n", i, plan.runs[i].name, point.empty() ? "" : " (" + point + ")")
             << vllm_blocks[i];
      }
    if (format == TableFormat::table) out << "\n" << writer->comparison_table();
    else print_data_rows(out, format, writer->summary_rows());  // summary.csv's columns, full precision
    const std::string overloaded = overload_warning(writer->summary_rows());
    if (!overloaded.empty()) {
      out.flush();  // after the table it refers to, where stdout and stderr share a terminal
      spdlog::warn("{}", overloaded);
    }
    note << "KV tokens: per replica, computed as vLLM does (utilization x memory - weights - activation peak -\n"
           "overhead); `llmperforacle memory` explains one configuration line by line.\n";
    note << fmt::format("\n{} run(s) ({} resumed{}), {} simulated requests in {:.2f} s of wall time\n", plan.runs.size(),
                        resumed, mpi != nullptr ? fmt::format(", {} MPI ranks", mpi->size()) : "", simulated_requests,
                        wall_s);
    for (const auto& file : files) note << "wrote " << file << "\n";
    if (writer->stale_removed() > 0)
      note << fmt::format("removed {} vllm/*.json file(s) of an earlier experiment from {}/vllm\n",
                          writer->stale_removed(), out_dir);
  }
  if (p.has("report")) {
    const std::string report = write_report(out_dir, (std::filesystem::path(out_dir) / "report.html").string());
    if (!quiet) note << "wrote " << report << "\n";
  }
  return kExitOk;
}

}  // namespace

int command_validate(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle validate", "Check an experiment file completely (every sweep point) without running it.");
  declare_common(p);
  declare_format_option(p, "csv and json: the planned runs, one row each");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  const TableFormat format = format_from(p);
  const Libraries libraries = Libraries::load();
  const ExperimentPlan plan = plan_from(p, libraries);
  narrative_stream(format, out) << fmt::format("{}: valid - {} sweep point(s), {} run(s), {} distinct workload(s)\n",
                                               plan.path, plan.points.size(), plan.runs.size(), plan.workloads.size());
  if (format != TableFormat::table) {
    DataTable runs({"run", "name", "framework", "point", "model", "gpus", "gpu", "tensor_parallel", "pipeline_parallel",
                    "replicas", "kv_blocks", "block_size"});
    for (const auto& run : plan.runs)
      runs.add_row({std::to_string(run.index), run.name, framework_type_name(run.settings),
                    plan.points[static_cast<std::size_t>(run.point_index)].point.label(), run.model.id,
                    std::to_string(run.parallel.gpus() * run.replicas), run.hardware.gpu.id,
                    std::to_string(run.parallel.tensor_parallel), std::to_string(run.parallel.pipeline_parallel),
                    std::to_string(run.replicas), std::to_string(run.kv.num_gpu_blocks), std::to_string(run.kv.block_size)});
    print_data_table(out, format, runs);
    return kExitOk;
  }
  for (const auto& run : plan.runs) {
    out << fmt::format("  run {}: {} ({}) {} on {} x {} TP {} PP {}, KV {} blocks x {} tokens\n", run.index, run.name,
                       framework_type_name(run.settings), run.model.id, run.parallel.gpus() * run.replicas,
                       run.hardware.gpu.id, run.parallel.tensor_parallel, run.parallel.pipeline_parallel,
                       run.kv.num_gpu_blocks, run.kv.block_size);
    if (const auto& pd = run.pd)
      out << fmt::format("    disaggregated: the above is the prefill pool; decode pool {} x {} TP {} PP {}, KV {} "
                         "blocks x {} tokens; KV read over {} ({} lanes)\n",
                         pd->decode.parallel.gpus() * pd->decode.replicas, pd->decode.hardware.gpu.id,
                         pd->decode.parallel.tensor_parallel, pd->decode.parallel.pipeline_parallel,
                         pd->decode.kv.num_gpu_blocks, pd->decode.kv.block_size, pd->link.preset, pd->link_lanes);
    if (const auto& host = run.host_kv_tier)
      out << fmt::format("    host KV tier ({}): {} blocks x {} tokens, {:.3f} MiB per block on each GPU\n", host->backend,
                         host->capacity_blocks, host->block_tokens, host->block_bytes_per_gpu / kMiB);
  }
  return kExitOk;
}

int command_run(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle run",
              "Simulate every deployment of an experiment file on the same seeded workload and write\n"
              "summary.csv, requests.csv, timeseries.csv and manifest.json. Under `mpirun -np N` the runs\n"
              "are split over the ranks and rank 0 writes the outputs.");
  declare_common(p);
  p.option("out", "DIR", "output folder", "results/<experiment name>");
  p.flag("no-requests", "do not write requests.csv (large runs)");
  p.flag("quiet", "print nothing but errors");
  declare_format_option(p, "csv and json: summary.csv's rows (same columns, full precision); the rest goes to stderr");
  p.flag("report", "also write OUT/report.html (`llmperforacle report OUT`)");
  p.option("jobs", "N", "runs simulated in parallel (each run stays single-threaded)", "all hardware threads");
  p.flag("vllm-json", "also write each run as `vllm bench serve --save-result` JSON, named as vLLM names it: "
         "DIR/vllm/<label>-<rate>qps[-concurrency<N>]-<model>-<date>.json");
  p.flag("vllm-json-detailed", "--vllm-json with vLLM's --save-detailed lists (input_lens, output_lens, ttfts, itls, ...)");
  p.flag("step-by-step", "simulate every decode step as its own event (same results, slower; for verification)");
  p.flag("resume", "keep the runs an interrupted command saved in DIR/partial (same configuration hash) and run the rest");
  p.flag("restart", "discard the runs an interrupted command saved in DIR/partial");
  p.option("shard", "I/N", "simulate only runs r with r mod N = I and save them in DIR/partial; `merge` joins the "
           "shards (default: a Slurm job array's task id and count, when set)", "all runs");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  if (p.has("resume") && p.has("restart")) throw InputError({}, "--resume", "--resume and --restart exclude each other");
  const TableFormat format = format_from(p);
  std::optional<MpiSession> mpi;
  if (MpiSession::launched()) mpi.emplace();
  const bool leader = !mpi || mpi->rank() == 0;
  try {
    return run_job(p, args, out, mpi ? &*mpi : nullptr, format);
  } catch (const InputError&) {
    if (leader) throw;
    return kExitBadInput;  // every rank finds the same input error; rank 0 reports it
  } catch (const StoppedBySignal& stopped) {
    if (leader) throw;
    return stopped.exit_code();
  }
}

}  // namespace llmpo
