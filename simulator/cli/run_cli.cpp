// Subcommand dispatch and the one place where errors become messages and exit codes.
#include <exception>
#include <iostream>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli_docs.hpp"
#include "commands.hpp"
#include "mpi_session.hpp"
#include "output_format.hpp"
#include "simulator/core/run_control.hpp"
#include "simulator/util/does_not_fit.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

#ifndef LLMPO_VERSION
#define LLMPO_VERSION "unknown"
#endif

namespace llmpo {

namespace {

// `llmperforacle version`: declared like every command so that --help, the man page and the
// completion describe it without a special case.
int command_version(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle version", "Print the version, and whether this build can split runs over MPI ranks.");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  out << "llmperforacle " << LLMPO_VERSION << " (" << MpiSession::version_note() << ")\n";
  return kExitOk;
}

// Greedy wrap at `width` columns, continuation lines starting at column 0.
std::string wrapped(const std::string& text, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line + "\n";
}

std::string usage() {
  std::string out = "usage: llmperforacle [--verbose | --quiet] <command> [options]\n\n" + std::string(program_description()) +
                    "\n\ncommands:\n";
  for (const auto& command : subcommands())
    out += "  " + std::string(command.name) + std::string(12 - std::string(command.name).size(), ' ') + command.summary + "\n";
  out += "\n`llmperforacle <command> --help` (or `llmperforacle help <command>`) describes each command's options.\n";
  out += "Before the command, --verbose (-v) shows diagnostics down to debug level and --quiet (-q) only errors.\n";
  std::string codes;
  for (const auto& code : exit_code_docs()) {
    // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wstringop-overflow) on
    // `const char* + std::string&&`, which inserts at the front of the temporary.
    if (!codes.empty()) codes += ", ";
    codes += std::to_string(code.code);
    codes += ' ';
    codes += code.meaning;
  }
  return out + wrapped("exit codes: " + codes + ".", 96);
}

}  // namespace

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
      {"step", "one vLLM V1 engine step part by part (GEMMs, attention, graphs, host): e.g. the batch-1 TPOT", command_step},
      {"calibrate", "fit a GPU's efficiency parameters to measured kernel times; write a GPU file", command_calibrate},
      {"fidelity", "score a GPU profile against measured kernel times (MAPE by operator, model, TP)", command_fidelity},
      {"replay", "simulate a real `vllm bench serve` result's requests; simulated vs measured metrics", command_replay},
      {"compare", "differences between two summary.csv files, run by run", command_compare},
      {"init", "write a commented starter experiment file", command_init},
      {"import-lpo", "convert a config of the Python LLMPerfOracle to an experiment file, noting what has no equivalent", command_import_lpo},
      {"bench", "closed-loop concurrency sweep: latency, throughput, peak GPU memory (Llama profiler seed)", command_bench},
      {"report", "self-contained HTML report (Vega-Lite charts) of a `run`, `search` or `capacity` folder; SVG export", command_report},
      {"completion", "print a shell completion script (bash)", command_completion},
      {"man", "print the llmperforacle(1) manual page (roff)", command_man},
      {"version", "print the version", command_version},
  };
  return list;
}

std::vector<CommandDoc> command_docs() {
  std::vector<CommandDoc> docs;
  for (const auto& command : subcommands()) {
    DeclarationCapture capture;
    std::ostringstream discarded;  // the help text the command prints when its parse() says stop
    command.run({"--help"}, discarded);
    // Exactly one parser per command: a second one would be options --help does not show.
    if (capture.captured().size() != 1)
      throw InternalError(fmt::format("command '{}' declared {} argument parsers, expected 1", command.name,
                                      capture.captured().size()));
    docs.push_back({command.name, command.summary, capture.captured().front()});
  }
  return docs;
}

