#include "vllm_version.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// Minor release -> behaviour. The boundaries, with their sources, are on VllmBehaviour's fields.
std::vector<VllmBehaviour> make_table() {
  std::vector<VllmBehaviour> rows;
  for (int minor = 10; minor <= 21; ++minor) {
    VllmBehaviour b;
    b.version = fmt::format("0.{}", minor);
    b.full_cudagraphs = minor >= 11;
    b.capture_step_16_above_256 = minor >= 12;
    b.async_scheduling = minor >= 14;
    b.reserve_full_isl = minor >= 19;
    b.cudagraph_memory_in_kv_sizing = minor >= 21;
    rows.push_back(b);
  }
  return rows;
}

const std::vector<VllmBehaviour>& table() {
  static const std::vector<VllmBehaviour> rows = make_table();
  return rows;
}

}  // namespace

const std::vector<std::string>& vllm_version_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& row : table()) out.push_back(row.version);
    return out;
  }();
  return names;
}

const std::string& default_vllm_version() {
  static const std::string version = "0.19";
  return version;
}

std::string vllm_minor_version(const std::string& version) {
  std::string text = version;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text = text.substr(1);
  for (const auto& name : vllm_version_names()) {
    if (text == name) return name;
    // A patch release ("0.19.0", "0.19.1") behaves as its minor release.
    if (text.size() > name.size() && text.compare(0, name.size(), name) == 0 && text[name.size()] == '.') return name;
  }
  return "";
}

const VllmBehaviour& vllm_behaviour(const std::string& version) {
  const std::string minor = vllm_minor_version(version);
  for (const auto& row : table())
    if (row.version == minor) return row;
  throw InputError(fmt::format("unknown vLLM version '{}' (valid: {}; a patch release such as 0.19.0 counts as its "
                               "minor release)",
                               version, join(vllm_version_names())));
}

int64_t max_cudagraph_capture_size(int64_t max_num_seqs, int64_t max_num_batched_tokens) {
  return std::max<int64_t>(1, std::min({2 * max_num_seqs, int64_t{512}, max_num_batched_tokens}));
}

std::vector<int64_t> cudagraph_capture_sizes(int64_t max_num_seqs, const VllmBehaviour& behaviour,
                                             int64_t max_num_batched_tokens) {
  const int64_t largest = max_cudagraph_capture_size(max_num_seqs, max_num_batched_tokens);
  std::vector<int64_t> sizes;
  for (int64_t s : {1, 2, 4})
    if (s <= largest) sizes.push_back(s);
  const int64_t wide_from = behaviour.capture_step_16_above_256 ? 256 : largest + 1;
  for (int64_t s = 8; s <= largest && s < wide_from; s += 8) sizes.push_back(s);
  for (int64_t s = wide_from; s <= largest; s += 16) sizes.push_back(s);
  return sizes;
}

int64_t cudagraph_count(int64_t max_num_seqs, const VllmBehaviour& behaviour, int64_t max_num_batched_tokens) {
  const auto sizes = cudagraph_capture_sizes(max_num_seqs, behaviour, max_num_batched_tokens);
  auto count = static_cast<int64_t>(sizes.size());
  if (behaviour.full_cudagraphs)
    count += std::count_if(sizes.begin(), sizes.end(), [&](int64_t s) { return s <= max_num_seqs; });
  return count;
}

const std::vector<std::string>& cudagraph_mode_names() {
  static const std::vector<std::string> names = {"NONE", "PIECEWISE", "FULL_AND_PIECEWISE"};
  return names;
}

}  // namespace llmpo
