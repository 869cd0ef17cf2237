#include "shard.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "simulator/util/error.hpp"

namespace llmpo {

namespace {

std::optional<int64_t> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

Shard shard_from(const std::optional<std::string>& flag) {
  if (flag) {
    const auto slash = flag->find('/');
    const auto index = slash == std::string::npos ? std::nullopt : whole_number(flag->substr(0, slash));
    const auto count = slash == std::string::npos ? std::nullopt : whole_number(flag->substr(slash + 1));
    if (!index || !count || *count < 1 || *index >= *count)
      throw InputError({}, "--shard", fmt::format("expected I/N with 0 <= I < N (e.g. 0/4), got '{}'", *flag));
    return {*index, *count, "--shard"};
  }
  const auto task = env("SLURM_ARRAY_TASK_ID");
  const auto tasks = env("SLURM_ARRAY_TASK_COUNT");
  if (!task || !tasks) return {};
  const auto min_text = env("SLURM_ARRAY_TASK_MIN").value_or("0");
  const auto id = whole_number(*task), count = whole_number(*tasks), min = whole_number(min_text);
  if (!id || !count || !min || *count < 1 || *id < *min || *id - *min >= *count)
    throw InputError({}, "SLURM_ARRAY_TASK_ID",
                     fmt::format("a Slurm job array with task id {}, min {} and count {} cannot be split: the "
                                 "array must be contiguous (e.g. --array=0-3); or pass --shard I/N",
                                 *task, min_text, *tasks));
  return {*id - *min, *count, "Slurm job array"};
}

}  // namespace llmpo
