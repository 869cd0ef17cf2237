#include "atomic_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "error.hpp"

namespace llmpo {

void ensure_directory(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw InputError({directory, 0, 0}, "", "cannot create output folder: " + error.message());
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError({path, 0, 0}, "", "cannot write output file");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) throw InputError({path, 0, 0}, "", "writing the output file failed (disk full?)");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw InputError({path, 0, 0}, "", "cannot move the finished output file into place");
  }
}

}  // namespace llmpo
