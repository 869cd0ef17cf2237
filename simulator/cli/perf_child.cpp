#include "perf_child.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

double seconds_of(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void check_executable(const std::string& path, const std::string& flag) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw InputError({}, flag, fmt::format("'{}' does not exist (expected the path of an llmperforacle binary, e.g. "
                                           "another checkout's build/bin/llmperforacle)", path));
  if (!S_ISREG(info.st_mode)) throw InputError({}, flag, fmt::format("'{}' is not a regular file (expected an llmperforacle binary)", path));
  if (::access(path.c_str(), X_OK) != 0)
    throw InputError({}, flag, fmt::format("'{}' is not executable (chmod +x it, or give an llmperforacle binary)", path));
}

ChildRun run_child(const std::string& binary, const std::vector<std::string>& args) {
  // stdout through a pipe (read while the child runs, so a large document cannot block it);
  // stderr into a temporary file, read at the end for error messages.
  char err_template[] = "/tmp/llmpo-perf-child-XXXXXX";
  const int err_fd = ::mkstemp(err_template);
  if (err_fd < 0) throw std::runtime_error(fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
  const std::string err_path = err_template;
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) {
    ::close(err_fd);
    std::filesystem::remove(err_path);
    throw std::runtime_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  std::vector<std::string> argv_text{binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err_fd);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    std::filesystem::remove(err_path);
    throw std::runtime_error(fmt::format("cannot start {}: {}", binary, std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_fd);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);  // as a shell reports a command it cannot run
  }
  ::close(out_pipe[1]);
  ::close(err_fd);
  ChildRun run;
  char buffer[65536];
  for (;;) {
    const ssize_t count = ::read(out_pipe[0], buffer, sizeof buffer);
    if (count > 0) run.out.append(buffer, static_cast<std::size_t>(count));
    else if (count == 0 || errno != EINTR) break;
  }
  ::close(out_pipe[0]);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.cpu_s = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  run.peak_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.err = read_whole_file(err_path);
  std::filesystem::remove(err_path);
  return run;
}

PerfJsonFigures parse_perf_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(fmt::format("{} printed no JSON document: {}", source, error.what()));
  }
  const auto number = [&](const nlohmann::json& object, const std::string& key, const std::string& where) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
      throw std::runtime_error(fmt::format("{}: its perf JSON has no number {}.{}", source, where, key));
    return object[key].get<double>();
  };
  PerfJsonFigures figures;
  if (!j.is_object() || !j.contains("runs") || !j["runs"].is_array())
    throw std::runtime_error(fmt::format("{}: its perf JSON has no array \"runs\"", source));
  for (const auto& row : j["runs"])
    figures.run_wall_s.emplace_back(static_cast<int64_t>(number(row, "requests", "runs[]")), number(row, "wall_s", "runs[]"));
  figures.idle_busy_wall_s = number(j.value("idle", nlohmann::json()), "busy_wall_s", "idle");
  figures.idle_paused_wall_s = number(j.value("idle", nlohmann::json()), "paused_wall_s", "idle");
  if (j.contains("prefix") && !j["prefix"].is_null()) {
    const nlohmann::json& prefix = j["prefix"];
    figures.prefix_wall_s = number(prefix.value("with_content_identity", nlohmann::json()), "wall_s", "prefix.with_content_identity") +
                            number(prefix.value("content_cleared", nlohmann::json()), "wall_s", "prefix.content_cleared");
  }
  return figures;
}

}  // namespace llmpo