const std::vector<OptionSpec>& global_options() {
  static const std::vector<OptionSpec> options = {
      {"help", "", "list the commands (-h and `help` too; `help COMMAND` is `COMMAND --help`)", "", false, false, false, {}},
      {"version", "", "print the version (as `version`)", "", false, false, false, {}},
      {"verbose", "", "before the command (-v too): diagnostics down to debug level on stderr - the files read, "
                      "each workload generated and each run simulated, with their times", "", false, false, false, {}},
      {"quiet", "", "before the command (-q too): diagnostics on stderr only for errors (no warnings); what the "
                    "command prints is unchanged (a command's own --quiet also silences that)", "", false, false, false, {}},
  };
  return options;
}

bool is_global_logging_option(const std::string& arg) {
  return arg == "--verbose" || arg == "-v" || arg == "--quiet" || arg == "-q";
}

const std::vector<ExitCodeDoc>& exit_code_docs() {
  static const std::vector<ExitCodeDoc> codes = {
      {kExitOk, "success"},
      {kExitBadInput, "bad input (the message says what and where)"},
      {kExitDoesNotFit, "the deployment does not fit the GPUs' memory (memory, bench, step, replay; the message names "
                        "the flags that would make it fit)"},
      {kExitInternalError, "internal error"},
      {kExitInterrupted, "interrupted (Ctrl-C; finished runs are kept for `run --resume`)"},
      {kExitTerminated, "stopped by SIGTERM (as 130; finished runs are kept for `run --resume`)"},
  };
  return codes;
}

const char* program_description() {
  return "LLMPerfOracle: a discrete-event simulator of LLM serving, with a roofline cost model over a\n"
         "model library and GPU profiles.";
}

const char* program_version() { return LLMPO_VERSION; }

// spdlog's default logger writes to stdout, which carries the data under --format csv|json:
// notices (a stale lock taken over, a damaged saved run) go to stderr as "warning: ...".
void log_to_stderr() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_logger_mt("llmperforacle");
    logger->set_pattern("%l: %v");
    spdlog::set_default_logger(logger);
  });
}

namespace {

// Takes the global logging options off the front of `args` and sets spdlog's level from them
// (info without either: a process may call run_cli more than once).
Args apply_logging_options(const Args& args) {
  std::size_t first = 0;
  std::string verbose, quiet;  // as spelled, for the error naming both
  for (; first < args.size() && is_global_logging_option(args[first]); ++first)
    (args[first] == "--verbose" || args[first] == "-v" ? verbose : quiet) = args[first];
  if (!verbose.empty() && !quiet.empty())
    throw InputError(fmt::format("{} and {} ask for opposite things; give one of them", verbose, quiet));
  spdlog::set_level(!verbose.empty() ? spdlog::level::debug : !quiet.empty() ? spdlog::level::err : spdlog::level::info);
  return Args(args.begin() + static_cast<std::ptrdiff_t>(first), args.end());
}

}  // namespace

int run_cli(const Args& all_args, std::ostream& out, std::ostream& err) {
  log_to_stderr();
  try {
    const Args args = apply_logging_options(all_args);
    // `help COMMAND` is `COMMAND --help`, word for word (an unknown COMMAND is the usual error).
    if (args.size() >= 2 && args[0] == "help") return run_cli({args[1], "--help"}, out, err);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << usage();
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") return command_version({}, out);
    const Args rest(args.begin() + 1, args.end());
    const NarrativeStreamScope narrative(err);  // --format csv|json: headings and logs go to `err`
    std::vector<std::string> names;
    for (const auto& command : subcommands()) {
      if (args[0] == command.name) return command.run(rest, out);
      names.push_back(command.name);
    }
    std::string message = "unknown command '" + args[0] + "' (valid: " + join(names) + ")";
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
  } catch (const DoesNotFit& error) {
    out.flush();
    err << "error: " << error.what() << "\n";
    return kExitDoesNotFit;
  } catch (const StoppedByUser& stopped) {
    out.flush();
    err << "interrupted: " << stopped.what() << "\n";
    const auto* by_signal = dynamic_cast<const StoppedBySignal*>(&stopped);
    return by_signal != nullptr ? by_signal->exit_code() : kExitInterrupted;
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
