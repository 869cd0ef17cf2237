#pragma once
// Runs experiment files through the real command line into a fresh temporary folder.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "simulator/cli/commands.hpp"

namespace llmpo::test {

struct CliRun {
  int code = -1;
  std::string out, err;
};

// Two small deployments of Llama-3-8B on one H100 each, Poisson arrivals.
inline const char* kTwoFrameworks = R"(simulation:
  seed: 5
  slo: {ttft_ms: 500}
hardware:
  gpu0: {preset: H100-SXM, count: 2}
workload:
  arrival: {process: poisson, rate_per_s: 20}
  num_requests: 400
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 8, max: 256}
frameworks_to_test:
  - name: "alpha"
    type: "VLLM"
    config:
      model_profile_id: "Llama3-8B"
      gpu_id: "gpu0"
      max_num_seqs: 64
  - name: "beta"
    type: "STATIC"
    config:
      model_profile_id: "Llama3-8B"
      gpu_id: "gpu0"
      batch_size: 8
)";

inline CliRun run_cli_args(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

// The folders fresh_dir made, removed when the test process exits (ctest runs each test case in a
// process of its own; children the tests fork leave with _exit or exec, never through here).
// Without this every suite run left thousands of folders behind, some of 150 MB (22,000 had piled
// up in /tmp, 23 GB).
struct FreshDirs {
  std::vector<std::filesystem::path> made;
  ~FreshDirs() {
    std::error_code ignored;
    for (const auto& dir : made) std::filesystem::remove_all(dir, ignored);
  }
};
inline FreshDirs& fresh_dirs() {
  static FreshDirs dirs;
  return dirs;
}

// A fresh folder under the system temp dir, unique per call, removed when the test process exits.
inline std::string fresh_dir(const std::string& tag) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("llmpo-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  fresh_dirs().made.push_back(dir);
  return dir.string();
}

inline std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// `text` with each `from` replaced by its `to`; a `from` that does not occur fails the test.
inline std::string with_edits(std::string text, const std::vector<std::pair<std::string, std::string>>& edits) {
  for (const auto& [from, to] : edits) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  return text;
}

// An experiment text written to a fresh folder and validated (with `extra` arguments).
struct Checked {
  std::string file;
  CliRun run;
};
inline Checked validate_text(const std::string& text, const std::string& tag, const std::vector<std::string>& extra = {}) {
  Checked out{write_file(fresh_dir(tag), "exp.yaml", text), {}};
  std::vector<std::string> args = {"validate", out.file};
  args.insert(args.end(), extra.begin(), extra.end());
  out.run = run_cli_args(args);
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs `file` with bulk decoding into OUT/bulk and again step by step (--step-by-step) into
// OUT/step: summary.csv, requests.csv and timeseries.csv must be the same, byte for byte.
inline void check_bulk_matches_stepping(const std::string& file, const std::string& out) {
  REQUIRE(run_cli_args({"run", file, "--out", out + "/bulk", "--quiet"}).code == 0);
  REQUIRE(run_cli_args({"run", file, "--out", out + "/step", "--quiet", "--step-by-step"}).code == 0);
  for (const std::string name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(out << " " << name);
    const std::string bulk = read_file(out + "/bulk/" + name);
    CHECK(bulk.size() > 100);
    CHECK(bulk == read_file(out + "/step/" + name));
  }
}

// A CSV as rows of cells, honouring double-quoted cells (which may hold commas).
inline std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          cells.back() += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          cells.back() += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.emplace_back();
      } else {
        cells.back() += c;
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

inline std::size_t column(const std::vector<std::vector<std::string>>& csv, const std::string& name) {
  for (std::size_t i = 0; i < csv.front().size(); ++i)
    if (csv.front()[i] == name) return i;
  throw std::runtime_error("no column " + name);
}

}  // namespace llmpo::test
