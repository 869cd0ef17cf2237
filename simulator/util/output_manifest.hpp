#pragma once
// The file list of manifest.json: every output of a run with its size and SHA-256, written
// after the outputs themselves are on disk. A folder where a command was killed half-way
// through replacing its outputs, or where two commands wrote at once, fails this check and is
// refused by its readers (`report`, `compare`, `merge`, `run --resume`) instead of being read
// as one experiment.
//
//   "files": {"summary.csv": {"size": 1234, "sha256": "<64 hex>"}, "vllm/000000-v.json": {...}}
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmpo {

constexpr const char* kManifestName = "manifest.json";

// The "files" object for `names` (relative to `directory`), read back from disk.
nlohmann::json describe_files(const std::string& directory, const std::vector<std::string>& names);

// OUT/manifest.json parsed; InputError naming it when missing, not JSON, or not an object.
nlohmann::json read_manifest(const std::string& directory);

// Checks every file the manifest lists against its size and SHA-256, that `required` are
// listed, and that none of `known` (outputs a run may write) is present without being listed.
// Throws InputError naming the file and what is wrong.
void verify_manifest_files(const std::string& directory, const nlohmann::json& manifest,
                           const std::vector<std::string>& required, const std::vector<std::string>& known);

// The outputs every `run` folder has, and those it may have.
const std::vector<std::string>& run_required_outputs();
const std::vector<std::string>& run_optional_outputs();

// read_manifest + verify_manifest_files for a `run` output folder; returns the manifest.
nlohmann::json verified_run_manifest(const std::string& directory);

}  // namespace llmpo
