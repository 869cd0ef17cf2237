#pragma once
// Which runs of a plan this process simulates when a sweep is split over processes: run r
// belongs to shard r mod count (round robin spreads a sweep's cheap and costly points evenly).
#include <cstdint>
#include <optional>
#include <string>

namespace llmpo {

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
  std::string source;  // where it came from, for messages: "--shard", "Slurm job array", "MPI"
  bool owns(int64_t run) const { return run % count == index; }
  bool split() const { return count > 1; }
};

// `--shard i/n` (0 <= i < n); without it, a Slurm job array's SLURM_ARRAY_TASK_ID,
// SLURM_ARRAY_TASK_MIN (default 0) and SLURM_ARRAY_TASK_COUNT when they are set; else one shard.
// InputError for malformed text or environment.
Shard shard_from(const std::optional<std::string>& flag);

}  // namespace llmpo
