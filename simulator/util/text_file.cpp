#include "text_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"

namespace llmpo {

std::string read_text_file(const std::string& path) {
  // POSIX calls into a string sized by fstat: one read for a small file, where an ifstream
  // copied the bytes through a stringstream twice (the libraries read ~65 files at start-up).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError({path, 0, 0}, "", "cannot open file");
  struct stat info {};
  const bool sized = ::fstat(fd, &info) == 0 && info.st_size > 0;
  // One byte more than the size, so that the read which finds the end needs no second buffer.
  std::string text(sized ? static_cast<std::size_t>(info.st_size) + 1 : 4096, '\0');
  std::size_t used = 0;
  bool ok = true;
  while (true) {
    if (used == text.size()) text.resize(text.size() * 2);
    const ssize_t got = ::read(fd, text.data() + used, text.size() - used);
    if (got > 0) used += static_cast<std::size_t>(got);
    else if (got == 0) break;
    else if (errno != EINTR) {
      ok = false;  // EISDIR for a folder, EIO
      break;
    }
  }
  ::close(fd);
  if (!ok) throw InputError({path, 0, 0}, "", "cannot open file");
  text.resize(used);
  return text;
}

bool for_each_file_chunk(const std::string& path, const std::function<void(std::string_view)>& consume) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const auto buffer = std::make_unique_for_overwrite<char[]>(kFileChunkBytes);
  while (true) {
    const ssize_t got = ::read(fd, buffer.get(), kFileChunkBytes);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      throw InputError({path, 0, 0}, "", "reading the file failed");
    }
    try {
      consume(std::string_view(buffer.get(), static_cast<std::size_t>(got)));
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  ::close(fd);
  return true;
}

}  // namespace llmpo
