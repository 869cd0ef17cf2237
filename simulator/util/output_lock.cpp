#include "output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "atomic_file.hpp"
#include "error.hpp"

namespace llmpo {

namespace {

// The pid recorded in the lock file, or 0 when it holds none (empty, or being rewritten).
long recorded_pid(int fd) {
  char text[32] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return end != text && pid > 0 ? pid : 0;
}

bool same_file(int fd, const std::string& path) {
  struct stat by_fd {}, by_path {};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

}  // namespace

OutputLock::OutputLock(const std::string& directory, Mode mode)
    : path_((std::filesystem::path(directory) / kFileName).string()), mode_(mode) {
  ensure_directory(directory);
  // A releasing holder unlinks the file while still locking it: a lock won on that unlinked
  // file would exclude nobody, so check the path still names the locked file, else retry.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw InputError({directory, 0, 0}, "", fmt::format("cannot create the lock file {}: {}", path_, std::strerror(errno)));
    if (::flock(fd, (mode == Mode::shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      const int error = errno;
      const long holder = recorded_pid(fd);
      ::close(fd);
      if (error != EWOULDBLOCK)
        throw InputError({directory, 0, 0}, "", fmt::format("cannot lock {}: {}", path_, std::strerror(error)));
      throw InputError({directory, 0, 0}, "",
                       fmt::format("is in use by another llmperforacle process ({}; lock file {}): wait for it to "
                                   "finish or write elsewhere with --out",
                                   holder > 0 ? fmt::format("pid {}", holder) : std::string("pid not recorded yet"),
                                   path_));
    }
    if (!same_file(fd, path_)) {
      ::close(fd);
      continue;
    }
    // An exclusive lock on a file naming another pid: that process ended without releasing
    // (killed, or the machine stopped). Shared holders may list each other: no warning there.
    const long previous = recorded_pid(fd);
    if (mode == Mode::exclusive && previous > 0 && previous != ::getpid())
      spdlog::warn("{}: taking over the stale lock left by process {}, which ended without releasing it", directory,
                   previous);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (mode == Mode::exclusive && ::ftruncate(fd, 0) != 0) {
      ::close(fd);
      throw InputError({directory, 0, 0}, "", fmt::format("cannot write the lock file {}", path_));
    }
    if (::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      ::close(fd);
      throw InputError({directory, 0, 0}, "", fmt::format("cannot write the lock file {}", path_));
    }
    fd_ = fd;
    return;
  }
  throw InputError({directory, 0, 0}, "", fmt::format("cannot lock {}: it keeps being replaced", path_));
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  // Unlinked while still held (see the constructor). A shared holder removes the file only when
  // no other shard shares it any more, which is when the upgrade to exclusive succeeds.
  if (mode_ == Mode::exclusive || ::flock(fd_, LOCK_EX | LOCK_NB) == 0) ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace llmpo
