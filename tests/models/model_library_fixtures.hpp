#pragma once
// Shared by the model-library tests: the library loaded once, error capture, a minimal model
// file whose lines the malformed-file tests replace, and a temporary folder.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "simulator/util/error.hpp"

namespace llmpo::test {


namespace fs = std::filesystem;

// One library, loaded once for the whole file (35 files; loading is cheap but not free).
inline const ModelLibrary& library() {
  static const ModelLibrary lib = ModelLibrary::load_default();
  return lib;
}

// what() of the InputError `action` throws; fails the test when it throws nothing.
template <typename Action>
inline std::string error_of(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

// The InputError itself (for pos() and key_path()); fails the test when nothing is thrown.
template <typename Action>
inline InputError input_error_of(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return InputError("unreachable");
}

// A minimal valid model file. Line numbers matter: the malformed-file tests below replace,
// drop or add lines and expect errors at the line (and column) worked out from this listing.
inline const std::vector<std::string> kTinyLines = {
    "id: Tiny-Test",                  //  1
    "family: llama",                  //  2
    "architecture:",                  //  3
    "  num_layers: 2",                //  4
    "  hidden_size: 64",              //  5
    "  num_attention_heads: 4",       //  6
    "  num_kv_heads: 2",              //  7
    "  head_dim: 16",                 //  8
    "  intermediate_size: 128",       //  9
    "  vocab_size: 1000",             // 10
    "  max_position_embeddings: 512", // 11
    "  tie_word_embeddings: false",   // 12
    "  activation: silu",             // 13
    "  gated_mlp: true",              // 14
    "  norm: rmsnorm",                // 15
    "  dtype: bfloat16",              // 16
};

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

inline std::string tiny_yaml() { return join_lines(kTinyLines); }

// Line `number` (1-based) replaced by `text`.
inline std::string tiny_with_line(int number, const std::string& text) {
  auto lines = kTinyLines;
  lines.at(static_cast<std::size_t>(number - 1)) = text;
  return join_lines(lines);
}

// Line `number` (1-based) removed.
inline std::string tiny_without_line(int number) {
  auto lines = kTinyLines;
  lines.erase(lines.begin() + (number - 1));
  return join_lines(lines);
}

// `text` added as line 17 (inside the architecture mapping when indented by two spaces).
inline std::string tiny_plus_line(const std::string& text) {
  auto lines = kTinyLines;
  lines.push_back(text);
  return join_lines(lines);
}

// A fresh, empty folder under /tmp, removed when the object goes out of scope.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::path("/tmp") / ("llmpo-test-models-" + std::to_string(::getpid()) + "-" +
                               std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path file = path / name;
    std::ofstream(file) << text;
    return file.string();
  }
};


}  // namespace llmpo::test
