#pragma once
// The output folder of `llmperforacle run`: summary.csv (one row per run, units in column
// names), requests.csv (one row per request, tagged with its run), timeseries.csv, and
// manifest.json (resolved configuration, seeds, program version, each run's configuration
// hash).
//
// Long sweeps lose at most the runs in flight: each run is saved as it finishes, under
// OUT/partial/ (its summary row, its CSV rows, its configuration hash; every file atomic, the
// run's JSON last). The rows are streamed: formatted into a buffer of about 1 MiB that goes to
// the file whenever full, and copied file to file when the outputs are assembled, so memory does
// not grow with the number of requests; sizes and SHA-256 are counted on the way, never by
// reading a file back whole. When all runs are there, the four files are assembled in plan order - so
// outputs are byte-identical run to run whatever order runs finished in, resumed or not - each
// written atomically, then manifest.json with each file's size and SHA-256, and partial/ is
// removed. Each saved run's JSON records the size and SHA-256 of its rows too: `--resume` keeps
// the saved runs whose hash matches the plan's and whose rows are intact, and runs the others.
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_executor.hpp"
#include "run_stream.hpp"
#include "simulator/util/chunked_text.hpp"
#include "simulator/util/table.hpp"

namespace llmpo {

using CsvRow = std::vector<std::pair<std::string, std::string>>;  // (column, value) in order

// What to do with runs an earlier, interrupted command left in OUT/partial.
enum class PartialRuns {
  refuse,   // default: an input error that says --resume or --restart
  resume,   // keep those whose configuration hash matches
  restart,  // discard them
  shared,   // other processes (Slurm shards) write here too: keep matching runs, remove nothing
};

class ResultsWriter {
 public:
  ResultsWriter(const ExperimentPlan& plan, std::string out_dir, bool write_requests, PartialRuns partial);

  bool finished(int64_t run) const { return saved_[static_cast<std::size_t>(run)].present; }
  int64_t finished_count() const;
  // --resume on a folder whose outputs are complete for exactly this plan: nothing to do.
  bool already_complete() const { return already_complete_; }

  // Saves one finished run under OUT/partial at once, its rows streamed to their files. Runs may
  // be added in any order.
  void add(const RunOutcome& outcome, const Workload& workload);
  // An MPI rank's part (see run_stream.hpp): sends a run it simulated to the leader, its rows
  // formatted into chunks of `chunk_bytes` (a row is never split) that are sent as they fill, with
  // their size and SHA-256 counted on the way, then its JSON. Nothing of the size of the rows is
  // held.
  static void send_run(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload,
                       bool write_requests, RunSender& to, std::size_t chunk_bytes = ChunkedText::kDefaultChunkBytes);
  // The leader's part: receives runs until each of `senders` has sent `done`, saving each under
  // OUT/partial as add() does, its rows appended to their files chunk by chunk as they arrive and
  // checked against the sizes and SHA-256 its JSON records (InternalError when they differ: the
  // run is not saved). May run on a thread of its own while add() saves the runs made here.
  void receive_runs(RunReceiver& from, int senders);
  // Copies the saved runs of another output folder (a shard's) whose hash matches; returns them.
  std::vector<int64_t> import_from(const std::string& other_out_dir);
  // Assembles the four files from the saved runs and replaces the folder's outputs as one set:
  // the old manifest.json is removed first, and the new one, listing every output's size and
  // SHA-256, is written last, after the outputs are flushed to disk. `extra_outputs` are other
  // files of this run (relative: "vllm/v-4.0qps-Llama-3-8B-19700101-000000.json"), listed in the
  // manifest too; files an earlier experiment left (report.html, the vllm/*.json its manifest
  // listed that this run does not write) are removed. Returns the
  // paths of the four files.
  std::vector<std::string> finish(const std::string& command_line, const std::vector<std::string>& extra_outputs = {});

  // How many vllm/*.json files of an earlier experiment finish() removed.
  int64_t stale_removed() const { return stale_removed_; }

  // The terminal comparison of the runs, in plan order (saved runs included).
  std::string comparison_table() const;
  // The same rows as a table (display text).
  TextTable comparison() const;
  // Every saved run's summary.csv row, in plan order: what `run --format csv|json` prints.
  std::vector<CsvRow> summary_rows() const;

  // The summary row of a run: identity, workload, then every metric.
  static CsvRow summary_row(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload);
  // A hash of everything that determines a run's results (its point's experiment text, the
  // resolved deployment, the program version, whether requests are written).
  static std::string config_hash(const ExperimentPlan& plan, const RunSpec& run, bool write_requests);

 private:
  struct Saved {
    bool present = false;
    CsvRow summary;
    std::vector<std::string> table_cells;
    nlohmann::json files;  // its rows files' sizes and SHA-256, by suffix (as its JSON records them)
  };
  std::string partial_dir() const;
  std::string fragment_path(int64_t run, const std::string& suffix) const;
  void open_partial(PartialRuns partial);
  bool load_fragment(int64_t run);
  // The rest of one run from `source`, whose `run` message `message` holds.
  void receive_run(RunReceiver& from, RunMessage& message);
  // Its rows files and JSON, saved under partial/ as they arrive (the JSON when all is checked).
  void save_received_run(RunReceiver& from, int64_t run, RunMessage& message);
  // `run`, when it is an index of the plan's runs.
  int64_t checked_run(int64_t run) const;
  // Marks a run saved, with the summary row and table cells of its JSON (whose hash the caller
  // has checked against this plan's).
  void record_saved(int64_t run, const nlohmann::json& json);
  // Removes what an earlier experiment left (`earlier_vllm`: the vllm/ files its manifest
  // listed); returns those of `extra_outputs` that exist.
  std::vector<std::string> remove_stale_outputs(const std::vector<std::string>& extra_outputs,
                                                const std::vector<std::string>& earlier_vllm);

  const ExperimentPlan& plan_;
  std::string out_dir_;
  bool write_requests_;
  std::vector<std::string> hashes_;  // per run
  std::vector<Saved> saved_;         // per run
  std::mutex saved_mutex_;           // record_saved: received runs are saved on a thread of their own
  bool already_complete_ = false;
  int64_t stale_removed_ = 0;
};

// Numbers in output files: shortest round-trip form, so files are exact and stable.
std::string number(double value);

}  // namespace llmpo
