#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "error.hpp"

namespace llmpo {

namespace {

constexpr const char* kTemporaryMarker = ".tmp.";

// Where a file is built before it is renamed over `path`. The process id keeps two runs writing
// into one folder from sharing a temporary file.
std::string temporary_path(const std::string& path) { return path + kTemporaryMarker + std::to_string(::getpid()); }

// The finished temporary file becomes `path` (the rename is atomic); removed when it cannot.
void move_into_place(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw InputError({path, 0, 0}, "", "cannot move the finished output file into place");
  }
}

}  // namespace

void ensure_directory(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw InputError({directory, 0, 0}, "", "cannot create output folder: " + error.message());
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = temporary_path(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError({path, 0, 0}, "", "cannot write output file");
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(temporary.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      throw InputError({path, 0, 0}, "", "writing the output file failed (disk full?)");
    }
  }
  move_into_place(temporary, path);
}

bool link_file_atomically(const std::string& from, const std::string& path) {
  const std::string temporary = temporary_path(path);
  std::remove(temporary.c_str());
  if (::link(from.c_str(), temporary.c_str()) != 0) return false;
  move_into_place(temporary, path);
  return true;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(content.data(), static_cast<std::streamsize>(content.size())); });
}

namespace {

void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw InputError({path, 0, 0}, "", std::string("cannot open to flush to disk: ") + std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!synced) throw InputError({path, 0, 0}, "", std::string("flushing to disk failed: ") + std::strerror(error));
}

}  // namespace

void sync_file(const std::string& path) { sync_path(path, O_RDONLY); }

void sync_directory(const std::string& directory) { sync_path(directory, O_RDONLY | O_DIRECTORY); }

void remove_stale_temporaries(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(directory, error)) return;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    const auto marker = name.rfind(kTemporaryMarker);
    if (marker == std::string::npos || !entry.is_regular_file(error)) continue;
    const std::string pid = name.substr(marker + 6);
    if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos) fs::remove(entry.path(), error);
  }
}

}  // namespace llmpo
