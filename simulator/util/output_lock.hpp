#pragma once
// An output folder belongs to one command at a time. Two `run`s (or a `run` and a `capacity`)
// writing one --out used to interleave their rows into a folder that matched neither; now the
// command holds OUT/.llmperforacle.lock (an flock, with the holder's pid in the file) for its
// whole life, and a second one is refused naming that pid.
//
// The kernel drops an flock when its process dies, even by SIGKILL, so a lock file left by a
// dead process is simply taken over (with a warning naming the old pid). The file is removed
// when the lock is released: at the end of the command, on error exits too (destructor).
#include <string>

namespace llmpo {

class OutputLock {
 public:
  // `shared`: `run --shard I/N` processes write one folder together by design; they share the
  // lock with each other and exclude every exclusive holder (a whole run, merge, capacity).
  enum class Mode { exclusive, shared };
  static constexpr const char* kFileName = ".llmperforacle.lock";

  // Creates the folder when missing. Throws InputError (exit 2) naming the holder's pid when
  // another process holds the lock.
  explicit OutputLock(const std::string& directory, Mode mode = Mode::exclusive);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  Mode mode_;
};

}  // namespace llmpo
