#include "output_manifest.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "error.hpp"
#include "sha256.hpp"

namespace llmpo {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMixedAdvice =
    "the folder does not hold one complete set of outputs (a command was interrupted while writing it, or two "
    "wrote it at once): run the experiment again (`run --resume` finishes one interrupted with partial/ left, "
    "`run --restart` replaces the outputs)";

// A manifest may only vouch for files inside its folder.
bool plain_relative(const std::string& name) {
  if (name.empty() || name.find('\0') != std::string::npos || name.find('\\') != std::string::npos) return false;
  const fs::path path(name);
  if (path.is_absolute()) return false;
  for (const auto& part : path)
    if (part == ".." || part == "." || part.empty()) return false;
  return true;
}

}  // namespace

nlohmann::json describe_files(const std::string& directory, const std::vector<std::string>& names) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& name : names) {
    const FileDigest digest = digest_file((fs::path(directory) / name).string());
    files[name] = {{"size", digest.size}, {"sha256", digest.sha256}};
  }
  return files;
}

nlohmann::json read_manifest(const std::string& directory) {
  const std::string path = (fs::path(directory) / kManifestName).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "", std::string("missing or unreadable: ") + kMixedAdvice);
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& error) {
    throw InputError({path, 0, 0}, "", std::string("not valid JSON: ") + error.what());
  }
  if (!manifest.is_object())
    throw InputError({path, 0, 0}, "", fmt::format("is a JSON {}, not the object `llmperforacle run` writes",
                                                   manifest.type_name()));
  return manifest;
}

void verify_manifest_files(const std::string& directory, const nlohmann::json& manifest,
                           const std::vector<std::string>& required, const std::vector<std::string>& known) {
  const std::string manifest_path = (fs::path(directory) / kManifestName).string();
  const auto files = manifest.find("files");
  if (files == manifest.end() || !files->is_object())
    throw InputError({manifest_path, 0, 0}, "files",
                     "missing or not an object: the manifest records no output sizes and SHA-256 hashes (an older "
                     "llmperforacle, or not written by `run`), so the folder cannot be checked; run the experiment "
                     "again");
  for (const auto& [name, entry] : files->items()) {
    if (!plain_relative(name))
      throw InputError({manifest_path, 0, 0}, "files", fmt::format("'{}' is not a file inside the folder", name));
    const auto size = entry.is_object() ? entry.find("size") : entry.end();
    const auto sha = entry.is_object() ? entry.find("sha256") : entry.end();
    if (!entry.is_object() || size == entry.end() || !size->is_number_unsigned() || sha == entry.end() ||
        !sha->is_string() || sha->get<std::string>().size() != 64)
      throw InputError({manifest_path, 0, 0}, "files." + name,
                       "must be {\"size\": <bytes>, \"sha256\": \"<64 hex digits>\"}");
  }
  for (const auto& name : required)
    if (!files->contains(name))
      throw InputError({manifest_path, 0, 0}, "files", fmt::format("does not list {}, which every run writes", name));
  for (const auto& name : known)
    if (!files->contains(name) && fs::exists(fs::path(directory) / name))
      throw InputError({(fs::path(directory) / name).string(), 0, 0}, "",
                       fmt::format("is not listed in {}: {}", kManifestName, kMixedAdvice));
  for (const auto& [name, entry] : files->items()) {
    const auto size = entry.find("size");
    const auto sha = entry.find("sha256");
    const std::string path = (fs::path(directory) / name).string();
    std::error_code error;
    if (!fs::is_regular_file(path, error))
      throw InputError({path, 0, 0}, "", fmt::format("listed in {} but missing: {}", kManifestName, kMixedAdvice));
    const FileDigest digest = digest_file(path);
    if (digest.size != size->get<uint64_t>())
      throw InputError({path, 0, 0}, "",
                       fmt::format("is {} bytes, {} records {}: {}", digest.size, kManifestName,
                                   size->get<uint64_t>(), kMixedAdvice));
    if (digest.sha256 != sha->get<std::string>())
      throw InputError({path, 0, 0}, "",
                       fmt::format("its SHA-256 differs from the one {} records: {}", kManifestName, kMixedAdvice));
  }
}

const std::vector<std::string>& run_required_outputs() {
  static const std::vector<std::string> names = {"summary.csv", "timeseries.csv"};
  return names;
}

const std::vector<std::string>& run_optional_outputs() {
  static const std::vector<std::string> names = {"requests.csv"};
  return names;
}

nlohmann::json verified_run_manifest(const std::string& directory) {
  nlohmann::json manifest = read_manifest(directory);
  verify_manifest_files(directory, manifest, run_required_outputs(), run_optional_outputs());
  return manifest;
}

}  // namespace llmpo
