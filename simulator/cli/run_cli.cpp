// Subcommand dispatch and the one place where errors become messages and exit codes.
#include <exception>
#include <functional>
#include <iostream>

#include "commands.hpp"
#include "mpi_session.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

#ifndef LLMPO_VERSION
#define LLMPO_VERSION "unknown"
#endif

namespace llmpo {

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  std::function<int(const Args&, std::ostream&)> run;
};

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> list = {
      {"run", "simulate an experiment file and write latency/throughput CSVs", command_run},
      {"validate", "check an experiment file without running it", command_validate},
      {"search", "cheapest GPU type, count, TP/PP, replicas and knobs carrying a target rate within SLOs; Pareto frontier", command_search},
      {"merge", "join the runs of `run --shard I/N` processes (Slurm job arrays) into one output folder", command_merge},
      {"capacity", "highest request rate or concurrency meeting latency SLOs, per deployment (bisection)", command_capacity},
      {"perf", "speed benchmark: 10k/100k/1M-request runs, idle time, sweeps", command_perf},
      {"list", "print the model, GPU, interconnect or quantization library as a table", command_list},
      {"memory", "weights, KV bytes per token and KV capacity of a deployment, as vLLM computes it", command_memory},
      {"recommend", "per GPU: minimum memory and TP, max concurrency, best max_num_seqs under a latency SLO", command_recommend},
      {"roofline", "per-layer FLOPs, bytes, intensity and predicted time of one serving step", command_roofline},
      {"calibrate", "fit a GPU's efficiency parameters to measured kernel times; write a GPU file", command_calibrate},
      {"fidelity", "score a GPU profile against measured kernel times (MAPE by operator, model, TP)", command_fidelity},
      {"replay", "simulate a real `vllm bench serve` result's requests; simulated vs measured metrics", command_replay},
      {"compare", "differences between two summary.csv files, run by run", command_compare},
      {"init", "write a commented starter experiment file", command_init},
      {"bench", "closed-loop concurrency sweep: latency, throughput, peak GPU memory (Llama profiler seed)", command_bench},
      {"report", "self-contained HTML report (Vega-Lite charts) of a `run` output folder; SVG export", command_report},
  };
  return list;
}

std::string usage() {
  std::string out =
      "usage: llmperforacle <command> [options]\n\n"
      "LLMPerfOracle: a discrete-event simulator of LLM serving, with a roofline cost model over a\n"
      "model library and GPU profiles.\n\ncommands:\n";
  for (const auto& command : subcommands()) out += "  " + std::string(command.name) + std::string(12 - std::string(command.name).size(), ' ') + command.summary + "\n";
  out += "  version     print the version\n\n"
         "`llmperforacle <command> --help` describes each command's options.\n"
         "exit codes: 0 success, 2 bad input (the message says what and where), 1 internal error,\n"
         "130 interrupted (Ctrl-C; finished runs are kept for `run --resume`).\n";
  return out;
}

}  // namespace

int run_cli(const Args& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << usage();
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "version" || args[0] == "--version") {
      out << "llmperforacle " << LLMPO_VERSION << (MpiSession::available() ? " (with MPI)" : " (without MPI)") << "\n";
      return kExitOk;
    }
    const Args rest(args.begin() + 1, args.end());
    std::vector<std::string> names;
    for (const auto& command : subcommands()) {
      if (args[0] == command.name) return command.run(rest, out);
      names.push_back(command.name);
    }
    std::string message = "unknown command '" + args[0] + "' (valid: " + join(names) + ", version)";
    const std::string hint = did_you_mean(args[0], names);
    if (!hint.empty()) message += "; " + hint;
    throw InputError(message);
  } catch (const InputErrors& errors) {
    out.flush();
    for (const auto& error : errors.errors()) err << "error: " << error.what() << "\n";
    if (errors.dropped() > 0) err << "error: ... and " << errors.dropped() << " more\n";
    err << errors.errors().size() + errors.dropped() << " errors; nothing was run\n";
    return kExitBadInput;
  } catch (const InputError& error) {
    out.flush();
    err << "error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const StoppedByUser& stopped) {
    out.flush();
    err << "interrupted: " << stopped.what() << "\n";
    return kExitInterrupted;
  } catch (const InternalError& error) {
    out.flush();
    err << "internal error (a bug in LLMPerfOracle, please report it): " << error.what() << "\n";
    return kExitInternalError;
  } catch (const std::exception& error) {
    out.flush();
    err << "internal error: " << error.what() << "\n";
    return kExitInternalError;
  }
}

}  // namespace llmpo
