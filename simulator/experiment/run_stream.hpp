#pragma once
// A finished run on its way from the process that simulated it (an MPI rank) to the one that
// writes the outputs, as a stream of small messages rather than one text: the rank sends its rows
// in chunks of about 1 MiB as they are formatted, and the leader appends each chunk to the run's
// file under partial/ as it arrives, so neither side holds a run's rows whole (a million requests
// are 150 MB of requests.csv rows).
//
// The messages of one run, in this order, all from one sender:
//   run   the run's index (decimal text)
//   rows  its requests.csv rows (only when requests are written), in chunks; then one empty rows
//         message, which ends the file
//   rows  its timeseries.csv rows, in chunks; then one empty rows message
//   json  the run's JSON (hash, summary row, table cells, and the size and SHA-256 of each rows
//         file, counted as sent), last: the leader checks what it received against it
// and once a sender has sent all its runs:
//   done  (empty)
// A sender's messages arrive in the order sent (MPI does not overtake between two processes), so
// the leader takes a `run` or `done` from whichever sender has one ready and then the rest of
// that run from that sender alone: a sender blocks only until the leader reaches it, never on
// anything the leader waits for, so several senders at once cannot deadlock.
#include <string>
#include <string_view>

namespace llmpo {

// The kinds double as MPI tags.
enum class RunMessageKind : int { run = 101, rows = 102, json = 103, done = 104 };

struct RunMessage {
  int source = -1;  // the sender (an MPI rank)
  RunMessageKind kind = RunMessageKind::done;
  std::string bytes;
};

// Where a sender's messages go (MPI: to rank 0).
class RunSender {
 public:
  virtual ~RunSender() = default;
  virtual void send(RunMessageKind kind, std::string_view bytes) = 0;
};

// Where the leader takes them from.
class RunReceiver {
 public:
  static constexpr int kAnySource = -1;
  virtual ~RunReceiver() = default;
  // Waits for the next message from `source` (or from any sender), into `message` (whose bytes'
  // capacity is reused: one buffer for a whole run).
  virtual void receive(int source, RunMessage& message) = 0;
};

}  // namespace llmpo
