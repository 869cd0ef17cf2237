#include "simulator/report/headless.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "simulator/util/atomic_file.hpp"
#include "simulator/util/error.hpp"

namespace llmpo::report {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string file_url(const fs::path& path) {
  std::string out = "file://";
  for (char c : fs::absolute(path).lexically_normal().string()) {
    if (std::isalnum(static_cast<unsigned char>(c)) || std::string("/-_.~").find(c) != std::string::npos) out += c;
    else out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

}  // namespace

std::string find_chromium(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("LLMPO_CHROMIUM"); env != nullptr && *env != '\0') return env;
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env : "/usr/bin:/bin");
  std::string dir;
  std::vector<std::string> dir_list;
  while (std::getline(dirs, dir, ':')) dir_list.push_back(dir);
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"})
    for (const auto& d : dir_list)
      if (!d.empty() && ::access((fs::path(d) / name).c_str(), X_OK) == 0) return (fs::path(d) / name).string();
  throw InputError({}, "--export-svg", "needs headless Chromium: install Debian's `chromium` (./dev.sh does), or "
                                       "name the browser with --chromium PATH or $LLMPO_CHROMIUM");
}

json render_headless(const fs::path& html, const std::string& chromium, bool with_svgs) {
  // A fresh profile per process: Chromium refuses a second instance on one profile.
  const fs::path profile = fs::temp_directory_path() / fmt::format("llmpo-report-chromium-{}", ::getpid());
  const std::string command = fmt::format(
      "timeout 180 {} --headless=new --disable-gpu --no-sandbox --no-first-run --user-data-dir={} "
      "--virtual-time-budget=60000 --dump-dom {} 2>/dev/null",
      shell_quote(chromium), shell_quote(profile.string()), shell_quote(file_url(html) + (with_svgs ? "#export" : "")));
  std::string dom;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw InputError({}, "--export-svg", "cannot start " + chromium);
  std::array<char, 65536> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) dom.append(buffer.data(), n);
  const int rc = ::pclose(pipe);
  std::error_code ignored;
  fs::remove_all(profile, ignored);
  const std::string open_tag = "<script type=\"application/json\" id=\"llmpo-status\">";
  const auto start = dom.find(open_tag);
  const auto end = start == std::string::npos ? start : dom.find("</script>", start);
  if (start == std::string::npos || end == std::string::npos)
    throw InputError({}, "--export-svg", fmt::format("{} did not render {} (exit status {}; the page left no status)",
                                                     chromium, html.string(), rc));
  return json::parse(dom.substr(start + open_tag.size(), end - start - open_tag.size()));
}

std::vector<std::string> export_svgs(const fs::path& html, const std::string& chromium, const fs::path& svg_dir) {
  const json status = render_headless(html, chromium, true);
  const auto errors = status.value("errors", json::array());
  if (!errors.empty()) throw InputError({}, "--export-svg", "the page reported errors: " + errors.dump());
  if (status.value("rendered", 0) != status.value("charts", -1))
    throw InputError({}, "--export-svg", "not every chart rendered: " + status.dump());
  ensure_directory(svg_dir.string());  // an input error when it cannot be made
  const json svgs = status.value("svgs", json::object());
  std::vector<std::string> written;
  for (const auto& [id, svg] : svgs.items()) {
    const fs::path path = svg_dir / (id + ".svg");
    write_file_atomically(path.string(), svg.get<std::string>());
    written.push_back(path.string());
  }
  return written;
}

}  // namespace llmpo::report
